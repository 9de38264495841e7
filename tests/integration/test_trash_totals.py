"""A record in the trash takes its line items out of every read: lists, cards, pivots,
aggregates, exports, lookups and formulas over back-links; restoring it brings them back."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest

from cardfile.metamodel.errors import RecordNotFound
from cardfile.metamodel.records.aggregate import AggregateSpec, Group, Measure
from cardfile.metamodel.records.query import ListQuery
from cardfile.reports.exports import list_csv, list_json, list_xlsx


@pytest.fixture
def shop(runtime, admin, make_table):
    make_table("Clients", [("Name", "text", {"required": True})], api_name="clients")
    make_table("Products", [("Name", "text", {"required": True})], api_name="products")
    make_table("Invoices", [
        ("Client", "link", {"target": "clients"}),
        ("Lines", "lines", {"fields": [
            {"label": "Product", "type": "link", "options": {"target": "products"}},
            {"label": "Qty", "type": "integer"},
            {"label": "Amount", "type": "money", "options": {"currency": "EUR"}}]}),
    ], api_name="invoices")
    runtime.schema.add_field(admin, "invoices", {"label": "Total", "type": "formula",
                                                 "options": {"expression": "sum(lines.amount)"}})
    runtime.schema.add_field(admin, "products", {"label": "Sold", "type": "formula",
                                                 "options": {"expression": "sum(invoices_lines.qty)"}})
    runtime.schema.add_field(admin, "products", {"label": "Lines", "type": "formula", "options": {
        "expression": "count(invoices_lines, where=invoices_lines.qty > 0)"}})
    runtime.schema.add_field(admin, "clients", {"label": "Billed", "type": "formula",
                                                "options": {"expression": "sum(invoices.total)"}})
    c = {n: runtime.records.create(admin, "clients", {"name": n})["id"] for n in ("Acme", "Bolt")}
    p = {n: runtime.records.create(admin, "products", {"name": n})["id"] for n in ("Desk", "Lamp")}

    def invoice(client, lines):
        return runtime.records.create(admin, "invoices", {"client": c[client], "lines": [
            {"product": p[prod], "qty": qty, "amount": {"amount": amount, "currency": "EUR"}}
            for prod, qty, amount in lines]})["id"]

    ids = {
        "kept": invoice("Acme", [("Desk", 1, "100.00"), ("Lamp", 2, "20.00")]),
        "trashed": invoice("Acme", [("Desk", 5, "500.00"), ("Lamp", 7, "70.00"), ("Lamp", 1, "10.00")]),
        "other": invoice("Bolt", [("Desk", 3, "300.00")]),
    }
    return runtime, admin, c, p, ids


def reads(runtime, actor, c, p, ids) -> dict:
    """What every read path says about the line items."""
    lines = runtime.records.list(actor, "invoices_lines", ListQuery(per_page=100, sort=["id"]))
    pivot = runtime.records.aggregate(actor, "invoices_lines", AggregateSpec(
        groups=[Group("parent.client")], measures=[Measure("amount", "sum"), Measure(None, "count")]))
    by_client = {pivot.labels[0].get(row[0]): (str(row[1]), row[2]) for row in pivot.rows}
    by_product = runtime.records.aggregate(actor, "invoices_lines", AggregateSpec(
        groups=[Group("product")], measures=[Measure("qty", "sum")]))
    stream = runtime.records.iter_rows(actor, "invoices_lines", action="export")
    csv_rows = b"".join(list_csv(runtime.registry, stream)).decode("utf-8-sig").strip().splitlines()
    exported = json.loads(b"".join(list_json(runtime.records.iter_rows(actor, "invoices_lines"))))
    clients = {r["name"]: r for r in runtime.records.list(actor, "clients")["records"]}
    products = {r["name"]: r for r in runtime.records.list(actor, "products")["records"]}
    filtered = runtime.records.list(actor, "invoices_lines", ListQuery(filters=[("parent.client", "eq", str(c["Acme"]))]))
    searched = runtime.records.list(actor, "invoices_lines", ListQuery(search="Lamp"))
    return {
        "list": [r["qty"] for r in lines["records"]], "total": lines["total"],
        "pivot": by_client, "by_product": {str(r[0]): str(r[1]) for r in by_product.rows},
        "csv": len(csv_rows) - 1, "json": len(exported),
        "filtered": filtered["total"], "searched": searched["total"],
        "billed": {n: r["billed"] for n, r in clients.items()},
        "sold": {n: (r["sold"], r["lines"]) for n, r in products.items()},
    }


def test_a_trashed_invoice_leaves_every_total_and_comes_back(shop):
    runtime, admin, c, p, ids = shop
    before = reads(runtime, admin, c, p, ids)
    assert before["total"] == 6 and before["pivot"]["Acme"] == ("700.00", 5)
    assert before["sold"] == {"Desk": (9, 3), "Lamp": (10, 3)}

    trashed_lines = runtime.records.get(admin, "invoices", ids["trashed"])["lines"]
    runtime.records.delete(admin, "invoices", ids["trashed"])
    after = reads(runtime, admin, c, p, ids)
    assert after["list"] == [1, 2, 3] and after["total"] == 3
    assert after["pivot"] == {"Acme": ("120.00", 2), "Bolt": ("300.00", 1)}
    assert after["by_product"] == {str(p["Desk"]): "4", str(p["Lamp"]): "2"}
    assert after["csv"] == after["json"] == 3
    assert after["filtered"] == 2 and after["searched"] == 1
    assert after["billed"]["Acme"] == {"amount": "120.00", "currency": "EUR"}
    assert after["sold"] == {"Desk": (4, 2), "Lamp": (2, 1)}  # back-links count only live invoices
    for line in trashed_lines:  # a line of a trashed invoice is not found on its own either
        with pytest.raises(RecordNotFound):
            runtime.records.get(admin, "invoices_lines", line["id"])
    # the trashed invoice still holds its lines (its card in the trash shows them)
    in_trash = runtime.records.get(admin, "invoices", ids["trashed"], trashed=True)
    assert [line["qty"] for line in in_trash["lines"]] == [5, 7, 1]
    assert in_trash["total"] == {"amount": "580.00", "currency": "EUR"}

    runtime.records.restore(admin, "invoices", ids["trashed"])
    assert reads(runtime, admin, c, p, ids) == before


def test_recomputing_the_formulas_agrees(shop):
    """Python and SQL compute a back-link total over line items alike: both leave out the
    lines of a trashed invoice (a formula changed, so every value is computed again)."""
    runtime, admin, c, p, ids = shop
    runtime.records.delete(admin, "invoices", ids["trashed"])
    for expression in ("sum(invoices_lines.qty) + 0", "sum(invoices_lines.qty)"):
        runtime.schema.update_field(admin, "products", "sold", {"options": {"expression": expression}})
        sold = {r["name"]: r["sold"] for r in runtime.records.list(admin, "products")["records"]}
        assert sold == {"Desk": 4, "Lamp": 2}
    runtime.schema.update_field(admin, "products", "sold", {"options": {
        "expression": "sum(invoices_lines.qty, where=invoices_lines.qty != 99)"}})
    assert {r["name"]: r["sold"] for r in runtime.records.list(admin, "products")["records"]} == {"Desk": 4, "Lamp": 2}


def test_a_reader_with_a_row_rule_sees_the_same(shop):
    runtime, admin, c, p, ids = shop
    clerk = runtime.users.create("clerk", "clerk-password", actor=admin)
    runtime.groups.create(admin, "clerks")
    runtime.groups.add_member(admin, "clerks", "clerk")
    runtime.groups.set_permission(admin, "clerks", "*", {"actions": ["read", "export"]})
    runtime.groups.set_permission(admin, "clerks", "invoices", {
        "actions": ["read", "export"], "rows": {"condition": 'client.name == "Acme"'}})
    assert reads(runtime, clerk, c, p, ids)["total"] == 5
    runtime.records.delete(admin, "invoices", ids["trashed"])
    seen = reads(runtime, clerk, c, p, ids)
    assert seen["total"] == 2 and seen["pivot"] == {"Acme": ("120.00", 2)} and seen["csv"] == 2


def test_xlsx_export_leaves_out_lines_of_trashed_invoices(shop, tmp_path):
    import openpyxl

    runtime, admin, c, p, ids = shop
    runtime.records.delete(admin, "invoices", ids["trashed"])
    path = tmp_path / "lines.xlsx"
    list_xlsx(runtime.registry, runtime.records.iter_rows(admin, "invoices_lines", action="export"), str(path))
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert sheet.max_row == 1 + 3


def test_the_api_list_of_lines_leaves_them_out(app, rt):
    from cardfile.metamodel.errors import RecordNotFound  # noqa: F401 - the service's 404

    boss = rt.users.create("boss", "boss-password", is_admin=True, bootstrap=True)
    token = rt.users.create_token(boss, "tests")[1]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/tables", headers=headers, json={"label": "Invoices", "fields": [
        {"label": "Lines", "type": "lines", "options": {"fields": [{"label": "Qty", "type": "integer"}]}}]}
    ).status_code == 201
    created = client.post("/api/v1/tables/invoices/records", headers=headers,
                          json={"lines": [{"qty": 1}, {"qty": 2}]}).get_json()
    line_id = created["lines"][0]["id"]
    assert client.get("/api/v1/tables/invoices_lines/records", headers=headers).get_json()["total"] == 2
    client.delete(f"/api/v1/tables/invoices/records/{created['id']}", headers=headers)
    assert client.get("/api/v1/tables/invoices_lines/records", headers=headers).get_json()["total"] == 0
    assert client.get(f"/api/v1/tables/invoices_lines/records/{line_id}", headers=headers).status_code == 404
    export = client.get("/api/v1/tables/invoices_lines/export?format=json", headers=headers)
    assert json.load(io.BytesIO(export.data)) == []
    client.post(f"/api/v1/tables/invoices/records/{created['id']}/restore", headers=headers)
    assert client.get("/api/v1/tables/invoices_lines/records", headers=headers).get_json()["total"] == 2
