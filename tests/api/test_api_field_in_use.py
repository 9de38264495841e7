"""Trashing a field that formulas read: one clear 409 naming each formula by label (B28)."""

from __future__ import annotations


def test_a_field_used_by_formulas_is_refused_with_one_message_naming_them(api, rt, boss, expect_error):
    rt.schema.create_table(boss, {"api_name": "invoices", "label": "Invoices", "fields": [
        {"api_name": "number", "label": "Number", "type": "text"},
        {"api_name": "lines", "label": "Lines", "type": "lines", "options": {"fields": [
            {"api_name": "qty", "label": "Quantity", "type": "decimal"},
            {"api_name": "price", "label": "Price", "type": "decimal"},
            {"api_name": "amount", "label": "Amount", "type": "formula", "options": {"expression": "qty * price"}},
            {"api_name": "double", "label": "Double", "type": "formula", "options": {"expression": "price * 2"}},
        ]}},
        {"api_name": "total", "label": "Total", "type": "formula", "options": {"expression": "sum(lines.price)"}},
    ], "options": {"rules": [{"expression": "number != 'x'", "message": "No x."}]}})
    response = api.delete("/tables/invoices_lines/fields/price")
    error = expect_error(response, 409, "FIELD_IN_USE")
    assert error["message"] == ("'Price' cannot be moved to the trash: it is used by Total (Invoices); "
                                "Amount, Double (Invoices: Lines). Change or remove those formulas first.")
    assert error["details"]["used_by"] == [
        {"table": "invoices", "field": "total", "label": "Total", "table_label": "Invoices"},
        {"table": "invoices_lines", "field": "amount", "label": "Amount", "table_label": "Invoices: Lines"},
        {"table": "invoices_lines", "field": "double", "label": "Double", "table_label": "Invoices: Lines"}]
    assert rt.schema.snapshot().table("invoices_lines").field("price") is not None  # nothing changed

    error = expect_error(api.delete("/tables/invoices/fields/number"), 409, "FIELD_IN_USE")
    assert error["details"]["used_by"] == [{"table": "invoices", "rule": 1, "label": "rule 1",
                                            "table_label": "Invoices"}]
    assert api.delete("/tables/invoices_lines/fields/qty").status_code == 409  # Amount reads it
    api.patch("/tables/invoices_lines/fields/amount", json={"options": {"expression": "price"}})
    assert api.delete("/tables/invoices_lines/fields/qty").status_code == 200
