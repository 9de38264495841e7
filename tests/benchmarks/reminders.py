"""Benchmark: the reminder scheduler's minute tick among a million records with a date field.

    python tests/benchmarks/reminders.py [--records 1000000] [--db sqlite|postgresql|both] [--ticks 60]

An ``events`` table with a date-time field spread over a year (about two events a
minute) and a rule "15 minutes before, when status != done, to the responsible user". For
``--ticks`` consecutive minutes it times

* **find**: the query that finds the records falling due in the minute (a range on the date
  field's index; the rule gave the field one when it was saved),
* **tick**: the whole job for the minute — rules, find, each recipient's read through the
  record service, the claim by unique key, inbox items and history in one commit,

prints p50 and p95 of each, the number delivered, and the database's plan of the find query
(it must use the index on the date, not scan the table). The target is a tick ≤ 100 ms.
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
from pathlib import Path

import sqlalchemy as sa

from cardfile.metamodel.records.due import due_plan, due_rows
from cardfile.metamodel.reminders import ReminderEngine, RuleService
from cardfile.metamodel.reminders.rules import rule_timing
from cardfile.metamodel.runtime import Settings, build_runtime

PG_URL = os.environ.get("CARDFILE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1/test")
UTC = dt.timezone.utc
START = dt.datetime(2026, 1, 1, tzinfo=UTC)
USERS = 10
BATCH = 20_000


def percentiles(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples) * 1000, samples[max(0, int(len(samples) * 0.95) - 1)] * 1000


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


def load(rt, records: int, clock):
    admin = rt.users.create("admin", "admin-password-1", is_admin=True, bootstrap=True)
    rt.groups.create(admin, "staff")
    rt.groups.set_permission(admin, "staff", "*", {"actions": ["read"]})
    users = []
    for i in range(USERS):
        users.append(rt.users.create(f"u{i}", "user-password-1", actor=admin))
        rt.groups.add_member(admin, "staff", f"u{i}")
    rt.schema.create_table(admin, {"label": "Events", "api_name": "events", "fields": [
        {"label": "Subject", "api_name": "subject", "type": "text"},
        {"label": "Starts at", "api_name": "starts_at", "type": "datetime"},
        {"label": "Status", "api_name": "status", "type": "choice", "options": {
            "choices": [{"value": "planned"}, {"value": "done"}]}},
        {"label": "Responsible", "api_name": "responsible", "type": "user"}]})
    rng = random.Random(3)
    seconds = 365 * 86_400
    started = time.perf_counter()
    for first in range(0, records, BATCH):
        rows = [{"subject": f"event {i}", "status": "done" if rng.random() < 0.2 else "planned",
                 "responsible": rng.choice(users).id,
                 "starts_at": (START + dt.timedelta(seconds=rng.randrange(seconds))).isoformat()}
                for i in range(first, min(records, first + BATCH))]
        rt.records.bulk_create(admin, "events", rows)
    print(f"  loaded {records:,} events in {time.perf_counter() - started:.1f} s")
    rule = RuleService(rt, clock=clock).create(admin, {
        "table": "events", "name": "Soon", "field": "starts_at", "condition": 'status != "done"',
        "offset": {"amount": 15, "unit": "minutes", "direction": "before"},
        "recipients": [{"type": "field", "field": "responsible"}], "message": "{subject} at {starts_at}"})
    return rule


def run(kind: str, records: int, ticks: int) -> None:
    print(f"\n== {kind}: {records:,} records, {ticks} ticks ==")
    with tempfile.TemporaryDirectory() as tmp:
        settings, drop = setup(kind, Path(tmp))
        rt = build_runtime(settings)
        try:
            now = {"t": START + dt.timedelta(days=100, hours=9)}
            load(rt, records, lambda: now["t"])
            if kind == "sqlite":
                with rt.engine.begin() as conn:
                    conn.exec_driver_sql("ANALYZE")
            engine = ReminderEngine(rt, clock=lambda: now["t"])
            snap = rt.schema.snapshot()
            table = snap.table("events")
            field = table.field("starts_at")
            with rt.engine.connect() as conn:
                rule = conn.execute(sa.text("SELECT definition FROM cf_reminder_rules")).scalar_one()
            definition = rule if isinstance(rule, dict) else __import__("json").loads(rule)
            timing = rule_timing(definition, "datetime", dt.timezone.utc)
            finds, tick_times, delivered = [], [], 0
            for _ in range(ticks):
                previous = now["t"]
                now["t"] += dt.timedelta(minutes=1)
                candidates = timing.candidates(previous, now["t"])
                started = time.perf_counter()
                with rt.engine.connect() as conn:
                    due_rows(conn, snap, rt.registry, table, field, candidates, definition["condition"],
                             ["responsible"], today=now["t"].date(), now=now["t"])
                finds.append(time.perf_counter() - started)
                started = time.perf_counter()
                report = engine.tick(now["t"])
                tick_times.append(time.perf_counter() - started)
                delivered += report.delivered
            p50, p95 = percentiles(finds)
            t50, t95 = percentiles(tick_times)
            print(f"  find due records: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
            print(f"  whole minute tick: p50 {t50:.1f} ms, p95 {t95:.1f} ms ({delivered} reminders delivered in "
                  f"{ticks} minutes)")
            with rt.engine.connect() as conn:
                plan = due_plan(conn, snap, rt.registry, table, field, timing.candidates(
                    now["t"], now["t"] + dt.timedelta(minutes=1)), definition["condition"], [],
                    today=now["t"].date(), now=now["t"])
            print("  plan of the find query:")
            for line in plan:
                print(f"    {line}")
            uses_index = any(f"ix_{table.id}_{field.id}" in line for line in plan)
            print(f"  uses the index on the date: {'yes' if uses_index else 'NO'}")
        finally:
            rt.dispose()
            if drop:
                drop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--ticks", type=int, default=60)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    args = parser.parse_args(argv)
    for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        run(kind, args.records, args.ticks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
