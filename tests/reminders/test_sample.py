"""Customer accounting's reminders: the sample package's reminders.yaml installs four rules
that check, and they remind the right people of planned events, contract ends, birthdays
and overdue invoices."""

from __future__ import annotations

import datetime as dt

import pytest

from cardfile.metamodel.errors import PackageInvalid
from cardfile.metamodel.packages import apply_package, load_package
from cardfile.metamodel.packages.samples import resolve
from cardfile.metamodel.reminders import Inbox, ReminderEngine, RuleService
from cardfile.metamodel.reminders.package import apply_rules, load_rules

UTC = dt.timezone.utc


@pytest.fixture
def sample(runtime, admin):
    path, _source = resolve("customer-accounting")
    pkg = load_package(path)
    apply_package(runtime, admin, pkg)
    return pkg


def test_the_sample_installs_its_rules_and_reapplying_changes_nothing(runtime, admin, sample):
    assert apply_rules(runtime, admin, sample) == {"created": 4, "updated": 0, "unchanged": 0}
    rules = {r["name"]: r for r in RuleService(runtime).list(admin)}
    assert set(rules) == {"Planned event", "Contract ends", "Birthday", "Overdue invoices"}
    assert all(r["problem"] is None and r["package"] == "customer-accounting" for r in rules.values())
    assert rules["Birthday"]["repeat"] == "yearly" and rules["Overdue invoices"]["kind"] == "digest"
    assert apply_rules(runtime, admin, sample) == {"created": 0, "updated": 0, "unchanged": 4}


def test_a_bad_reminders_file_names_the_place(tmp_path):
    (tmp_path / "reminders.yaml").write_text("reminders:\n  - table: events\n    name: x\n    recipients: []\n"
                                             "    colour: red\n")
    with pytest.raises(PackageInvalid) as exc:
        load_rules(tmp_path)
    assert "reminders.yaml: $.reminders[0]" in exc.value.message


def test_sample_reminders_reach_the_responsible_people(runtime, admin, sample):
    manager = runtime.users.create("olga", "olga-password", name="Olga", actor=admin)
    runtime.groups.create(admin, "managers")
    runtime.groups.set_permission(admin, "managers", "*", {"actions": ["read"]})
    runtime.groups.add_member(admin, "managers", "olga")
    clock = {"now": dt.datetime(2026, 3, 2, 7, 0, tzinfo=UTC)}
    rules = RuleService(runtime, clock=lambda: clock["now"])
    rules.apply_package(admin, sample.name, load_rules(sample.root))
    client = runtime.records.create(admin, "clients", {"kind": "organization", "name": "Acme", "manager": manager.id})
    runtime.records.create(admin, "contacts", {"client": client["id"], "name": "Ivan", "birthday": "1980-03-02"})
    runtime.records.create(admin, "events", {"subject": "Prices", "kind": "call", "client": client["id"],
                                             "responsible": manager.id, "starts_at": "2026-03-02T10:00:00Z"})
    runtime.records.create(admin, "contracts", {"client": client["id"], "date": "2025-04-01", "subject": "Supply",
                                                "valid_until": "2026-04-01", "status": "active"})
    engine, inbox = ReminderEngine(runtime), Inbox(runtime, clock=lambda: clock["now"])
    for hour in (8, 9, 10):
        clock["now"] = dt.datetime(2026, 3, 2, hour, 0, tzinfo=UTC)
        engine.tick(clock["now"])
    titles = sorted(i["title"] for i in inbox.list(manager)["items"])
    assert titles == ["Birthday", "Contract ends", "Planned event"]
    bodies = {i["title"]: i["body"] for i in inbox.list(manager)["items"]}
    assert bodies["Birthday"] == "Ivan of Acme has a birthday today."
    assert bodies["Planned event"] == "Call: Prices with Acme at 2026-03-02 10:00"
