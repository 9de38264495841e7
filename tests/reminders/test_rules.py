"""Reminder rules as metadata: checked when saved, date rules, yearly rules, digests."""

from __future__ import annotations

import datetime as dt

import pytest

from cardfile.metamodel.errors import AccessDenied, CardfileError, InvalidDefinition

UTC = dt.timezone.utc


def base(**extra):
    spec = {"table": "events", "name": "Call", "field": "starts_at", "recipients": [{"type": "owner"}],
            "message": "{subject}"}
    spec.update(extra)
    return spec


def test_a_condition_that_does_not_check_is_refused_with_its_position(rules, admin, crm):
    with pytest.raises(CardfileError) as exc:
        rules.create(admin, base(condition='stauts != "done"'))
    assert exc.value.code == "FORMULA_UNKNOWN_NAME"
    assert exc.value.details["position"]["column"] == 1 and "condition" in exc.value.message.lower()
    with pytest.raises(CardfileError) as exc:
        rules.create(admin, base(condition="subject"))
    assert exc.value.code == "FORMULA_TYPE"
    with pytest.raises(CardfileError):
        rules.create(admin, base(condition="responsible == me"))


@pytest.mark.parametrize("change, words", [
    ({"field": "subject"}, "date or date-time field"),
    ({"recipients": [{"type": "field", "field": "subject"}]}, "not a user field"),
    ({"recipients": [{"type": "group", "group": "nobody"}]}, "no group"),
    ({"recipients": []}, "who receives"),
    ({"message": "Call {nobody}"}, "no field 'nobody'"),
    ({"message": "Call {client.nobody}"}, "no field 'nobody'"),
    ({"message": "Call {subject"}, "lone"),
    ({"offset": {"amount": -5}}, "whole number"),
    ({"channels": ["sms"]}, "inbox, email"),
    ({"at": "25:99"}, "time of day"),
    ({"kind": "digest", "field": None}, "condition"),
    ({"colour": "red"}, "Unknown key"),
])
def test_bad_definitions_are_refused(rules, admin, crm, change, words):
    with pytest.raises(InvalidDefinition) as exc:
        rules.create(admin, base(**change))
    assert words in exc.value.message


def test_designing_rules_needs_the_design_right(rules, admin, anna):
    with pytest.raises(AccessDenied):
        rules.create(anna, base())
    rule = rules.create(admin, base())
    assert [r["name"] for r in rules.list(anna)] == ["Call"]  # readers of the table see its rules
    assert rules.list(anna)[0]["designable"] is False
    with pytest.raises(AccessDenied):
        rules.update(anna, rule["id"], {"name": "Mine"})


def test_a_rule_gives_its_date_field_an_index(runtime, rules, admin, crm):
    assert not runtime.schema.snapshot().table("events").field("starts_at").opt("indexed")
    rules.create(admin, base())
    assert runtime.schema.snapshot().table("events").field("starts_at").opt("indexed") is True


def test_renaming_the_date_field_keeps_the_rule(runtime, rules, admin, crm):
    rule = rules.create(admin, base())
    runtime.schema.update_field(admin, "events", "starts_at", {"api_name": "begins"})
    assert rules.get(admin, rule["id"])["field"] == "begins"


def test_trash_and_restore(rules, admin, crm):
    rule = rules.create(admin, base())
    rules.delete(admin, rule["id"])
    assert rules.list(admin) == [] and [r["id"] for r in rules.list(admin, trashed=True)] == [rule["id"]]
    rules.restore(admin, rule["id"])
    assert [r["id"] for r in rules.list(admin)] == [rule["id"]]


