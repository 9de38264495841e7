"""Applying packages to a live database (SQLite and PostgreSQL): create, upgrade, refuse."""

from __future__ import annotations

import pytest

from cardfile.metamodel.errors import AccessDenied
from cardfile.metamodel.packages import (
    PackageChangesRefused, apply_package, installed_packages, load_package, plan_apply,
)
from cardfile.metamodel.packages.samples import sample_path


def test_sample_apply_creates_everything_and_twice_changes_nothing(runtime, admin):
    pkg = load_package(sample_path("customer-accounting"))
    report = apply_package(runtime, admin, pkg, source="customer-accounting")
    assert report["applied"] == len(pkg.tables) == 15
    assert all(c["action"] == "create_table" for c in report["changes"])
    tables = {t["api_name"]: t for t in runtime.schema.list_tables(admin)}
    assert set(tables) == {t.api_name for t in pkg.tables}
    assert [t["api_name"] for t in runtime.schema.list_tables(admin)][:3] == ["clients", "contacts", "events"]
    clients = tables["clients"]
    assert clients["section"] == "Clients" and clients["display_field"] == "name"
    assert [f["api_name"] for f in clients["fields"]] == [f["api_name"] for f in pkg.table("clients").spec["fields"]]
    by_name = {f["api_name"]: f for f in clients["fields"]}
    assert by_name["category"]["options"]["target"] == "client_categories"  # a link defined before its target
    assert by_name["status"]["options"]["choices"][0] == {"value": "lead", "label": "Lead", "color": "#f1c40f"}
    invoices = runtime.schema.get_table(admin, "invoices")
    lines = next(f for f in invoices["fields"] if f["api_name"] == "lines")
    child = runtime.schema.get_table(admin, lines["options"]["table"])
    assert [f["api_name"] for f in child["fields"]] == ["product", "description", "quantity", "price", "vat",
                                                        "amount", "vat_amount", "gross", "margin"]
    assert child["fields"][0]["options"]["target"] == "products"
    assert {t["section"] for t in tables.values()} == {"Clients", "Sales", "Catalogue", "Staff"}
    assert installed_packages(runtime)[0]["name"] == "customer-accounting"

    again = apply_package(runtime, admin, pkg)
    assert again["applied"] == 0 and again["changes"] == [] and again["notices"] == []
    # the new tables work through the record service, counters included
    client = runtime.records.create(admin, "clients", {"name": "Acme Ltd"})
    assert client["kind"] == "organization" and client["status"] == "lead"
    invoice = runtime.records.create(admin, "invoices", {
        "client": client["id"], "date": "2026-03-01",
        "lines": [{"description": "Consulting", "quantity": "2", "price": "100"}]})
    assert invoice["number"].startswith("INV-") and invoice["lines"][0]["vat"] == "20.00"


def test_forward_and_self_links_and_positions(runtime, admin, shop):
    report = apply_package(runtime, admin, load_package(shop))
    assert [c["description"] for c in report["changes"]] == [
        "create table orders (4 fields)", "create table customers (3 fields)"]
    orders = runtime.schema.get_table(admin, "orders")
    assert [f["api_name"] for f in orders["fields"]] == ["number", "customer", "status", "items"]
    assert orders["display_field"] == "number"
    customers = runtime.schema.get_table(admin, "customers")
    assert customers["fields"][2]["options"]["target"] == "customers"
    assert apply_package(runtime, admin, load_package(shop))["applied"] == 0


