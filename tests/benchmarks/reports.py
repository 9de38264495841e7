"""Benchmark: pivot, import and export over a large table, SQLite and PostgreSQL.

    python tests/benchmarks/reports.py [--rows 1000000] [--db sqlite|postgresql|both]

Prints, per database:

* pivot month × category (sum and count) through ``run_pivot`` (record service + pandas)
  against the same GROUP BY in raw SQL, best of three, and the ratio (target ≤ 1 s);
* a single-cell pivot (sum, average and count of the won rows) against a list's count with
  the same filter (one row per page: the count is the work), the ratio (target ≤ 1);
* import of a CSV with the same number of rows (10 columns: a link by name, a date as
  dd.mm.yyyy, a decimal with a decimal comma) with full validation (target ≤ 60 s), with
  the resident memory sampled while it runs (it should stay flat);
* export of every row to CSV and to XLSX, each in a fresh process, with its resident
  memory sampled after every batch (target ≤ 250 MB).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from cardfile.metamodel.runtime import Settings, build_runtime
from cardfile.metamodel.storage import names

PG_URL = os.environ.get("CARDFILE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1/test")
CATEGORIES = [f"Category {i:02d}" for i in range(20)]
STATUSES = ["new", "open", "won", "lost"]
FIELDS = [
    ("Name", "text", {}), ("Code", "text", {}), ("Day", "date", {}),
    ("Amount", "decimal", {"places": 2}), ("Units", "integer", {}),
    ("Category", "link", {"target": "categories"}),
    ("Status", "choice", {"choices": [{"value": s} for s in STATUSES]}),
    ("Note", "text", {}), ("Done", "boolean", {}), ("Ref", "text", {}),
]


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def settings_for(kind: str, data_dir: Path) -> tuple[Settings, callable]:
    if kind == "sqlite":
        return Settings(data_dir=data_dir), (lambda: None)
    schema = "cfb_" + uuid.uuid4().hex[:10]
    engine = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')

    def drop():
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        engine.dispose()

    return Settings(data_dir=data_dir, database_url=PG_URL, db_schema=schema), drop


def setup(rt, admin, table: str) -> None:
    if table == "facts":
        rt.schema.create_table(admin, {"label": "Categories", "api_name": "categories",
                                       "fields": [{"label": "Name", "type": "text"}]})
        rt.records.bulk_create(admin, "categories", [{"name": c} for c in CATEGORIES])
    rt.schema.create_table(admin, {"label": table.title(), "api_name": table, "fields": [
        {"label": label, "type": kind, "options": options} for label, kind, options in FIELDS]})


def csv_rows(n: int, seed: int = 5):
    rng = random.Random(seed)
    base = dt.date(2024, 1, 1)
    yield "Name;Code;Day;Amount;Units;Category;Status;Note;Done;Ref\n"
    for i in range(n):
        day = base + dt.timedelta(days=rng.randint(0, 700))
        amount = f"{rng.randint(0, 10**6) // 100},{rng.randint(0, 99):02d}"
        yield (f"Item {i};C{i:07d};{day:%d.%m.%Y};{amount};{rng.randint(0, 500)};{rng.choice(CATEGORIES)};"
               f"{rng.choice(STATUSES)};note {i % 97};{'yes' if i % 2 else 'no'};R{i}\n")


def write_csv(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        batch = []
        for line in csv_rows(n):
            batch.append(line)
            if len(batch) >= 10_000:
                handle.write("".join(batch))
                batch = []
        handle.write("".join(batch))


def bench_import(rt, admin, path: Path, n: int) -> None:
    from cardfile.reports.imports import ImportOptions, run_import

    samples = []

    def progress(rows: int) -> None:
        if rows % 100_000 == 0 or rows == n:
            samples.append((rows, rss_mb()))

    start = time.perf_counter()
    result = run_import(rt, admin, "facts", path, path.name, ImportOptions(), progress=progress)
    elapsed = time.perf_counter() - start
    assert result["written"] and result["created"] == n, result["errors"][:3]
    shown = ", ".join(f"{rows // 1000}k:{mb:.0f}" for rows, mb in samples[-6:])
    print(f"  import {n} rows (10 columns, validated): {elapsed:.1f} s "
          f"({n / elapsed:,.0f} rows/s); RSS MB at rows {shown}; peak {peak_mb():.0f} MB")


def bench_pivot(rt, admin) -> None:
    from cardfile.reports.pivot import run_pivot

    definition = {"rows": [{"field": "day", "date": "month"}], "columns": [{"field": "category"}],
                  "values": [{"field": "amount", "agg": "sum"}, {"agg": "count"}]}
    snap = rt.schema.snapshot()
    table = snap.table("facts")
    sql = snap.sql_table(table)
    day = sql.c[names.column_name(table.field("day").id)]
    cat = sql.c[names.column_name(table.field("category").id)]
    amount = sql.c[names.column_name(table.field("amount").id)]
    if rt.engine.dialect.name == "sqlite":
        key = sa.func.substr(day, sa.literal_column("1"), sa.literal_column("7"))
    else:
        key = sa.func.to_char(day, sa.literal_column("'YYYY-MM'"))
    raw = sa.select(key, cat, sa.func.sum(amount), sa.func.count()).where(sql.c.deleted_at.is_(None)) \
        .group_by(key, cat)

    def engine_run():
        return run_pivot(rt.records, admin, "facts", definition)

    def raw_run():
        with rt.engine.connect() as conn:
            return conn.execute(raw).all()

    timings = {}
    for name, fn in (("pivot", engine_run), ("raw SQL", raw_run)):
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
        timings[name] = best
    pivot = engine_run()
    print(f"  pivot month × category (sum, count; {len(pivot.rows)} rows × {len(pivot.columns)} columns "
          f"with totals): {timings['pivot'] * 1000:.0f} ms; raw SQL {timings['raw SQL'] * 1000:.0f} ms; "
          f"ratio {timings['pivot'] / timings['raw SQL']:.2f}")


def export_child(settings: Settings, fmt: str, out: str, queue) -> None:
    from cardfile.metamodel.records.stream import RowStream
    from cardfile.reports.exports import list_csv, list_xlsx

    rt = build_runtime(settings)
    admin = rt.users.by_username("admin")
    actor = rt.users.get(admin.id)
    start = time.perf_counter()
    source = rt.records.iter_rows(actor, "facts", action="export", batch=2000)
    top = [rss_mb()]

    def sampled():
        for batch in source.batches():
            top[0] = max(top[0], rss_mb())
            yield batch

    stream = RowStream(source.table, source.fields, sampled)
    if fmt == "csv":
        with open(out, "wb") as handle:
            for chunk in list_csv(rt.registry, stream):
                handle.write(chunk)
    else:
        list_xlsx(rt.registry, stream, out)
    top[0] = max(top[0], rss_mb())
    queue.put((time.perf_counter() - start, top[0], os.path.getsize(out)))
    rt.dispose()


def bench_exports(settings: Settings, tmp: Path, n: int) -> None:
    ctx = multiprocessing.get_context("spawn")
    for fmt in ("csv", "xlsx"):
        queue = ctx.Queue()
        out = str(tmp / f"export.{fmt}")
        proc = ctx.Process(target=export_child, args=(settings, fmt, out, queue))
        proc.start()
        elapsed, peak, size = queue.get()
        proc.join()
        print(f"  export {n} rows to {fmt.upper()}: {elapsed:.1f} s, {size / 2**20:.0f} MB file, "
              f"peak RSS {peak:.0f} MB (sampled in a fresh process)")
        os.unlink(out)


def bench_single_cell(rt, admin) -> None:
    """A one-cell pivot must cost no more than a list count with the same filter."""
    from cardfile.metamodel.records.query import ListQuery
    from cardfile.reports.pivot import run_pivot

    definition = {"rows": [], "columns": [], "filter": [{"field": "status", "op": "eq", "value": "won"}],
                  "values": [{"field": "amount", "agg": "sum"}, {"field": "amount", "agg": "avg"}, {"agg": "count"}]}

    def cell():
        return run_pivot(rt.records, admin, "facts", definition)

    def count():
        return rt.records.list(admin, "facts", ListQuery(filters=[("status", "eq", "won")], per_page=1))["total"]

    timings = {}
    for name, fn in (("cell", cell), ("count", count)) * 2:  # twice, alternating: warm both
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
        timings[name] = best
    print(f"  single-cell pivot (sum, avg, count where status = won): {timings['cell'] * 1000:.1f} ms; "
          f"list count with the same filter {timings['count'] * 1000:.1f} ms; "
          f"ratio {timings['cell'] / timings['count']:.2f} (target ≤ 1)")


def run(kind: str, n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        settings, drop = settings_for(kind, tmp / "data")
        rt = build_runtime(settings)
        try:
            admin = rt.users.create("admin", "admin-password", is_admin=True, bootstrap=True)
            setup(rt, admin, "facts")
            print(f"{kind}: {n} rows")
            path = tmp / "facts.csv"
            write_csv(path, n)
            bench_import(rt, admin, path, n)
            bench_pivot(rt, admin)
            bench_single_cell(rt, admin)
            bench_exports(settings, tmp, n)
        finally:
            rt.dispose()
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        run(kind, args.rows)


if __name__ == "__main__":
    sys.exit(main())
