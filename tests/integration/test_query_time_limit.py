"""Every statement of a read transaction runs under CARDFILE_QUERY_TIMEOUT (both databases).

A deliberately slow ``where=`` (eight times two nested replacements of a 200-character
name on each of 10 000 rows: seconds of work) against a limit of a quarter of a second
is stopped with QUERY_TOO_EXPENSIVE; the same list without the slow condition, and
writes, are not limited.
"""

from __future__ import annotations

import time

import pytest

from cardfile.metamodel.formulas.filters import where_filter
from cardfile.metamodel.records.query import ListQuery
from cardfile.metamodel.storage.time_limit import QueryTooExpensive

LIMIT = 0.25
ROWS = 10_000
SLOW = " and ".join(['len(replace(replace(name, "a", "aaaaaaaaaa"), "a", "aaaaaaaaaa")) > 0'] * 8)


@pytest.fixture
def limited(runtime_with_limit):
    return runtime_with_limit(LIMIT)


@pytest.fixture
def big_table(limited):
    boss = limited.users.create("boss", "boss-password", name="Boss", is_admin=True, bootstrap=True)
    limited.schema.create_table(boss, {"label": "Notes", "api_name": "notes", "fields": [
        {"label": "Name", "type": "text"}, {"label": "Rank", "type": "integer"}]})
    limited.records.bulk_create(boss, "notes", [{"name": "a" * 200, "rank": i} for i in range(ROWS)])
    return limited, boss


def slow_query(rt, boss) -> ListQuery:
    query = ListQuery(per_page=10)
    query.where = where_filter(SLOW, rt.registry, me=boss)
    return query


def test_a_slow_where_is_stopped_at_the_limit(big_table):
    rt, boss = big_table
    with pytest.raises(QueryTooExpensive) as info:
        rt.records.list(boss, "notes", slow_query(rt, boss))
    assert info.value.code == "QUERY_TOO_EXPENSIVE"
    assert info.value.details == {"limit_seconds": LIMIT}
    assert "0.25 seconds" in info.value.message


def test_the_connection_is_usable_after_a_stopped_query(big_table):
    rt, boss = big_table
    for _ in range(2):
        with pytest.raises(QueryTooExpensive):
            rt.records.list(boss, "notes", slow_query(rt, boss))
        page = rt.records.list(boss, "notes", ListQuery(per_page=5))
        assert page["total"] == ROWS and len(page["records"]) == 5


def test_a_slow_pivot_is_stopped_too(big_table):
    from cardfile.reports.service import ReportService

    rt, boss = big_table
    definition = {"rows": [{"field": "rank"}], "values": [{"agg": "count"}], "where": SLOW}
    with pytest.raises(QueryTooExpensive):
        ReportService(rt).preview(boss, "notes", definition)


def test_an_export_gets_the_limit_per_batch_not_for_the_whole_file(big_table):
    """Twenty batches with a pause after each: the export takes four times the limit in all."""
    rt, boss = big_table
    seen = 0
    for rows in rt.records.iter_rows(boss, "notes", ListQuery(), batch=ROWS // 20).batches():
        seen += len(rows)
        time.sleep(LIMIT / 5)
    assert seen == ROWS


def test_writes_are_not_limited(big_table):
    """The same statement is stopped in a read transaction and runs to its end in a write."""
    rt, _ = big_table
    count = ("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 1000000) "
             "SELECT count(*) FROM r WHERE length(n || 'x') > 1")   # about half a second
    with pytest.raises(QueryTooExpensive):
        with rt.engine.connect().execution_options(cf_readonly=True) as conn, conn.begin():
            conn.exec_driver_sql(count).scalar()
    with rt.engine.begin() as conn:
        assert conn.exec_driver_sql(count).scalar() == 1000000


def test_no_limit_when_it_is_switched_off(runtime_with_limit):
    from cardfile.metamodel.storage import time_limit

    rt = runtime_with_limit(None)
    with rt.engine.connect().execution_options(cf_readonly=True) as conn, conn.begin():
        assert time_limit._CLOCK not in conn.info
        if rt.engine.dialect.name == "postgresql":
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "0"