def test_contract_end_thirty_days_before_at_nine(runtime, admin, anna, rules, engine, inbox, clock):
    runtime.schema.create_table(admin, {"label": "Contracts", "api_name": "contracts", "fields": [
        {"label": "Subject", "api_name": "subject", "type": "text"},
        {"label": "Valid until", "api_name": "valid_until", "type": "date"},
        {"label": "Client", "api_name": "client", "type": "link", "options": {"target": "clients"}}]})
    acme = runtime.records.create(admin, "clients", {"name": "Acme", "manager": anna.id})
    runtime.records.create(admin, "contracts", {"subject": "Supply", "client": acme["id"],
                                                "valid_until": "2026-04-10"})
    runtime.records.create(admin, "contracts", {"subject": "Other", "client": acme["id"],
                                                "valid_until": "2026-04-11"})
    rules.create(admin, {"table": "contracts", "name": "Contract ends", "field": "valid_until", "at": "09:00",
                         "offset": {"amount": 30, "unit": "days", "direction": "before"},
                         "recipients": [{"type": "field", "field": "client.manager"}],
                         "message": "{subject} with {client} ends on {valid_until}"})
    clock.now = dt.datetime(2026, 3, 11, 8, 59, tzinfo=UTC)
    engine.tick()
    assert inbox.unread_count(anna) == 0
    clock.advance(minutes=1)
    assert engine.tick().delivered == 1
    assert [i["body"] for i in inbox.list(anna)["items"]] == ["Supply with Acme ends on 2026-04-10"]
    clock.advance(days=1)
    assert engine.tick().delivered == 1 and inbox.unread_count(anna) == 2


def test_birthdays_every_year(runtime, admin, anna, rules, engine, inbox, clock):
    runtime.records.create(admin, "clients", {"name": "Leap", "manager": anna.id, "birthday": "1996-02-29"})
    runtime.records.create(admin, "clients", {"name": "May", "manager": anna.id, "birthday": "1980-05-12"})
    clock.now = dt.datetime(2027, 2, 28, 8, 0, tzinfo=UTC)
    rules.create(admin, {"table": "clients", "name": "Birthday", "field": "birthday", "repeat": "yearly",
                         "at": "09:00", "recipients": [{"type": "field", "field": "manager"}],
                         "message": "{name} has a birthday today"})
    clock.now = dt.datetime(2027, 2, 28, 9, 0, tzinfo=UTC)
    assert engine.tick().delivered == 1
    clock.now = dt.datetime(2027, 5, 12, 9, 0, tzinfo=UTC)
    report = engine.tick()
    assert report.delivered == 1 and report.late == 0
    clock.now = dt.datetime(2028, 3, 1, 9, 0, tzinfo=UTC)  # after a day of downtime: late, but there
    report = engine.tick()
    assert report.delivered == 1 and report.late == 1
    assert [i["body"] for i in inbox.list(anna, show="all")["items"]] == [
        "Leap has a birthday today", "May has a birthday today", "Leap has a birthday today"]


def test_a_daily_digest_lists_each_managers_own_records(runtime, admin, anna, boris, rules, engine, inbox, clock):
    for i in range(3):
        runtime.records.create(admin, "events", {"subject": f"late {i}", "status": "planned",
                                                 "responsible": anna.id if i else boris.id,
                                                 "starts_at": "2026-03-01T10:00:00Z"})
    runtime.records.create(admin, "events", {"subject": "done", "status": "done", "responsible": anna.id,
                                             "starts_at": "2026-03-01T10:00:00Z"})
    rules.create(admin, {"table": "events", "name": "Overdue events", "kind": "digest", "at": "09:00",
                         "condition": 'status != "done" and starts_at < now()',
                         "recipients": [{"type": "field", "field": "responsible"}],
                         "message": "{count} overdue"})
    clock.now = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert engine.tick().delivered == 1
    [mine] = inbox.list(anna)["items"]
    assert mine["body"] == "2 overdue" and [i["display"] for i in mine["items"]] == ["late 1", "late 2"]
    [his] = inbox.list(boris)["items"]
    assert [i["display"] for i in his["items"]] == ["late 0"]
    clock.advance(minutes=5)
    assert engine.tick().delivered == 0


def test_inbox_read_and_snooze(runtime, admin, anna, rules, engine, inbox, clock):
    runtime.records.create(admin, "events", {"subject": "s", "responsible": anna.id,
                                             "starts_at": "2026-03-02T08:30:00Z"})
    rules.create(admin, base(recipients=[{"type": "field", "field": "responsible"}]))
    clock.advance(minutes=31)
    engine.tick()
    [item] = inbox.list(anna)["items"]
    inbox.snooze(anna, item["id"], clock.now + dt.timedelta(hours=1))
    assert inbox.unread_count(anna) == 0 and len(inbox.list(anna, show="snoozed")["items"]) == 1
    clock.advance(hours=1)
    assert inbox.unread_count(anna) == 1
    inbox.mark(anna, item["id"])
    assert inbox.unread_count(anna) == 0 and len(inbox.list(anna, show="all")["items"]) == 1
    with pytest.raises(CardfileError):
        inbox.mark(admin, item["id"])  # not their item
