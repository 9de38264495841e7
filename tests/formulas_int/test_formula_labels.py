"""Formulas typed with field labels, stored with API names; renames never break them."""

from __future__ import annotations

import pytest

from cardfile.metamodel.errors import CardfileError
from cardfile.metamodel.formulas.filters import check_expression
from cardfile.metamodel.formulas.labels import display_options


def test_labels_are_stored_as_api_names_and_shown_as_labels(books):
    field = books.field("invoices", {"label": "Net", "type": "formula",
                                     "options": {"expression": "[Total] - [Paid]",
                                                 "visible_if": "[Client].[Discount] > 0"}})
    assert field["options"]["expression"] == "total - paid"
    assert field["options"]["visible_if"] == "client.discount > 0"
    books.field("invoices_lines", {"label": "Big", "type": "boolean",
                                   "options": {"default_formula": "[Qty] > 10"}})
    snap = books.rt.schema.snapshot()
    table = snap.table("invoices")
    assert display_options(snap, books.rt.registry, table, table.field("net").options) == {
        "expression": "[Total] - [Paid]", "visible_if": "[Client].[Discount] > 0"}
    acme = books.add("clients", name="ACME")
    invoice = books.add("invoices", client=acme["id"], lines=[{"qty": 11, "price": "2"}])
    assert invoice["net"] == "22.00" and invoice["lines"][0]["big"] is True


def test_an_unknown_label_is_refused_at_its_position(books):
    with pytest.raises(CardfileError) as info:
        books.field("invoices", {"label": "Bad", "type": "formula", "options": {"expression": "[Totl] * 2"}})
    assert info.value.code == "FORMULA_UNKNOWN_NAME"
    assert info.value.details["position"]["column"] == 1 and "[Total]" in info.value.message


def test_the_check_reads_labels_and_points_into_the_text_as_typed(books):
    snap = books.rt.schema.snapshot()
    table = snap.table("invoices")
    ok = check_expression(snap, books.rt.registry, table, "sum([Lines].[Amount]) * 2")
    assert ok["ok"] and ok["expression"] == "sum(lines.amount) * 2"
    bad = check_expression(snap, books.rt.registry, table, "[Total] - [Paid] +")
    assert not bad["ok"] and bad["errors"][0]["position"]["column"] == 18
    wrong = check_expression(snap, books.rt.registry, table, '[Number] + 1')
    assert not wrong["ok"] and wrong["errors"][0]["position"]["start"] == 0


def test_renaming_an_api_name_rewrites_every_expression_that_uses_it(books):
    rt, admin = books.rt, books.admin
    books.field("invoices", {"label": "Flag", "type": "text", "options": {"visible_if": "total > 0"}})
    rt.schema.update_table(admin, "invoices", {"options": {"rules": [
        {"expression": "total >= 0", "message": "No negative totals"}]}})
    books.field("clients", {"label": "Biggest", "type": "formula",
                            "options": {"expression": "max(invoices.total)"}})
    acme = books.add("clients", name="ACME")
    books.add("invoices", client=acme["id"], lines=[{"qty": 2, "price": "5"}])
    rt.schema.update_field(admin, "invoices", "total", {"api_name": "grand_total"})
    rt.schema.update_field(admin, "invoices_lines", "amount", {"api_name": "line_amount"})
    snap = rt.schema.snapshot()
    invoices = snap.table("invoices")
    assert invoices.field("grand_total").options["expression"] == "sum(lines.line_amount)"
    assert invoices.field("due").options["expression"] == "grand_total - paid"
    assert invoices.field("flag").options["visible_if"] == "grand_total > 0"
    assert invoices.options["rules"][0]["expression"] == "grand_total >= 0"
    assert snap.table("clients").field("biggest").options["expression"] == "max(invoices.grand_total)"
    invoice = books.add("invoices", client=acme["id"], lines=[{"qty": 3, "price": "5"}])
    assert invoice["grand_total"] == "15.00" and invoice["due"] == "15.00"
    assert books.get("clients", acme["id"])["biggest"] == "15.00"
    # a label rename changes no stored expression, and the labels shown follow it
    rt.schema.update_field(admin, "invoices", "grand_total", {"label": "Invoice total"})
    snap = rt.schema.snapshot()
    due = snap.table("invoices").field("due")
    assert due.options["expression"] == "grand_total - paid"
    assert display_options(snap, rt.registry, snap.table("invoices"), due.options)["expression"] == \
        "[Invoice total] - [Paid]"
