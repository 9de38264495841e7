"""RecordService.preview: what a save would compute, from unsaved values, writing nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cardfile.metamodel.errors import AccessDenied


def count(books, table: str) -> int:
    rt = books.rt
    with rt.engine.connect() as conn:
        snap = rt.catalog.current(conn)
        return conn.execute(select(func.count()).select_from(snap.sql_table(snap.table(table)))).scalar_one()


def test_a_new_invoice_computes_its_lines_and_total_without_saving(books):
    acme = books.add("clients", name="ACME", discount="10")
    before = count(books, "invoices"), count(books, "invoices_lines")
    answer = books.rt.records.preview(books.admin, "invoices", {
        "number": "1", "client": acme["id"],
        "lines": [{"item": "a", "qty": 2, "price": "5.25"}, {"item": "b", "qty": 1, "price": "0.5"}]})
    values = answer["values"]
    assert [line["amount"] for line in values["lines"]] == ["10.50", "0.50"]
    assert values["total"] == "11.00" and values["paid"] == "0.00" and values["due"] == "11.00"
    assert answer["errors"] == {} and answer["rules"] == []
    assert (count(books, "invoices"), count(books, "invoices_lines")) == before


def test_changes_to_a_stored_invoice_are_laid_over_it(books):
    acme = books.add("clients", name="ACME")
    invoice = books.add("invoices", number="7", client=acme["id"], lines=[{"qty": 1, "price": "3"}])
    books.add("payments", invoice=invoice["id"], amount="1")
    line_id = invoice["lines"][0]["id"]
    answer = books.rt.records.preview(books.admin, "invoices", {
        "lines": [{"id": line_id, "qty": 4}, {"qty": 1, "price": "2"}]}, record_id=invoice["id"])
    values = answer["values"]
    assert values["lines"][0] == {**values["lines"][0], "id": line_id, "amount": "12.00", "price": "3.00"}
    assert values["total"] == "14.00" and values["paid"] == "1.00" and values["due"] == "13.00"
    assert values["number"] == "7"
    assert books.get("invoices", invoice["id"])["total"] == "3.00"  # nothing written
    # without line items in the changes, the stored lines count
    assert books.rt.records.preview(books.admin, "invoices", {"number": "8"},
                                    record_id=invoice["id"])["values"]["total"] == "3.00"


def test_problems_are_answered_per_field_and_per_line(books):
    answer = books.rt.records.preview(books.admin, "invoices", {
        "client": 999, "lines": [{"qty": "x", "price": "1"}]})
    assert "does not exist" in answer["errors"]["client"][0]
    assert "lines[0].qty" in answer["errors"]
    assert answer["values"]["client"] is None


def test_defaults_visibility_and_rules(books):
    rt, admin = books.rt, books.admin
    books.field("invoices", {"label": "Due date", "api_name": "due_date", "type": "date",
                             "options": {"default_formula": "add_days(issued, 14)"}})
    books.field("invoices", {"label": "Note", "api_name": "note", "type": "text",
                             "options": {"default": "Thank you", "visible_if": "total > 10"}})
    rt.schema.update_table(admin, "invoices", {"options": {"rules": [
        {"expression": "paid <= total", "message": "Paid more than the total"},
        {"expression": "total < 100", "message": "Too large for one invoice"}]}})
    answer = rt.records.preview(admin, "invoices", {"issued": "2026-03-01", "lines": [{"qty": 1, "price": "5"}]})
    assert answer["values"]["due_date"] == "2026-03-15" and answer["values"]["note"] == "Thank you"
    assert set(answer["defaults"]) == {"due_date", "note"}
    assert answer["visible"] == {"note": False}
    assert answer["rules"] == []
    answer = rt.records.preview(admin, "invoices", {"issued": "2026-03-01", "due_date": None,
                                                    "lines": [{"qty": 200, "price": "5"}]})
    assert answer["values"]["due_date"] is None and "due_date" not in answer["defaults"]
    assert answer["visible"] == {"note": True}
    assert [r["message"] for r in answer["rules"]] == ["Too large for one invoice"]


def test_a_line_reads_its_unsaved_parent(books):
    books.field("invoices", {"label": "Rate", "api_name": "rate", "type": "decimal"})
    books.change("invoices_lines", "amount", {"options": {"expression": "qty * price * (1 + parent.rate)"}})
    data = {"rate": "0.5", "lines": [{"qty": 2, "price": "10.01"}, {"qty": 3, "price": "0.33"}]}
    answer = books.rt.records.preview(books.admin, "invoices", data)
    saved = books.add("invoices", **data)
    assert [line["amount"] for line in answer["values"]["lines"]] == [line["amount"] for line in saved["lines"]]
    assert answer["values"]["total"] == saved["total"]
    assert saved["total"] == "31.52"  # 30.03 + 1.485, rounded once at the total


def test_unique_values_are_checked_as_the_user_types(books):
    books.change("clients", "name", {"options": {"unique": True}})
    acme = books.add("clients", name="ACME")
    answer = books.rt.records.preview(books.admin, "clients", {"name": "ACME"})
    assert f"record #{acme['id']}" in answer["errors"]["name"][0]
    assert books.rt.records.preview(books.admin, "clients", {"name": "ACME"},
                                    record_id=acme["id"])["errors"] == {}


def test_the_preview_needs_the_right_to_save_and_shows_only_readable_fields(books, runtime, admin):
    reader = runtime.users.create("reader", "reader-password", actor=admin)
    runtime.groups.create(admin, "readers")
    runtime.groups.add_member(admin, "readers", "reader")
    runtime.groups.set_permission(admin, "readers", "clients", {"actions": ["read"]})
    with pytest.raises(AccessDenied):
        runtime.records.preview(reader, "clients", {"name": "x"})
    clerk = runtime.users.create("clerk", "clerk-password", actor=admin)
    runtime.groups.create(admin, "clerks")
    runtime.groups.add_member(admin, "clerks", "clerk")
    runtime.groups.set_permission(admin, "clerks", "clients", {
        "actions": ["read", "create"], "fields": {"discount": "hidden"}})
    answer = runtime.records.preview(clerk, "clients", {"name": "x", "discount": "5"})
    assert "discount" not in answer["values"] and answer["values"]["name"] == "x"
    assert answer["errors"] == {}  # a hidden field is not named, not even to refuse it


def test_a_picked_record_fills_its_fields_as_a_save_would(books):
    rt, admin = books.rt, books.admin
    rt.schema.create_table(admin, {"label": "Products", "api_name": "products", "fields": [
        {"label": "Name", "api_name": "name", "type": "text"},
        {"label": "Price", "api_name": "price", "type": "decimal", "options": {"places": 2}}]})
    books.field("invoices_lines", {"label": "Product", "api_name": "product", "type": "link",
                                   "options": {"target": "products", "fill": {"price": "price", "item": "name"}}})
    bolt = books.add("products", name="Bolt", price="2.50")
    answer = rt.records.preview(admin, "invoices", {"lines": [{"product": bolt["id"], "qty": 4}]})
    line = answer["values"]["lines"][0]
    assert line["price"] == "2.50" and line["item"] == "Bolt" and line["amount"] == "10.00"
    assert {"price", "item"} <= set(line["_defaults"])
    assert answer["values"]["total"] == "10.00"


def test_a_stored_record_without_changes_needs_only_the_right_to_read(books, runtime, admin):
    books.field("clients", {"label": "Note", "api_name": "note", "type": "text",
                            "options": {"visible_if": "discount > 5"}})
    acme = books.add("clients", name="ACME", discount="2")
    reader = runtime.users.create("reader", "reader-password", actor=admin)
    runtime.groups.create(admin, "readers")
    runtime.groups.add_member(admin, "readers", "reader")
    runtime.groups.set_permission(admin, "readers", "clients", {"actions": ["read"]})
    assert runtime.records.preview(reader, "clients", {}, record_id=acme["id"])["visible"] == {"note": False}
    with pytest.raises(AccessDenied):
        runtime.records.preview(reader, "clients", {"name": "x"}, record_id=acme["id"])
