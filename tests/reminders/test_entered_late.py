"""A reminder whose moment had already passed when its date was entered: delivered once,
marked late, while the date itself is still ahead; a date already past gets none."""

from __future__ import annotations

import datetime as dt

import pytest

from .test_engine import call_rule, deliveries, iso


@pytest.fixture
def records_clock(runtime, clock):
    """Records are stamped with the tests' clock (their updated_at is what the tick reads)."""
    runtime.records.clock = clock
    return clock


def test_an_event_entered_after_its_reminder_time_is_reminded_once_late(
        runtime, admin, anna, rules, engine, inbox, records_clock):
    clock = records_clock
    call_rule(rules, admin, condition=None)
    clock.advance(minutes=1)
    engine.tick()
    clock.advance(minutes=1)
    # 8:02: typed in for 8:10 — its "15 minutes before" (7:55) has already passed
    soon = runtime.records.create(admin, "events", {"subject": "soon", "responsible": anna.id,
                                                    "starts_at": iso(clock.now + dt.timedelta(minutes=8))})
    # and one for 7:00 this morning (already over when typed in): no reminder
    runtime.records.create(admin, "events", {"subject": "over", "responsible": anna.id,
                                             "starts_at": iso(clock.now - dt.timedelta(hours=1))})
    clock.advance(minutes=1)
    report = engine.tick()
    assert report.delivered == 1 and report.late == 1
    items = inbox.list(anna)["items"]
    assert [(i["record"], i["late"]) for i in items] == [(soon["id"], True)]
    for _ in range(3):  # later ticks, and an edit of the record, never send it again
        clock.advance(minutes=1)
        current = runtime.records.get(admin, "events", soon["id"])
        runtime.records.update(admin, "events", soon["id"], {"subject": "soon!"}, version=current["version"])
        assert engine.tick().delivered == 0
    assert len(deliveries(runtime)) == 1


def test_a_date_moved_into_the_past_offset_is_reminded_and_a_condition_that_comes_true_too(
        runtime, admin, anna, rules, engine, inbox, records_clock):
    clock = records_clock
    far = runtime.records.create(admin, "events", {"subject": "far", "responsible": anna.id, "status": "done",
                                                   "starts_at": iso(clock.now + dt.timedelta(days=3))})
    call_rule(rules, admin)  # status != "done"
    clock.advance(minutes=1)
    engine.tick()
    clock.advance(minutes=1)
    moved = runtime.records.update(admin, "events", far["id"], {
        "starts_at": iso(clock.now + dt.timedelta(minutes=5))}, version=far["version"])
    clock.advance(minutes=1)
    assert engine.tick().delivered == 0  # still done: the condition decides
    runtime.records.update(admin, "events", far["id"], {"status": "planned"}, version=moved["version"])
    clock.advance(minutes=1)
    report = engine.tick()
    assert report.delivered == 1 and report.late == 1
    assert [i["record"] for i in inbox.list(anna)["items"]] == [far["id"]]
