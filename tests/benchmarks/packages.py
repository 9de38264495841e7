"""Benchmark: ``config diff`` and ``config apply`` of a v1 -> v2 package upgrade on a live base.

    python tests/benchmarks/packages.py [--records 100000] [--db sqlite|postgresql|both]

v1 (customers and orders) is applied to an empty base; ``--records`` records are loaded
(customers and orders half and half, through the record service's bulk path) and a field is
added here (local). Then it times

* **diff**: the plan of v2 — a renamed field (``renamed_from``), changed labels, a length
  limit that every value is checked against (a dry run over 50,000 customers), three new
  fields, a new choice, a new table, a shared view — with the record counts;
* **apply**: v2 in one transaction (no destructive step);
* **diff/apply destructive**: v3, which drops a field v2 still had (counted, a backup first).

It checks that every record and the local field are kept and prints the times. Targets:
diff <= 2 s, apply without destructive steps <= 10 s.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
import yaml

from cardfile.metamodel.packages import load_package
from cardfile.metamodel.packages.upgrade import plan_upgrade, upgrade
from cardfile.metamodel.records.query import ListQuery
from cardfile.metamodel.runtime import Settings, build_runtime

PG_URL = os.environ.get("CARDFILE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1/test")
BATCH = 10_000
STATUS = {"api_name": "status", "label": "Status", "type": "choice", "options": {"choices": [
    {"value": "new", "label": "New"}, {"value": "paid", "label": "Paid"}]}}
V1 = [
    {"api_name": "customers", "label": "Customers", "display_field": "name", "fields": [
        {"api_name": "name", "label": "Name", "type": "text", "options": {"required": True, "indexed": True}},
        {"api_name": "phone_no", "label": "Phone", "type": "text"},
        {"api_name": "fax", "label": "Fax", "type": "text"},
        {"api_name": "city", "label": "City", "type": "text"}]},
    {"api_name": "orders", "label": "Orders", "display_field": "number", "fields": [
        {"api_name": "number", "label": "Number", "type": "text"},
        {"api_name": "customer", "label": "Customer", "type": "link", "options": {"target": "customers"}},
        {"api_name": "amount", "label": "Amount", "type": "decimal", "options": {"places": 2}},
        STATUS]},
]


def v2() -> list[dict]:
    tables = copy.deepcopy(V1)
    customers, orders = tables[0]["fields"], tables[1]["fields"]
    customers[1] = {"api_name": "phone", "label": "Telephone", "type": "text", "renamed_from": "phone_no"}
    customers[3].update({"label": "Town", "options": {"max_length": 60}})  # narrower: every value checked
    customers += [{"api_name": "email", "label": "Email", "type": "email"},
                  {"api_name": "since", "label": "Customer since", "type": "date"}]
    orders[3]["options"]["choices"].append({"value": "cancelled", "label": "Cancelled"})
    orders.append({"api_name": "note", "label": "Note", "type": "long_text"})
    tables.append({"api_name": "visits", "label": "Visits", "fields": [
        {"api_name": "customer", "label": "Customer", "type": "link", "options": {"target": "customers"}},
        {"api_name": "day", "label": "Day", "type": "date"}]})
    return tables


def write(root: Path, tables: list[dict], version: str, views: bool = True) -> Path:
    (root / "tables").mkdir(parents=True, exist_ok=True)
    (root / "package.yaml").write_text(yaml.safe_dump({"name": "bench", "version": version, "title": "Bench",
                                                       "tables": [t["api_name"] for t in tables]}))
    for t in tables:
        (root / "tables" / f"{t['api_name']}.yaml").write_text(yaml.safe_dump(t, sort_keys=False))
    if views:
        (root / "views.yaml").write_text(yaml.safe_dump({"views": [
            {"table": "orders", "name": "Open orders", "definition": {"columns": ["number", "customer", "amount"],
                                                                      "filters": [["status", "eq", "new"]]}}]}))
    return root


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


def timed(what, *args, **kwargs):
    started = time.perf_counter()
    result = what(*args, **kwargs)
    return result, time.perf_counter() - started


def run(kind: str, records: int) -> dict:
    print(f"\n== {kind}: {records:,} records ==")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        settings, drop = setup(kind, tmp)
        rt = build_runtime(settings)
        try:
            admin = rt.users.create("admin", "admin-password-1", is_admin=True, bootstrap=True)
            upgrade(rt, admin, load_package(write(tmp / "v1", V1, "1.0.0", views=False)))
            started = time.perf_counter()
            half = records // 2
            for first in range(0, half, BATCH):
                rt.records.bulk_create(admin, "customers", [
                    {"name": f"Customer {i}", "phone_no": f"+1 555 {i:07}", "fax": f"{i}" if i % 3 else None,
                     "city": "Springfield"} for i in range(first, min(half, first + BATCH))])
            for first in range(0, records - half, BATCH):
                rt.records.bulk_create(admin, "orders", [
                    {"number": f"O-{i}", "customer": 1 + i % half, "amount": "10.50", "status": "new"}
                    for i in range(first, min(records - half, first + BATCH))])
            rt.schema.add_field(admin, "customers", {"api_name": "vip", "label": "VIP", "type": "boolean"})
            print(f"  loaded {records:,} records in {time.perf_counter() - started:.1f} s")

            pkg2 = load_package(write(tmp / "v2", v2(), "2.0.0"))
            plan, diff_s = timed(plan_upgrade, rt, pkg2, admin)
            print(f"  diff v1 -> v2: {diff_s:.2f} s ({len(plan.changes)} changes, {len(plan.destructive)} destructive, "
                  f"local: {', '.join(plan.local)})")
            report, apply_s = timed(upgrade, rt, admin, pkg2)
            print(f"  apply v1 -> v2 (no destructive step): {apply_s:.2f} s ({report['applied']} changes)")

            v3 = v2()
            v3[0]["fields"] = [f for f in v3[0]["fields"] if f["api_name"] != "fax"]
            pkg3 = load_package(write(tmp / "v3", v3, "3.0.0"))
            plan3, diff3_s = timed(plan_upgrade, rt, pkg3, admin)
            print(f"  diff v2 -> v3: {diff3_s:.2f} s ({plan3.ordered()[0].describe()})")
            report3, apply3_s = timed(upgrade, rt, admin, pkg3, allow_destructive=True)
            print(f"  apply v2 -> v3 (destructive, backup first): {apply3_s:.2f} s")

            total = sum(rt.records.list(admin, t, ListQuery(per_page=1))["total"] for t in ("customers", "orders"))
            phones = rt.records.list(admin, "customers", ListQuery(per_page=1, filters=[("phone", "is_not_empty", "")]))
            assert total == records and phones["total"] == half, (total, phones["total"])
            assert rt.schema.snapshot().table("customers").field("vip") is not None
            print(f"  kept: {total:,} records, {phones['total']:,} phones renamed in place, local field vip")
            return {"diff": diff_s, "apply": apply_s, "diff_destructive": diff3_s, "apply_destructive": apply3_s}
        finally:
            rt.dispose()
            if drop:
                drop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    failed = False
    for kind in kinds:
        result = run(kind, args.records)
        ok = result["diff"] <= 2 and result["apply"] <= 10
        failed |= not ok
        print(f"  {kind}: diff {result['diff']:.2f} s (target 2 s), apply {result['apply']:.2f} s (target 10 s): "
              + ("OK" if ok else "ABOVE TARGET"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
