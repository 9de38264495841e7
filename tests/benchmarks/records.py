"""Benchmark: bulk insert and list requests on a 12-field table, SQLite and PostgreSQL.

    python tests/benchmarks/records.py [--rows 1000000] [--db sqlite|postgresql|both]

Prints bulk-insert rows/s (next to a raw SQLAlchemy Core insert of the same rows into an
identical table, in the same run; the input rows are drawn into a list first, so both
timings are of the inserts alone), then p50/p95 of a list request (50 rows, filter on the choice
field, sorted by the money field, with the total count): first right after the load,
with no manual ``ANALYZE`` (the bulk load refreshes the table's statistics itself), then
three ways: through the record service, through the REST API (Flask test client), and the
same query in raw SQLAlchemy Core — and the ratio of the service to raw SQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from cardfile.metamodel.records.query import ListQuery
from cardfile.metamodel.runtime import Settings, build_runtime
from cardfile.metamodel.storage import names

PG_URL = os.environ.get("CARDFILE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1/test")
STATUSES = ["new", "active", "paused", "closed", "archived"]

FIELDS = [
    ("Name", "text", {}), ("Code", "text", {}), ("Quantity", "integer", {}),
    ("Weight", "decimal", {"places": 3}), ("Price", "money", {"currency": "EUR", "indexed": True}),
    ("Discount", "percent", {}), ("Active", "boolean", {}), ("Day", "date", {}),
    ("Stamp", "datetime", {}),
    ("Status", "choice", {"indexed": True, "choices": [{"value": s} for s in STATUSES]}),
    ("Category", "link", {"target": "categories"}), ("Email", "email", {}),
]


def rows(n: int, category_ids: list[int], seed: int = 7):
    """Deterministic input rows (``random()`` scaled: the distribution of ``randint`` at a
    tenth of the cost)."""
    rnd = random.Random(seed).random
    base = dt.date(2024, 1, 1)
    stamp = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    days = [base + dt.timedelta(days=d) for d in range(901)]
    n_cats = len(category_ids)
    for i in range(n):
        yield {
            "name": f"Item {i}", "code": f"C{i:07d}", "quantity": int(rnd() * 1001),
            "weight": Decimal(int(rnd() * 1000001)).scaleb(-3),
            "price": Decimal(int(rnd() * 10000001)).scaleb(-2), "discount": Decimal(int(rnd() * 31)),
            "active": rnd() < 0.5, "day": days[int(rnd() * 901)],
            "stamp": stamp + dt.timedelta(minutes=int(rnd() * 1000001)),
            "status": STATUSES[int(rnd() * 5)], "category": category_ids[int(rnd() * n_cats)],
            "email": f"user{i}@example.com",
        }


def percentiles(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples) * 1000, samples[int(len(samples) * 0.95) - 1] * 1000


def timed(fn, n: int) -> tuple[float, float]:
    fn(0)  # warm up
    samples = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - start)
    return percentiles(samples)


def setup(kind: str, tmp: Path):
    if kind == "sqlite":
        return Settings(data_dir=tmp / "sqlite"), None
    schema = "bench_" + uuid.uuid4().hex[:8]
    engine = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")

    def drop():
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        engine.dispose()

    return Settings(data_dir=tmp / "pg", database_url=PG_URL, db_schema=schema), drop


def run(kind: str, n_rows: int, n_requests: int, tmp: Path) -> None:
    settings, drop = setup(kind, tmp)
    rt = build_runtime(settings)
    try:
        admin = rt.users.create("admin", "bench-password", is_admin=True, bootstrap=True)
        rt.schema.create_table(admin, {"label": "Categories", "fields": [{"label": "Name", "type": "text"}]})
        rt.records.bulk_create(admin, "categories", [{"name": f"Category {i}"} for i in range(20)])
        cat_ids = [r["id"] for r in rt.records.list(admin, "categories", ListQuery(per_page=50))["records"]]
        rt.schema.create_table(admin, {"label": "Bench", "fields": [
            {"label": label, "type": t, "options": o} for label, t, o in FIELDS]})

        rt.schema.create_table(admin, {"label": "Bench raw", "api_name": "bench_raw", "fields": [
            {"label": label, "type": t, "options": o} for label, t, o in FIELDS]})

        start = time.perf_counter()
        data = list(rows(n_rows, cat_ids))  # drawn beforehand: the timings below are the inserts alone
        drawn = time.perf_counter() - start
        start = time.perf_counter()
        created = rt.records.bulk_create(admin, "bench", data)["created"]
        elapsed = time.perf_counter() - start
        raw_elapsed = raw_insert(rt, admin, "bench_raw", data)
        del data
        print(f"[{kind}] bulk insert: {created:,} rows in {elapsed:.1f} s = {created / elapsed:,.0f} rows/s "
              f"(validated, audited); raw SQLAlchemy Core insert of the same rows {n_rows / raw_elapsed:,.0f} "
              f"rows/s; time ratio {elapsed / raw_elapsed:.2f} (input drawn beforehand in {drawn:.1f} s, not timed)")
        rng = random.Random(1)
        plan = [(rng.choice(STATUSES), rng.randint(1, 20)) for _ in range(n_requests + 1)]

        def via_service(i):
            status, page = plan[i]
            rt.records.list(admin, "bench", ListQuery(filters=[("status", "eq", status)], sort=["price"],
                                                      page=page, per_page=50))

        # the list as a user meets it right after the load: bulk_create is what the REST
        # API's bulk load calls, and it leaves the table's planner statistics refreshed
        p50, p95 = timed(via_service, min(n_requests, 50))
        print(f"[{kind}] list right after the bulk load (no manual ANALYZE) p50 {p50:6.2f} ms  p95 {p95:6.2f} ms")
        if kind == "postgresql":  # what autovacuum does on a live server: the visibility map too
            with rt.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")

        snap = rt.schema.snapshot()
        table = snap.table("bench")
        sql = snap.sql_table(table)
        status_col = sql.c[names.column_name(table.field("status").id)]
        price_col = sql.c[names.column_name(table.field("price").id)]

        def via_raw(i):
            status, page = plan[i]
            where = sa.and_(sql.c.deleted_at.is_(None), status_col == status)
            with rt.engine.connect() as conn:
                conn.execute(sa.select(sql).where(where).order_by(price_col.asc().nulls_last(), sql.c.id)
                             .offset((page - 1) * 50).limit(50)).all()
                conn.execute(sa.select(sa.func.count()).select_from(sql).where(where)).scalar_one()

        results = {"raw SQL": timed(via_raw, n_requests), "record service": timed(via_service, n_requests)}
        api = api_client(settings, rt, admin)
        if api is not None:
            def via_api(i):
                status, page = plan[i]
                resp = api(f"/api/v1/tables/bench/records?filter=status:eq:{status}&sort=price&page={page}&per_page=50")
                assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
            results["REST API"] = timed(via_api, n_requests)
        raw_p95 = results["raw SQL"][1]
        for name, (p50, p95) in results.items():
            print(f"[{kind}] list via {name:15s} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  "
                  f"(p95 {p95 / raw_p95:.2f}x raw SQL)")
    finally:
        rt.dispose()
        if drop:
            drop()


def raw_insert(rt, admin, table_name: str, source, batch: int = 2000) -> float:
    """The simplest alternative to the bulk path: ``conn.execute(insert(table), dicts)`` of
    the same (already typed) rows in batches, one transaction, no validation or audit.
    Returns the seconds taken."""
    snap = rt.schema.snapshot()
    table = snap.table(table_name)
    sql = snap.sql_table(table)
    column = {f.api_name: names.column_name(f.id) for f in table.fields}
    money = column["price"]
    now = dt.datetime.now(dt.timezone.utc)
    system = dict(version=1, created_at=now, updated_at=now, created_by=admin.id, updated_by=admin.id,
                  owner=admin.id)
    start = time.perf_counter()
    with rt.engine.begin() as conn:
        chunk = []
        for data in source:
            params = {column[k]: v for k, v in data.items() if k != "price"}
            params[money], params[money + "_cur"] = data["price"], "EUR"
            chunk.append({**params, **system})
            if len(chunk) >= batch:
                conn.execute(sa.insert(sql), chunk)
                chunk = []
        if chunk:
            conn.execute(sa.insert(sql), chunk)
    return time.perf_counter() - start


def api_client(settings: Settings, rt, admin):
    try:
        from cardfile.platform.app import create_app
    except ImportError as exc:
        print(f"(REST API not measured: {exc})")
        return None
    app = create_app({"data_dir": settings.data_dir, "database_url": settings.database_url,
                      "db_schema": settings.db_schema, "secret_key": "bench"})
    _, secret = rt.users.create_token(admin, "bench")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    return lambda url: client.get(url, headers=headers)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cardfile-bench-") as tmp:
        for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
            run(kind, args.rows, args.requests, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