def test_changed_labels_options_and_new_fields_are_applied(runtime, admin, tmp_path, write_pkg, shop_spec):
    root = write_pkg(tmp_path / "shop", shop_spec)
    apply_package(runtime, admin, load_package(root))
    runtime.records.create(admin, "customers", {"name": "Acme", "code": "A1"})
    orders, customers = shop_spec
    orders["label"] = "Sales orders"
    orders["section"] = "Selling"
    orders["fields"][2]["label"] = "State"
    orders["fields"][2]["options"]["choices"].append({"value": "cancelled", "label": "Cancelled", "color": "#c0392b"})
    orders["fields"][2]["options"]["help_text"] = "Where the order is."
    orders["fields"][3]["options"]["fields"].append({"api_name": "note", "label": "Note", "type": "text"})
    customers["fields"][0]["options"]["max_length"] = 120
    customers["fields"].append({"api_name": "email", "label": "Email", "type": "email"})
    customers["display_field"] = "email"
    pkg = load_package(write_pkg(root, shop_spec, version="1.1.0"))

    plan = plan_apply(runtime, pkg, admin)
    described = [c.describe() for c in plan.changes]
    assert "change table orders: label 'Orders' -> 'Sales orders'; section 'Sales' -> 'Selling'" in described
    assert any(d.startswith("change field orders.status: label 'Status' -> 'State'; options (choices:") for d in described)
    assert "add field orders_items.note (text)" in described
    assert "add field customers.email (email)" in described
    assert "change field customers.name: options (max_length: None -> 120)" in described
    assert "change table customers: display_field 'name' -> 'email'" in described
    assert not plan.destructive and not plan.blocked

    report = apply_package(runtime, admin, pkg)
    assert report["applied"] == len(plan.changes) == 6
    table = runtime.schema.get_table(admin, "orders")
    status = table["fields"][2]
    assert table["label"] == "Sales orders" and table["section"] == "Selling"
    assert status["label"] == "State" and [c["value"] for c in status["options"]["choices"]] == ["new", "done", "cancelled"]
    assert status["options"]["help_text"] == "Where the order is."
    assert runtime.schema.get_table(admin, "customers")["display_field"] == "email"
    assert runtime.records.list(admin, "customers")["records"][0]["name"] == "Acme"  # data kept
    assert apply_package(runtime, admin, pkg)["applied"] == 0


def test_removed_flag_option_is_cleared_other_options_are_kept(runtime, admin, tmp_path, write_pkg, shop_spec):
    shop_spec[1]["fields"][1]["options"] = {"unique": True, "max_length": 10}
    root = write_pkg(tmp_path / "shop", shop_spec)
    apply_package(runtime, admin, load_package(root))
    shop_spec[1]["fields"][1]["options"] = {}
    report = apply_package(runtime, admin, load_package(write_pkg(root, shop_spec)))
    assert [c["description"] for c in report["changes"]] == ["change field customers.code: options (unique: True -> False)"]
    assert report["notices"] == ["field customers.code: option max_length=10 is not in the package; it is kept"]
    code = runtime.schema.get_table(admin, "customers")["fields"][1]
    assert code["options"]["unique"] is False and code["options"]["max_length"] == 10


def test_lossy_retype_is_refused_unless_allowed(runtime, admin, tmp_path, write_pkg, shop_spec):
    root = write_pkg(tmp_path / "shop", shop_spec)
    apply_package(runtime, admin, load_package(root))
    ok = runtime.records.create(admin, "customers", {"name": "Acme", "code": "42"})
    bad = runtime.records.create(admin, "customers", {"name": "Bolt", "code": "B-7"})
    shop_spec[1]["fields"][1] = {"api_name": "code", "label": "Code", "type": "integer"}
    shop_spec[1]["label"] = "Clients"
    pkg = load_package(write_pkg(root, shop_spec))

    plan = plan_apply(runtime, pkg, admin)
    retype = next(c for c in plan.changes if c.field == "code")
    assert retype.destructive and retype.lost == 1 and retype.losses[0]["id"] == bad["id"]
    with pytest.raises(PackageChangesRefused) as info:
        apply_package(runtime, admin, pkg)
    assert "destructive changes; nothing was changed" in info.value.message
    assert f"#{bad['id']}" in info.value.message
    table = runtime.schema.get_table(admin, "customers")
    assert table["label"] == "Customers" and table["fields"][1]["type"] == "text"  # nothing applied

    report = apply_package(runtime, admin, pkg, allow_destructive=True)
    assert report["applied"] == 2
    records = {r["id"]: r for r in runtime.records.list(admin, "customers")["records"]}
    assert records[ok["id"]]["code"] == 42 and records[bad["id"]]["code"] is None


def test_lossless_retype_and_unchecked_plan(runtime, admin, tmp_path, write_pkg, shop_spec):
    root = write_pkg(tmp_path / "shop", shop_spec)
    apply_package(runtime, admin, load_package(root))
    runtime.records.create(admin, "customers", {"name": "Acme", "code": "42"})
    shop_spec[1]["fields"][1] = {"api_name": "code", "label": "Code", "type": "integer"}
    pkg = load_package(write_pkg(root, shop_spec))
    unchecked = plan_apply(runtime, pkg)  # without an actor values are not checked
    assert unchecked.changes[0].destructive and "checked when applied" in unchecked.changes[0].describe()
    assert not plan_apply(runtime, pkg, admin).destructive
    assert apply_package(runtime, admin, pkg)["applied"] == 1


