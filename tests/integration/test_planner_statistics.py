"""After a bulk create or an import the table's planner statistics are fresh, so the next
filtered and sorted list is planned with the new rows (SQLite ANALYZE with an analysis
limit; PostgreSQL ANALYZE of the table when the load is large against its estimate)."""

from __future__ import annotations

import sqlalchemy as sa

from cardfile.metamodel.storage import statistics


def planner_rows(runtime, name: str) -> int | None:
    """What the planner believes the table holds (None: never analysed)."""
    snap = runtime.schema.snapshot()
    physical = snap.sql_table(snap.table(name)).name
    with runtime.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            stat = conn.execute(sa.text("SELECT stat FROM sqlite_stat1 WHERE tbl = :t AND idx IS NOT NULL"),
                                {"t": physical}).scalars().first() if conn.execute(sa.text(
                                    "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first() else None
            return None if stat is None else int(stat.split()[0])
        estimate = conn.execute(sa.text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:t)"),
                                {"t": physical}).scalar()
        return None if estimate is None or estimate < 0 else int(estimate)


def test_a_bulk_create_refreshes_the_statistics(runtime, admin, make_table):
    make_table("Items", [("Code", "text", {"unique": True}), ("Price", "decimal", {"indexed": True})],
               api_name="items")
    assert planner_rows(runtime, "items") is None
    runtime.records.bulk_create(admin, "items", [{"code": f"C{i}", "price": str(i)} for i in range(120)])
    assert planner_rows(runtime, "items") == 120
    runtime.records.bulk_create(admin, "items", [{"code": f"D{i}", "price": str(i)} for i in range(30)])
    assert planner_rows(runtime, "items") == 150  # a quarter of the table: refreshed again


def test_an_import_refreshes_the_statistics_and_a_dry_run_does_not(runtime, admin, make_table):
    make_table("Items", [("Code", "text", {"indexed": True})], api_name="items")
    rows = [(n, None, {"code": f"C{n}"}) for n in range(2, 52)]
    runtime.records.write_many(admin, "items", iter(rows), dry_run=True)
    assert planner_rows(runtime, "items") is None
    report = runtime.records.write_many(admin, "items", iter(rows), source="items.csv")
    assert report.written and planner_rows(runtime, "items") == 50


def test_a_small_load_into_a_big_postgresql_table_leaves_autovacuum_to_it(runtime, admin, make_table):
    make_table("Items", [("Code", "text", {"indexed": True})], api_name="items")
    runtime.records.bulk_create(admin, "items", [{"code": f"C{i}"} for i in range(300)])
    snap = runtime.schema.snapshot()
    table = snap.sql_table(snap.table("items"))
    with runtime.engine.begin() as conn:
        refreshed = statistics.refresh_statistics(conn, table, 3)
        assert refreshed is (conn.dialect.name == "sqlite")
        assert statistics.refresh_statistics(conn, table, 0) is False
