"""Upgrading a live base: v1 with data -> v2 (a rename, a new field, a dropped field, a label),
local additions kept, conflicts refused, destructive steps behind a flag and a backup, one
transaction (a failure halfway leaves the base as it was), the history. SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cardfile.metamodel.errors import CardfileError, PackageInvalid
from cardfile.metamodel.packages import load_package
from cardfile.metamodel.packages.apply import PackageChangesRefused
from cardfile.metamodel.packages.history import history
from cardfile.metamodel.packages.upgrade import PackageConflict, plan_upgrade, upgrade
from cardfile.metamodel.records.query import ListQuery
from cardfile.metamodel.views import ViewService
from cardfile.platform.cli import cli
from cardfile.reports.service import ReportService

LOCAL = ["field customers.vip (VIP)", "view customers/VIPs", "report Customers by VIP"]

V1 = [
    {"api_name": "customers", "label": "Customers", "display_field": "name", "fields": [
        {"api_name": "name", "label": "Name", "type": "text", "options": {"required": True}},
        {"api_name": "phone_no", "label": "Phone", "type": "text"},
        {"api_name": "fax", "label": "Fax", "type": "text"},
    ]},
    {"api_name": "notes", "label": "Notes", "fields": [{"api_name": "text", "label": "Text", "type": "text"}]},
]


def v2_tables() -> list[dict]:
    tables = copy.deepcopy(V1[:1])  # notes are gone in v2
    fields = tables[0]["fields"]
    fields[1] = {"api_name": "phone", "label": "Telephone", "type": "text", "renamed_from": "phone_no"}
    del fields[2]  # fax is gone
    fields.append({"api_name": "email", "label": "Email", "type": "email"})
    return tables


@pytest.fixture
def base(runtime, admin, write_pkg, tmp_path):
    """v1 applied, 30 customers (20 with a fax), 5 notes, and a field added here (local)."""
    upgrade(runtime, admin, load_package(write_pkg(tmp_path / "v1", V1, name="crm", version="1.0.0")))
    runtime.records.bulk_create(admin, "customers", [
        {"name": f"C{i}", "phone_no": f"+1 555 {i:04}", "fax": f"fax {i}" if i < 20 else None} for i in range(30)])
    runtime.records.bulk_create(admin, "notes", [{"text": f"n{i}"} for i in range(5)])
    runtime.schema.add_field(admin, "customers", {"api_name": "vip", "label": "VIP", "type": "boolean"})
    ViewService(runtime.engine, runtime.catalog, runtime.access).create_view(
        admin, "customers", "VIPs", {"columns": ["name", "vip"]}, kind="shared")
    ReportService(runtime).create(admin, {"name": "Customers by VIP", "table": "customers", "shared": True,
                                          "definition": {"rows": [{"field": "vip"}], "values": [{"agg": "count"}]}})
    return write_pkg(tmp_path / "v2", v2_tables(), name="crm", version="2.0.0")


def values(runtime, admin, table: str, field: str) -> list:
    rows = runtime.records.list(admin, table, ListQuery(per_page=500, sort=["id"]))["records"]
    return [r.get(field) for r in rows]


def test_the_plan_lists_destructive_steps_first_with_their_counts(runtime, admin, base):
    plan = plan_upgrade(runtime, load_package(base), admin).to_dict()
    assert plan["previous"] == "1.0.0"
    actions = [(c["action"], c["table"], c["field"], c["lost"]) for c in plan["changes"]]
    assert actions[:2] == [("drop_table", "notes", None, 5), ("drop_field", "customers", "fax", 20)]
    assert ("rename_field", "customers", "phone_no", 0) in actions
    assert ("add_field", "customers", "email", 0) in actions
    label = next(c for c in plan["changes"] if c["action"] == "update_field")
    assert label["changes"]["label"] == ["Phone", "Telephone"]
    assert not any(c["action"] == "add_field" and c["field"] == "phone" for c in plan["changes"])  # never drop + add
    assert plan["local"] == LOCAL and plan["conflicts"] == []


def test_upgrade_keeps_every_record_and_the_local_field(runtime, admin, base, settings):
    pkg = load_package(base)
    with pytest.raises(PackageChangesRefused, match="destructive"):
        upgrade(runtime, admin, pkg)
    assert runtime.schema.snapshot().table("customers").field("phone") is None  # nothing was changed
    phones = values(runtime, admin, "customers", "phone_no")
    report = upgrade(runtime, admin, pkg, allow_destructive=True)
    assert Path(report["backup"]).is_file() and Path(report["backup"]).parent == Path(settings.data_dir) / "backups"
    table = runtime.schema.snapshot().table("customers")
    assert [f.api_name for f in table.fields] == ["name", "phone", "vip", "email"]
    assert table.field("phone").label == "Telephone"
    assert values(runtime, admin, "customers", "phone") == phones
    assert len(values(runtime, admin, "customers", "name")) == 30
    assert report["local"] == LOCAL
    trashed = {t.api_name for t in runtime.schema.snapshot().tables.values() if not t.live}
    assert "notes" in trashed  # in the trash, restorable
    done = history(runtime.engine, "crm")
    assert [(h["version"], h["state"]) for h in done] == [("2.0.0", "applied"), ("1.0.0", "applied")]
    assert done[0]["actor_name"] == "admin" and done[0]["backup"] == report["backup"]
    assert [c["action"] for c in done[0]["plan"]["changes"]][:2] == ["drop_table", "drop_field"]
    planned = {c["action"]: c["lost"] for c in report["changes"] if c["action"].startswith("drop_")}
    runtime.schema.restore_field(admin, "customers", "fax")  # the plan's counts are what was moved
    runtime.schema.restore_table(admin, "notes")
    assert planned == {"drop_table": len(values(runtime, admin, "notes", "text")),
                       "drop_field": sum(1 for v in values(runtime, admin, "customers", "fax") if v)} \
        == {"drop_table": 5, "drop_field": 20}
    runtime.schema.delete_field(admin, "customers", "fax")
    runtime.schema.delete_table(admin, "notes")
    again = plan_upgrade(runtime, pkg, admin)
    assert again.changes == [] and again.local == LOCAL
    assert [v["name"] for v in ViewService(runtime.engine, runtime.catalog, runtime.access).list_views(
        admin, "customers")] == ["VIPs"]


def test_a_vendor_field_named_like_a_local_one_is_a_conflict(runtime, admin, base, write_pkg, tmp_path):
    tables = v2_tables()
    tables[0]["fields"].append({"api_name": "vip", "label": "Very important", "type": "boolean"})
    pkg = load_package(write_pkg(tmp_path / "v3", tables, name="crm", version="3.0.0"))
    with pytest.raises(PackageConflict) as caught:
        upgrade(runtime, admin, pkg, allow_destructive=True)
    assert "customers.vip" in caught.value.message and "vip_local" in caught.value.message
    assert runtime.schema.snapshot().table("customers").field("phone") is None
    assert [h["version"] for h in history(runtime.engine, "crm")] == ["1.0.0"]
    upgrade(runtime, admin, pkg, allow_destructive=True, adopt=True)
    assert runtime.schema.snapshot().table("customers").field("vip").label == "Very important"
    assert plan_upgrade(runtime, pkg, admin).local == LOCAL[1:]


def test_a_failure_halfway_leaves_the_base_as_it_was(runtime, admin, base):
    before = runtime.schema.snapshot()
    shape = {t.api_name: [f.api_name for f in t.fields] for t in before.live_tables()}

    def breaks(rt, actor, pkg):  # after the schema changes, groups, layouts and views are done
        assert rt.schema.snapshot().table("customers").field("email") is not None
        raise CardfileError("the disk is full")

    with pytest.raises(CardfileError, match="the disk is full"):
        upgrade(runtime, admin, load_package(base), allow_destructive=True, steps=[("breaks", breaks)])
    after = runtime.schema.snapshot()
    assert {t.api_name: [f.api_name for f in t.fields] for t in after.live_tables()} == shape
    assert len(values(runtime, admin, "notes", "text")) == 5
    assert values(runtime, admin, "customers", "fax")[:2] == ["fax 0", "fax 1"]
    done = history(runtime.engine, "crm")
    assert (done[0]["version"], done[0]["state"], done[0]["error"]) == ("2.0.0", "failed", "the disk is full")
    runtime.records.create(admin, "customers", {"name": "still writable"})


def test_a_package_in_a_newer_format_names_the_cardfile_it_needs(write_pkg, tmp_path):
    root = write_pkg(tmp_path / "future", V1, name="crm")
    manifest = yaml.safe_load((root / "package.yaml").read_text())
    (root / "package.yaml").write_text(yaml.safe_dump({"format": 2, "cardfile": "3.1", **manifest}))
    with pytest.raises(PackageInvalid, match=r"package format 2, which needs Cardfile 3\.1 or newer"):
        load_package(root)


def test_cli_diff_apply_history(settings, write_pkg, tmp_path):
    env = {"CARDFILE_DATA_DIR": str(settings.data_dir), "CARDFILE_DATABASE_URL": settings.database_url,
           "CARDFILE_DB_SCHEMA": settings.db_schema or "", "CARDFILE_SECRET_KEY": "test-secret"}

    def run(*args):
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    assert run("init").exit_code == 0
    v1 = write_pkg(tmp_path / "v1", V1, name="crm", version="1.0.0")
    assert run("config", "diff", str(v1)).output.splitlines()[:2] == [
        "crm (not applied here yet) -> 1.0.0", "Additions (2):"]
    assert run("config", "apply", str(v1)).exit_code == 0
    v2 = write_pkg(tmp_path / "v2", v2_tables(), name="crm", version="2.0.0")
    diff = run("config", "diff", str(v2)).output.splitlines()
    assert diff[:4] == ["crm 1.0.0 -> 2.0.0",
                        "Destructive (2; need --allow-destructive, a backup is taken first):",
                        "  move table notes to the trash (not in this version; 0 record(s))  [destructive]",
                        "  move field customers.fax to the trash (not in this version; 0 record(s) have a value)"
                        "  [destructive]"]
    refused = run("config", "apply", str(v2))
    assert refused.exit_code == 1 and "nothing was changed" in refused.output
    applied = run("config", "apply", str(v2), "--allow-destructive")
    assert applied.exit_code == 0 and "backup taken first" in applied.output, applied.output
    lines = run("config", "history").output.splitlines()
    assert lines[0].split() == ["id", "when", "package", "version", "who", "state", "changes", "backup"]
    assert [line.split()[4:7] for line in lines[1:]] == [["2.0.0", "admin", "applied"], ["1.0.0", "admin", "applied"]]