def test_unsupported_changes_are_blocked(runtime, admin, tmp_path, write_pkg, shop_spec):
    shop_spec.append({"api_name": "regions", "label": "Regions", "fields": [
        {"api_name": "name", "label": "Name", "type": "text"}]})
    root = write_pkg(tmp_path / "shop", shop_spec)
    apply_package(runtime, admin, load_package(root))
    shop_spec[1]["fields"][0]["type"] = "link"
    shop_spec[1]["fields"][0]["options"] = {"target": "regions"}
    shop_spec[0]["fields"][1]["options"]["target"] = "regions"
    pkg = load_package(write_pkg(root, shop_spec))
    with pytest.raises(PackageChangesRefused) as info:
        apply_package(runtime, admin, pkg, allow_destructive=True)
    assert "a text field cannot be changed into a link field" in info.value.message
    assert "the link's target cannot change (customers -> regions)" in info.value.message


def test_database_extras_are_reported_never_deleted(runtime, admin, make_table, shop):
    apply_package(runtime, admin, load_package(shop))
    make_table("Notes", [("Text", "text")])
    runtime.schema.add_field(admin, "customers", {"api_name": "vip", "label": "VIP", "type": "boolean"})
    report = apply_package(runtime, admin, load_package(shop))
    assert report["applied"] == 0
    assert sorted(report["notices"]) == ["field customers.vip (VIP) is not in the package; it is kept",
                                         "table notes (Notes) is not in the package; it is kept"]
    assert "vip" in [f["api_name"] for f in runtime.schema.get_table(admin, "customers")["fields"]]


def test_trashed_table_with_the_same_name_blocks(runtime, admin, make_table, shop):
    make_table("Old customers", [("Name", "text")], api_name="customers")
    runtime.schema.delete_table(admin, "customers")
    with pytest.raises(PackageChangesRefused, match="is in the trash; restore or purge it first"):
        apply_package(runtime, admin, load_package(shop))


def test_only_administrators_apply(runtime, admin, staff, shop):
    with pytest.raises(AccessDenied):
        apply_package(runtime, staff, load_package(shop))
    assert runtime.schema.list_tables(admin) == []


def test_dry_run_changes_nothing(runtime, admin, shop):
    report = apply_package(runtime, admin, load_package(shop), dry_run=True)
    assert report["dry_run"] and len(report["changes"]) == 2 and report["applied"] == 0
    assert runtime.schema.list_tables(admin) == [] and installed_packages(runtime) == []


def test_removed_choice_in_use_is_destructive(runtime, admin, tmp_path, write_pkg, shop_spec):
    root = write_pkg(tmp_path / "shop", shop_spec)
    apply_package(runtime, admin, load_package(root))
    customer = runtime.records.create(admin, "customers", {"name": "Acme"})
    order = runtime.records.create(admin, "orders", {"customer": customer["id"], "status": "done"})
    shop_spec[0]["fields"][2]["options"]["choices"].pop()  # "done"
    pkg = load_package(write_pkg(root, shop_spec))
    plan = plan_apply(runtime, pkg, admin)
    assert [(c.field, c.lost) for c in plan.destructive] == [("status", 1)]
    assert plan.destructive[0].losses[0]["id"] == order["id"]
    with pytest.raises(PackageChangesRefused):
        apply_package(runtime, admin, pkg)
    assert runtime.records.get(admin, "orders", order["id"])["status"] == "done"


def test_existing_table_gets_a_link_to_a_new_table(runtime, admin, tmp_path, write_pkg, shop_spec):
    root = write_pkg(tmp_path / "shop", shop_spec)
    apply_package(runtime, admin, load_package(root))
    shop_spec[1]["fields"].append({"api_name": "region", "label": "Region", "type": "link",
                                   "options": {"target": "regions"}})
    shop_spec.append({"api_name": "regions", "label": "Regions", "section": "Sales",
                      "fields": [{"api_name": "name", "label": "Name", "type": "text"}]})
    report = apply_package(runtime, admin, load_package(write_pkg(root, shop_spec)))
    assert [c["description"] for c in report["changes"]] == [
        "add field customers.region (link)", "create table regions (1 fields)"]
    region = next(f for f in runtime.schema.get_table(admin, "customers")["fields"] if f["api_name"] == "region")
    assert region["options"]["target"] == "regions"
