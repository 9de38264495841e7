"""A list's total is counted on a second connection beside its page, on both databases."""

from __future__ import annotations

import threading

import pytest

from cardfile.metamodel.records.query import ListQuery
from cardfile.metamodel.records.side_count import SideCounter
from cardfile.metamodel.storage.engine import make_engine


@pytest.fixture
def notes(runtime, admin, make_table):
    make_table("Notes", [("Text", "text"), ("Kind", "choice", {"choices": [{"value": "a"}, {"value": "b"}]})],
               api_name="notes")
    runtime.records.bulk_create(admin, "notes", [{"text": f"n{i}", "kind": "ab"[i % 3 == 0]} for i in range(30)])
    return "notes"


def test_the_total_is_counted_on_a_worker_beside_the_page(runtime, admin, notes, statements):
    page = runtime.records.list(admin, notes, ListQuery(filters=[("kind", "eq", "b")], per_page=4, page=2))
    assert page["total"] == 10 and len(page["records"]) == 4
    counts = [thread for thread, sql in statements if "count(*)" in sql]
    pages = [thread for thread, sql in statements if "LIMIT" in sql.upper()]
    assert counts and all(t.startswith("cardfile-count") for t in counts)
    assert pages == [threading.current_thread().name]


def test_every_slot_comes_back(runtime, admin, notes):
    for i in range(3 * runtime.records.side_count._workers):
        assert runtime.records.list(admin, notes, ListQuery(per_page=5))["total"] == 30
    slots = runtime.records.side_count._slots
    taken = [slots.acquire(blocking=False) for _ in range(runtime.records.side_count._workers)]
    assert all(taken)
    for _ in taken:
        slots.release()


def test_with_no_free_worker_the_count_runs_inline(runtime, admin, notes, statements):
    counter = runtime.records.side_count
    held = [counter._slots.acquire(blocking=False) for _ in range(counter._workers)]
    try:
        assert runtime.records.list(admin, notes, ListQuery(filters=[("kind", "eq", "a")]))["total"] == 20
    finally:
        for _ in held:
            counter._slots.release()
    counts = [thread for thread, sql in statements if "count(*)" in sql]
    assert counts == [threading.current_thread().name]


def test_a_failing_count_fails_the_list(runtime, admin, notes, monkeypatch):
    from cardfile.metamodel.records import side_count

    def broken(conn, sql, where):
        raise RuntimeError("count failed")

    monkeypatch.setattr(side_count, "count", broken)
    with pytest.raises(RuntimeError, match="count failed"):
        runtime.records.list(admin, notes, ListQuery())
    assert runtime.records.side_count._slots.acquire(blocking=False)
    runtime.records.side_count._slots.release()


def test_after_close_lists_still_count(runtime, admin, notes):
    runtime.records.side_count.close()
    assert runtime.records.list(admin, notes, ListQuery())["total"] == 30


def test_an_in_memory_database_counts_inline():
    engine = make_engine("sqlite://")
    try:
        assert SideCounter(engine).enabled is False
    finally:
        engine.dispose()


def test_a_table_counted_quickly_is_counted_inline_next_time(runtime, admin, notes, statements, monkeypatch):
    from cardfile.metamodel.records import side_count

    def threads():
        return [thread for thread, sql in statements if "count(*)" in sql]

    runtime.records.list(admin, notes, ListQuery(per_page=5))
    assert threads()[-1].startswith("cardfile-count")  # not known yet: beside the page
    runtime.records.list(admin, notes, ListQuery(per_page=5))
    assert threads()[-1] == threading.current_thread().name  # 30 rows counted in no time
    monkeypatch.setattr(side_count, "QUICK_COUNT", 0.0)  # now every count is slow
    runtime.records.list(admin, notes, ListQuery(per_page=5))
    assert threads()[-1] == threading.current_thread().name  # measured inline: slow
    runtime.records.list(admin, notes, ListQuery(per_page=5))
    assert threads()[-1].startswith("cardfile-count")  # so beside the page again
