"""The reminder tick: due occurrences delivered once, late after downtime, moved by edits,
cancelled by the trash, checked against the recipient's access at delivery time."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from cardfile.metamodel.storage.messaging_tables import cf_inbox, cf_reminder_deliveries, cf_reminder_log

UTC = dt.timezone.utc


def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def call_rule(rules, admin, **extra):
    spec = {"table": "events", "name": "Planned call", "field": "starts_at",
            "offset": {"amount": 15, "unit": "minutes", "direction": "before"},
            "condition": 'status != "done"', "recipients": [{"type": "field", "field": "responsible"}],
            "message": "Call {client} about {subject} at {starts_at}", "channels": ["inbox"]}
    spec.update(extra)
    return rules.create(admin, spec)


def deliveries(runtime) -> list:
    with runtime.engine.connect() as conn:
        return conn.execute(sa.select(cf_reminder_deliveries).order_by(cf_reminder_deliveries.c.id)).mappings().all()


def test_a_reminder_arrives_once_fifteen_minutes_before(runtime, admin, anna, rules, engine, inbox, clock):
    acme = runtime.records.create(admin, "clients", {"name": "Acme", "manager": anna.id})
    event = runtime.records.create(admin, "events", {
        "subject": "prices", "starts_at": iso(clock.now + dt.timedelta(hours=1)), "status": "planned",
        "client": acme["id"], "responsible": anna.id})
    rule = call_rule(rules, admin)
    assert rule["problem"] is None
    clock.advance(minutes=44)
    assert engine.tick().delivered == 0
    assert inbox.unread_count(anna) == 0
    clock.advance(minutes=1)  # 8:45 = 9:00 - 15 minutes
    report = engine.tick()
    assert report.delivered == 1 and report.late == 0
    items = inbox.list(anna)["items"]
    assert len(items) == 1 and items[0]["title"] == "Planned call" and items[0]["record"] == event["id"]
    assert items[0]["body"] == "Call Acme about prices at 2026-03-02 09:00"
    for _ in range(3):  # again, and again later: nothing new
        clock.advance(minutes=1)
        assert engine.tick().delivered == 0
    assert inbox.unread_count(anna) == 1
    history = runtime.records.history(admin, "events", event["id"])
    assert history[-1]["action"] == "reminder" and history[-1]["changes"]["_reminder"]["to"] == ["Anna"]


def test_downtime_delivers_late_and_a_second_tick_changes_nothing(runtime, admin, anna, rules, engine, inbox, clock):
    for minutes in (30, 60, 90):
        runtime.records.create(admin, "events", {"subject": f"s{minutes}", "responsible": anna.id,
                                                 "starts_at": iso(clock.now + dt.timedelta(minutes=minutes))})
    call_rule(rules, admin, condition=None)
    clock.advance(hours=3)  # the server was down
    report = engine.tick()
    assert report.delivered == 3 and report.late == 3
    assert all(i["late"] for i in inbox.list(anna)["items"])
    assert engine.tick().delivered == 0 and len(deliveries(runtime)) == 3


def test_editing_the_date_moves_the_pending_reminder(runtime, admin, anna, rules, engine, inbox, clock):
    event = runtime.records.create(admin, "events", {"subject": "s", "responsible": anna.id,
                                                     "starts_at": iso(clock.now + dt.timedelta(hours=1))})
    call_rule(rules, admin, condition=None)
    runtime.records.update(admin, "events", event["id"], {"starts_at": iso(clock.now + dt.timedelta(hours=2)),
                                                          "version": event["version"]})
    clock.advance(minutes=50)
    assert engine.tick().delivered == 0
    clock.advance(minutes=60)  # 9:50: the new time minus 15 minutes has passed
    assert engine.tick().delivered == 1
    assert deliveries(runtime)[0]["occurrence"] == "2026-03-02T10:00:00Z"


def test_editing_back_and_forth_never_sends_twice(runtime, admin, anna, rules, engine, clock):
    when = clock.now + dt.timedelta(minutes=20)
    event = runtime.records.create(admin, "events", {"subject": "s", "responsible": anna.id, "starts_at": iso(when)})
    call_rule(rules, admin, condition=None)
    clock.advance(minutes=10)
    assert engine.tick().delivered == 1
    event = runtime.records.update(admin, "events", event["id"], {"starts_at": iso(when + dt.timedelta(hours=1)),
                                                                  "version": event["version"]})
    event = runtime.records.update(admin, "events", event["id"], {"starts_at": iso(when), "version": event["version"]})
    clock.advance(minutes=1)
    assert engine.tick().delivered == 0
    with runtime.engine.connect() as conn:  # the key is unique in the database itself
        row = dict(deliveries(runtime)[0])
        try:
            with runtime.engine.begin() as w:
                w.execute(sa.insert(cf_reminder_deliveries).values(**{k: v for k, v in row.items() if k != "id"}))
            raise AssertionError("a second delivery with the same key was accepted")
        except sa.exc.IntegrityError:
            pass
    assert conn is not None


def test_trash_cancels_and_restore_brings_it_back(runtime, admin, anna, rules, engine, clock):
    first = runtime.records.create(admin, "events", {"subject": "a", "responsible": anna.id,
                                                     "starts_at": iso(clock.now + dt.timedelta(minutes=30))})
    second = runtime.records.create(admin, "events", {"subject": "b", "responsible": anna.id,
                                                      "starts_at": iso(clock.now + dt.timedelta(hours=3))})
    call_rule(rules, admin, condition=None)
    runtime.records.delete(admin, "events", first["id"])
    runtime.records.delete(admin, "events", second["id"])
    clock.advance(minutes=20)
    assert engine.tick().delivered == 0  # the first one is cancelled
    runtime.records.restore(admin, "events", second["id"])
    clock.advance(hours=3)
    assert engine.tick().delivered == 1
    assert [d["record_id"] for d in deliveries(runtime)] == [second["id"]]


def test_the_condition_is_checked_when_due(runtime, admin, anna, rules, engine, clock):
    runtime.records.create(admin, "events", {"subject": "a", "responsible": anna.id, "status": "done",
                                             "starts_at": iso(clock.now + dt.timedelta(minutes=30))})
    runtime.records.create(admin, "events", {"subject": "b", "responsible": anna.id, "status": "planned",
                                             "starts_at": iso(clock.now + dt.timedelta(minutes=30))})
    call_rule(rules, admin)
    clock.advance(minutes=20)
    assert engine.tick().delivered == 1


def test_access_is_checked_at_delivery_and_hidden_placeholders_are_empty(runtime, admin, anna, boris, rules,
                                                                        engine, inbox, clock):
    acme = runtime.records.create(admin, "clients", {"name": "Acme", "secret": "gold", "manager": anna.id})
    mine = runtime.records.create(admin, "events", {"subject": "his", "responsible": boris.id, "client": acme["id"],
                                                    "starts_at": iso(clock.now + dt.timedelta(minutes=30))})
    call_rule(rules, admin, condition=None, message="{subject}: {client.name} / {client.secret}",
              recipients=[{"type": "field", "field": "responsible"}, {"type": "field", "field": "client.manager"},
                          {"type": "group", "group": "field"}])
    clock.advance(minutes=20)
    assert engine.tick().delivered == 1
    # Anna (manager through the link) reads the event but not the secret; Boris reads his own
    # event but not the clients table at all
    assert [i["body"] for i in inbox.list(anna)["items"]] == ["his: Acme / "]
    assert [i["body"] for i in inbox.list(boris)["items"]] == ["his:  / "]
    with runtime.engine.connect() as conn:
        log = [r["message"] for r in conn.execute(sa.select(cf_reminder_log)).mappings()]
    assert any("{client.secret}" in m and "Anna" in m for m in log)
    assert any("{client.name}" in m and "Boris" in m for m in log)
    assert mine["id"]


def test_a_recipient_who_may_not_read_the_record_gets_nothing(runtime, admin, anna, boris, rules, engine, inbox,
                                                              clock):
    runtime.records.create(admin, "events", {"subject": "not his", "responsible": anna.id,
                                             "starts_at": iso(clock.now + dt.timedelta(minutes=30))})
    call_rule(rules, admin, condition=None, recipients=[{"type": "group", "group": "field"}])
    clock.advance(minutes=20)
    report = engine.tick()
    assert report.skipped == 1 and inbox.unread_count(boris) == 0
    with runtime.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(cf_inbox)).scalar_one() == 0


def test_a_deleted_or_retyped_date_field_stops_the_rule_with_a_reason(runtime, admin, anna, rules, engine, clock):
    rule = call_rule(rules, admin, condition=None)
    runtime.schema.delete_field(admin, "events", "starts_at")
    clock.advance(minutes=1)
    report = engine.tick()
    assert report.problems and "in the trash" in rules.get(admin, rule["id"])["problem"]
    runtime.schema.restore_field(admin, "events", "starts_at")
    clock.advance(minutes=1)
    engine.tick()
    assert rules.get(admin, rule["id"])["problem"] is None
    runtime.schema.update_field(admin, "events", "starts_at", {"type": "text"}, force=True)
    clock.advance(minutes=1)
    engine.tick()
    assert "no longer a date" in rules.get(admin, rule["id"])["problem"]


def test_many_due_at_once_are_read_in_batches(runtime, admin, anna, rules, engine, inbox, clock, monkeypatch):
    from cardfile.metamodel.reminders import engine as engine_module

    monkeypatch.setattr(engine_module, "BATCH", 3)
    same = iso(clock.now + dt.timedelta(minutes=30))
    for i in range(7):  # several at the very same time: the batches go on by id
        runtime.records.create(admin, "events", {"subject": f"s{i}", "responsible": anna.id, "starts_at": same})
    for i in range(4):
        runtime.records.create(admin, "events", {"subject": f"t{i}", "responsible": anna.id,
                                                 "starts_at": iso(clock.now + dt.timedelta(minutes=31 + i))})
    call_rule(rules, admin, condition=None)
    clock.advance(hours=1)
    assert engine.tick().delivered == 11
    assert inbox.unread_count(anna) == 11 and len(deliveries(runtime)) == 11


def test_the_history_shows_the_reminder_to_every_reader(runtime, admin, anna, boris, rules, engine, clock):
    event = runtime.records.create(admin, "events", {"subject": "his", "responsible": boris.id,
                                                     "starts_at": iso(clock.now + dt.timedelta(minutes=30))})
    call_rule(rules, admin, condition=None)
    clock.advance(minutes=20)
    engine.tick()
    entry = runtime.records.history(boris, "events", event["id"])[-1]
    assert entry["action"] == "reminder" and entry["user"] is None
    assert entry["changes"]["_reminder"]["to"] == ["Boris"] and entry["changes"]["_reminder"]["rule"] == "Planned call"
