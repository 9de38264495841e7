"""Benchmark: what a reader's row rule costs when a request reaches across a link.

    python tests/benchmarks/scopes.py [--contacts 100000] [--db sqlite|postgresql|both]

A ``clients`` table (2,000 rows, each managed by one of 20 users) and ``contacts`` linking
to it. An administrator and a manager whose group reads every contact but only the clients
they manage (``manager == me``, 5 % of them) send the same requests; p50 and p95 of each,
and the manager / administrator ratio:

* a list page of contacts sorted by client (the sort joins the linked client),
* a list with ``where=client.name == "…"`` (a path through the link),
* a list with a quick search (which also matches the linked client's name),
* a pivot of contacts grouped by ``client.name``.

Run it on two versions of the code to compare them: the figures of one run are relative
to each other, the machine being shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from cardfile.metamodel.formulas.filters import where_filter
from cardfile.metamodel.records.query import ListQuery
from cardfile.metamodel.runtime import Settings, build_runtime
from cardfile.reports.pivot import run_pivot

PG_URL = os.environ.get("CARDFILE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1/test")
CLIENTS, MANAGERS = 2000, 20


def percentiles(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples) * 1000, samples[max(0, int(len(samples) * 0.95) - 1)] * 1000


def timed(fn, n: int) -> tuple[float, float]:
    fn()  # warm up
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
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


def load(rt, n_contacts: int):
    admin = rt.users.create("admin", "admin-password-1", is_admin=True, bootstrap=True)
    managers = [rt.users.create(f"m{i}", "manager-password-1", actor=admin) for i in range(MANAGERS)]
    rt.schema.create_table(admin, {"label": "Clients", "api_name": "clients", "fields": [
        {"label": "Name", "type": "text", "options": {"indexed": True}},
        {"label": "Manager", "type": "user"}]})
    rt.schema.create_table(admin, {"label": "Contacts", "api_name": "contacts", "fields": [
        {"label": "Name", "type": "text"}, {"label": "Client", "type": "link", "options": {"target": "clients"}}]})
    rt.records.bulk_create(admin, "clients", [
        {"name": f"Client {i}", "manager": managers[i % MANAGERS].id} for i in range(CLIENTS)])
    ids, page = [], 1
    while len(ids) < CLIENTS:
        ids += [r["id"] for r in rt.records.list(admin, "clients", ListQuery(per_page=500, page=page))["records"]]
        page += 1
    for start in range(0, n_contacts, 20000):
        rt.records.bulk_create(admin, "contacts", [
            {"name": f"Contact {i}", "client": ids[i % CLIENTS]} for i in range(start, min(n_contacts, start + 20000))])
    rt.groups.create(admin, "managers")
    rt.groups.set_permission(admin, "managers", "clients", {"actions": ["read"], "rows": {"condition": "manager == me"}})
    rt.groups.set_permission(admin, "managers", "contacts", {"actions": ["read"]})
    rt.groups.add_member(admin, "managers", "m3")
    manager = rt.users.authenticate("m3", "manager-password-1")
    return admin, manager


def run(kind: str, n_contacts: int, n_requests: int, tmp: Path) -> None:
    settings, drop = setup(kind, tmp)
    rt = build_runtime(settings)
    try:
        start = time.perf_counter()
        admin, manager = load(rt, n_contacts)
        print(f"\n{kind}: {CLIENTS} clients, {n_contacts} contacts loaded in {time.perf_counter() - start:.1f} s")
        requests = {
            "list sorted by client": lambda who: rt.records.list(who, "contacts", ListQuery(sort=["client"])),
            "where client.name ==": lambda who: rt.records.list(who, "contacts", ListQuery(
                where=where_filter('client.name == "Client 3"', rt.registry, me=who))),
            "quick search": lambda who: rt.records.list(who, "contacts", ListQuery(search="Contact 77")),
            "pivot by client.name": lambda who: run_pivot(rt.records, who, "contacts", {
                "rows": [{"field": "client.name"}], "values": [{"agg": "count"}]}),
        }
        print(f"{'request':<24}{'admin p50/p95 ms':>20}{'manager p50/p95 ms':>22}{'ratio p50':>11}")
        for name, fn in requests.items():
            a50, a95 = timed(lambda: fn(admin), n_requests)
            m50, m95 = timed(lambda: fn(manager), n_requests)
            print(f"{name:<24}{a50:>10.1f} / {a95:<8.1f}{m50:>12.1f} / {m95:<8.1f}{m50 / a50:>10.2f}")
    finally:
        rt.dispose()
        if drop:
            drop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            run(kind, args.contacts, args.requests, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
