"""Counters under concurrent writers, after failed saves, and across periods, on both databases."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from cardfile.metamodel.errors import ValidationFailed
from cardfile.metamodel.records.query import ListQuery

THREADS = 8
PER_THREAD = 6


def test_eight_threads_get_unique_consecutive_numbers(runtime, admin, make_table):
    make_table("Invoices", [("Number", "counter", {"pattern": "INV-{YYYY}-{####}"}),
                            ("Writer", "integer")], api_name="invoices")
    year = dt.datetime.now(dt.timezone.utc).year
    start = threading.Barrier(THREADS)
    errors: list = []

    def writer(n):
        try:
            start.wait(timeout=30)
            for _ in range(PER_THREAD):
                runtime.records.create(admin, "invoices", {"writer": n})
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    page = runtime.records.list(admin, "invoices", ListQuery(per_page=500))
    numbers = sorted(r["number"] for r in page["records"])
    total = THREADS * PER_THREAD
    assert page["total"] == total
    assert numbers == [f"INV-{year}-{n:04d}" for n in range(1, total + 1)]
    assert {r["writer"] for r in page["records"]} == set(range(THREADS))


def test_a_rolled_back_save_gives_its_number_back(runtime, admin, make_table, monkeypatch):
    make_table("Tickets", [("Number", "counter", {"pattern": "T-{###}"}),
                           ("Code", "text", {"unique": True, "required": True})], api_name="tickets")
    assert runtime.records.create(admin, "tickets", {"code": "a"})["number"] == "T-001"
    with pytest.raises(ValidationFailed):  # refused before a number is taken
        runtime.records.create(admin, "tickets", {})
    # a unique clash that only the database sees: the number was taken, then rolled back
    monkeypatch.setattr(type(runtime.records), "_check_refs", lambda self, *a, **k: None)
    with pytest.raises(ValidationFailed) as info:
        runtime.records.create(admin, "tickets", {"code": "a"})
    assert "unique" in info.value.errors["code"][0]
    monkeypatch.undo()
    with pytest.raises(ValidationFailed):
        runtime.records.bulk_create(admin, "tickets", [{"code": "b"}, {"code": "b"}])
    assert runtime.records.create(admin, "tickets", {"code": "c"})["number"] == "T-002"
    assert runtime.records.bulk_create(admin, "tickets", [{"code": "d"}, {"code": "e"}]) == {"created": 2}
    numbers = sorted(r["number"] for r in runtime.records.list(admin, "tickets")["records"])
    assert numbers == ["T-001", "T-002", "T-003", "T-004"]


def test_numbers_restart_when_the_date_part_changes(runtime, admin, make_table):
    make_table("Invoices", [("Yearly", "counter", {"pattern": "INV-{YYYY}-{####}"}),
                            ("Monthly", "counter", {"pattern": "{YY}{MM}/{##}"}),
                            ("Plain", "counter", {"pattern": "N{#}"})], api_name="invoices")
    moments = [dt.datetime(2025, 12, 31, 23, 59, tzinfo=dt.timezone.utc),
               dt.datetime(2025, 12, 31, 23, 59, 59, tzinfo=dt.timezone.utc),
               dt.datetime(2026, 1, 1, 0, 0, 1, tzinfo=dt.timezone.utc),
               dt.datetime(2026, 1, 15, tzinfo=dt.timezone.utc),
               dt.datetime(2026, 2, 1, tzinfo=dt.timezone.utc)]
    got = []
    for moment in moments:
        runtime.records.clock = lambda moment=moment: moment
        rec = runtime.records.create(admin, "invoices", {})
        got.append((rec["yearly"], rec["monthly"], rec["plain"]))
    assert got == [("INV-2025-0001", "2512/01", "N1"), ("INV-2025-0002", "2512/02", "N2"),
                   ("INV-2026-0001", "2601/01", "N3"), ("INV-2026-0002", "2601/02", "N4"),
                   ("INV-2026-0003", "2602/01", "N5")]


def test_counter_numbers_grow_past_their_padding(runtime, admin, make_table):
    make_table("Tags", [("Number", "counter", {"pattern": "#{#}"})], api_name="tags")
    runtime.records.bulk_create(admin, "tags", [{} for _ in range(11)])
    numbers = {r["number"] for r in runtime.records.list(admin, "tags", ListQuery(per_page=50))["records"]}
    assert numbers == {f"#{n}" for n in range(1, 12)}


def test_counter_patterns_are_checked(runtime, admin, make_table):
    from cardfile.metamodel.errors import InvalidDefinition
    for bad in ("INV-{YYYY}", "{##}-{##}", "{Q}-{##}", ""):
        with pytest.raises(InvalidDefinition):
            make_table(f"Bad {bad!r}", [("Number", "counter", {"pattern": bad})])
