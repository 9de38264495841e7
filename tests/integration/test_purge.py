"""Emptying the trash: one record, a table's trash, and the scheduled purge; its own
permission; line items and links; audit entries kept; ids never given out again."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from cardfile.metamodel.errors import AccessDenied, BadQuery, RecordNotFound
from cardfile.metamodel.records.query import ListQuery
from cardfile.metamodel.storage.platform_tables import cf_audit
from cardfile.reports.imports import ImportOptions, run_import


@pytest.fixture
def shop(runtime, admin, make_table):
    make_table("Clients", [("Name", "text", {"required": True})], api_name="clients")
    make_table("Invoices", [
        ("Number", "text"), ("Client", "link", {"target": "clients"}),
        ("Lines", "lines", {"fields": [{"label": "Qty", "type": "integer"}]}),
    ], api_name="invoices")
    c = [runtime.records.create(admin, "clients", {"name": n})["id"] for n in ("Acme", "Bolt", "Crab")]
    inv = [runtime.records.create(admin, "invoices", {"number": f"N{i}", "client": c[i % 3],
                                                       "lines": [{"qty": i}, {"qty": i + 10}]})["id"]
           for i in range(4)]
    return runtime, admin, c, inv


def row_count(rt, table: str, **where) -> int:
    snap = rt.schema.snapshot()
    sql = snap.sql_table(snap.table(table))
    stmt = sa.select(sa.func.count()).select_from(sql)
    for name, value in where.items():
        stmt = stmt.where(sql.c[name] == value)
    with rt.engine.connect() as conn:
        return conn.execute(stmt).scalar_one()


def audit_actions(rt, table: str, record_id: int) -> list[str]:
    table_id = rt.schema.snapshot().table(table).id
    with rt.engine.connect() as conn:
        return list(conn.execute(sa.select(cf_audit.c.action).where(
            cf_audit.c.table_id == table_id, cf_audit.c.record_id == record_id).order_by(cf_audit.c.id)).scalars())


def test_purge_needs_its_own_permission(shop):
    rt, admin, c, inv = shop
    clerk = rt.users.create("clerk", "clerk-password", actor=admin)
    rt.groups.create(admin, "clerks")
    rt.groups.add_member(admin, "clerks", "clerk")
    rt.groups.set_permission(admin, "clerks", "*", {"actions": ["read", "create", "update", "delete"]})
    rt.records.delete(clerk, "invoices", inv[0])
    with pytest.raises(AccessDenied) as refused:
        rt.records.purge(clerk, "invoices", inv[0])
    assert refused.value.details["action"] == "purge"
    with pytest.raises(AccessDenied):
        rt.records.purge(clerk, "invoices")
    rt.groups.set_permission(admin, "clerks", "invoices", {"actions": ["read", "delete", "purge"],
                                                           "rows": {"condition": 'number == "N0"'}})
    rt.records.delete(admin, "invoices", inv[1])
    assert rt.records.purge(clerk, "invoices")["purged"] == 1  # only the trashed record in its rows
    assert row_count(rt, "invoices") == 3
    with pytest.raises(RecordNotFound):
        rt.records.purge(clerk, "invoices", inv[1])  # outside its rows: not found


def test_purging_one_record_takes_its_lines_and_empties_links_to_it(shop):
    rt, admin, c, inv = shop
    with pytest.raises(RecordNotFound):
        rt.records.purge(admin, "invoices", inv[0])  # a live record is not in the trash
    with pytest.raises(BadQuery):
        rt.records.purge(admin, "invoices_lines")
    linked = rt.records.get(admin, "invoices", inv[0])
    rt.records.delete(admin, "clients", c[0])
    result = rt.records.purge(admin, "clients", c[0])
    assert result == {"table": "clients", "purged": 1, "lines": 0, "links_emptied": 2}
    after = rt.records.get(admin, "invoices", inv[0])
    assert after["client"] is None and after["version"] == linked["version"] + 1
    assert [e["action"] for e in rt.records.history(admin, "invoices", inv[0])][-1] == "update"
    assert audit_actions(rt, "clients", c[0]) == ["create", "delete", "purge"]  # the log keeps it
    with pytest.raises(RecordNotFound):
        rt.records.get(admin, "clients", c[0], trashed=True)

    rt.records.delete(admin, "invoices", inv[1])
    assert rt.records.purge(admin, "invoices", inv[1])["lines"] == 2
    assert row_count(rt, "invoices_lines", parent_id=inv[1]) == 0
    assert row_count(rt, "invoices_lines") == 6


def test_emptying_a_tables_trash(shop):
    rt, admin, c, inv = shop
    first = rt.records.get(admin, "invoices", inv[2])
    rt.records.update(admin, "invoices", inv[2], {"version": first["version"], "lines": first["lines"][:1]})
    rt.records.delete(admin, "invoices", inv[0])
    rt.records.delete(admin, "invoices", inv[3])
    result = rt.records.purge(admin, "invoices")
    assert (result["purged"], result["lines"]) == (2, 5)  # 2 + 2 lines, and the line removed from inv[2]
    assert row_count(rt, "invoices") == 2 and row_count(rt, "invoices_lines") == 3
    assert rt.records.list(admin, "invoices", ListQuery(trashed=True))["total"] == 0
    assert rt.records.purge(admin, "invoices")["purged"] == 0


def test_the_scheduled_purge_takes_what_was_trashed_long_enough_ago(shop):
    rt, admin, c, inv = shop
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    rt.records.clock = lambda: start
    rt.records.delete(admin, "invoices", inv[0])
    rt.records.delete(admin, "clients", c[2])
    rt.records.clock = lambda: start + dt.timedelta(days=20)
    rt.records.delete(admin, "invoices", inv[1])
    assert rt.records.purge_expired(30, now=start + dt.timedelta(days=29)) == {}
    assert rt.records.purge_expired(0, now=start + dt.timedelta(days=99)) == {}  # 0: keep the trash
    assert rt.records.purge_expired(30, now=start + dt.timedelta(days=31)) == {"clients": 1, "invoices": 1}
    trashed = rt.records.list(admin, "invoices", ListQuery(trashed=True))["records"]
    assert [r["id"] for r in trashed] == [inv[1]]
    with rt.engine.connect() as conn:
        entry = conn.execute(sa.select(cf_audit).where(cf_audit.c.action == "purge")
                             .order_by(cf_audit.c.id)).mappings().first()
    assert entry["user_id"] is None


def test_the_nightly_trash_job_uses_the_setting(shop, settings):
    import dataclasses

    from cardfile.metamodel.jobs import Jobs

    rt, admin, c, inv = shop
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    rt.records.clock = lambda: start
    rt.records.delete(admin, "invoices", inv[0])
    assert rt.settings.trash_days == 30  # the default
    jobs = Jobs(rt, "secret", clock=lambda: start + dt.timedelta(days=10), use_lock=False)
    assert jobs.run("trash") == {}
    rt.settings = dataclasses.replace(rt.settings, trash_days=7)
    assert jobs.run("trash") == {"invoices": 1}
    rt.settings = dataclasses.replace(rt.settings, trash_days=0)  # 0: the trash is kept
    rt.records.delete(admin, "invoices", inv[1])
    assert Jobs(rt, "secret", clock=lambda: start + dt.timedelta(days=999), use_lock=False).run("trash") == {}


def test_an_id_is_never_given_out_again(shop):
    rt, admin, c, inv = shop
    rt.records.delete(admin, "invoices", inv[-1])
    rt.records.purge(admin, "invoices", inv[-1])
    new = rt.records.create(admin, "invoices", {"number": "NEW"})
    assert new["id"] > inv[-1]
    assert [e["action"] for e in rt.records.history(admin, "invoices", new["id"])] == ["create"]
    bulk = rt.records.bulk_create(admin, "invoices", [{"number": "B1"}, {"number": "B2"}])
    assert bulk == {"created": 2} and row_count(rt, "invoices") == 6


def test_an_import_whose_records_were_purged_still_reverts(shop, tmp_path):
    rt, admin, c, inv = shop
    path = tmp_path / "inv.csv"
    path.write_text("Number,Client\nI1,Acme\nI2,Bolt\n", encoding="utf-8")
    report = run_import(rt, admin, "invoices", path, "inv.csv", ImportOptions())
    imported = rt.records.list(admin, "invoices", ListQuery(filters=[("number", "eq", "I1")]))["records"][0]
    rt.records.delete(admin, "invoices", imported["id"])
    rt.records.purge(admin, "invoices", imported["id"])
    assert rt.records.revert_import(admin, report["import_id"])["trashed"] == 1
    assert rt.records.list(admin, "invoices")["total"] == 4
