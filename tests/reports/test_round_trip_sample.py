"""Each sample (customer accounting, retail shop) with its demo data: every table exported to CSV, XLSX and
JSON and imported (keeping the ids, in the order the tables link) into an empty database
with the same package gives the same records — formulas, totals and line items included."""

from __future__ import annotations

import pytest

from cardfile.metamodel.packages import apply_package, load_package
from cardfile.metamodel.packages.demo import load_demo
from cardfile.metamodel.packages.samples import sample_path
from cardfile.metamodel.records.query import ListQuery
from cardfile.metamodel.runtime import Settings, build_runtime
from cardfile.reports.imports import ImportOptions, run_import

from ..conftest import pg_schema
from .test_round_trip import comparable, export


def in_link_order(snap) -> list:
    """Top-level tables, each after the tables its links point at."""
    tables = {t.id: t for t in snap.live_tables()}
    targets = {t.id: {int(f.options["target_id"]) for tt in [t, *[snap.child_table(f) for f in t.fields
                                                                  if f.type == "lines"]]
                      for f in tt.fields if f.type == "link"} - {t.id} for t in tables.values()}
    done, order = set(), []
    while len(order) < len(tables):
        ready = [t for i, t in sorted(tables.items()) if i not in done and targets[i] <= done]
        assert ready, "the sample's links go round in a circle"
        for t in ready:
            order.append(t)
            done.add(t.id)
    return order


def every_record(rt, actor, table: str) -> list[dict]:
    out, page = [], 1
    while True:
        chunk = rt.records.list(actor, table, ListQuery(page=page, per_page=500, sort=["id"]))["records"]
        out += chunk
        if len(chunk) < 500:
            return out
        page += 1


@pytest.fixture(params=["customer-accounting", "retail-shop"])
def sample(runtime, admin, request):
    pkg = load_package(sample_path(request.param))
    apply_package(runtime, admin, pkg)
    load_demo(runtime, admin, pkg, seed=5)
    return runtime, admin, pkg


@pytest.fixture
def empty_copy(db, tmp_path, sample):
    """``make()`` -> (runtime, admin) of a new database with the package and the same users."""
    source, _, pkg = sample
    made, drops = [], []

    def make():
        url, _ = db
        n = len(made)
        if url.startswith("sqlite"):
            settings = Settings(data_dir=tmp_path / f"copy{n}", database_url=f"sqlite:///{tmp_path / f'copy{n}.db'}",
                                secret_key="test-secret")
        else:
            schema, drop = pg_schema()
            drops.append(drop)
            settings = Settings(data_dir=tmp_path / f"copy{n}", database_url=url, db_schema=schema,
                                secret_key="test-secret")
        rt = build_runtime(settings)
        made.append(rt)
        users = sorted(source.users.list(), key=lambda u: u["id"])
        admin = rt.users.create(users[0]["username"], "admin-password", name=users[0]["name"], is_admin=True,
                                bootstrap=True)
        for u in users[1:]:
            assert rt.users.create(u["username"], "some-password", name=u["name"], actor=admin).id == u["id"]
        apply_package(rt, admin, pkg)
        return rt, admin

    yield make
    for rt in made:
        rt.dispose()
    for drop in drops:
        drop()


def test_the_sample_comes_back_whole(sample, empty_copy, tmp_path):
    target, target_admin = empty_copy()
    for fmt in ("csv", "xlsx", "json"):
        check_format(sample, target, target_admin, tmp_path / fmt, fmt)
        empty_everything(target, target_admin)  # the next format starts from empty tables again


def empty_everything(rt, admin) -> None:
    """Every record to the trash, then every trash emptied (the ids are free again)."""
    for table in reversed(in_link_order(rt.schema.snapshot())):
        for record in every_record(rt, admin, table.api_name):
            rt.records.delete(admin, table.api_name, record["id"])
        rt.records.purge(admin, table.api_name)
        assert rt.records.list(admin, table.api_name, ListQuery(trashed=True))["total"] == 0


def check_format(sample, target, target_admin, tmp_path, fmt: str) -> None:
    tmp_path.mkdir()
    source, admin, _ = sample
    order = in_link_order(source.schema.snapshot())
    counts = {}
    for table in order:
        path, lines = export(source, admin, table.api_name, fmt, tmp_path)
        result = run_import(target, target_admin, table.api_name, path, path.name, ImportOptions(keep_ids=True),
                            lines_files=lines)
        assert result["errors"] == [], (table.api_name, result["errors"][:5])
        counts[table.api_name] = result["created"]
    if "invoices" in counts:  # customer accounting
        assert counts["clients"] == 40 and counts["invoices"] > 0 and sum(counts.values()) > 200
    else:
        assert sum(counts.values()) > 100 and all(counts[t] > 0 for t in counts if t in ("products", "sales"))
    for table in order:
        before = [comparable(r) for r in every_record(source, admin, table.api_name)]
        after = [comparable(r) for r in every_record(target, target_admin, table.api_name)]
        assert after == before, (fmt, table.api_name)
