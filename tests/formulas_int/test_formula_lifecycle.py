"""Formula fields: defined, filled, changed, refused when wrong, errors stored per record."""

from __future__ import annotations

import pytest

from cardfile.metamodel.errors import CardfileError


def test_adding_a_formula_to_a_table_with_rows_fills_the_column(books):
    acme = books.add("clients", name="Acme", discount="10")
    other = books.add("clients", name="Other")
    reports = []
    books.rt.schema.computed.progress = reports.append
    added = books.field("clients", {"label": "Shout", "api_name": "shout", "type": "formula",
                                    "options": {"expression": 'upper(name) + "!"'}})
    assert added["options"]["result"]["kind"] == "TEXT"
    assert added["recompute"]["rows"] == 2 and added["recompute"]["path"] == "sql"
    assert reports and reports[-1]["done"] == 2
    assert books.get("clients", acme["id"])["shout"] == "ACME!"
    assert books.get("clients", other["id"])["shout"] == "OTHER!"


def test_changing_a_formula_recomputes_and_retypes_the_column(books):
    acme = books.add("clients", name="Acme", discount="12.5")
    books.field("clients", {"label": "Rate", "api_name": "rate", "type": "formula",
                            "options": {"expression": "discount / 100", "places": 3}})
    assert books.get("clients", acme["id"])["rate"] == "0.125"
    result = books.change("clients", "rate", {"options": {"expression": "discount > 10"}})
    assert result["field"]["options"]["result"]["kind"] == "BOOL"
    assert result["conversion"]["columns_replaced"] is True
    assert result["recompute"][0]["rows"] == 1
    assert books.get("clients", acme["id"])["rate"] is True
    books.change("clients", "rate", {"options": {"expression": "round(discount * 2)"}})
    assert books.get("clients", acme["id"])["rate"] == "25.000"  # places 3 were kept


def test_changing_a_formula_recomputes_its_dependents_in_other_tables(books):
    acme = books.add("clients", name="Acme")
    books.add("invoices", number="1", client=acme["id"], lines=[{"qty": 2, "price": "5"}])
    books.change("invoices_lines", "amount", {"options": {"expression": "qty * price * 2"}})
    assert books.get("clients", acme["id"])["balance"] == "20.00"


def test_a_wrong_expression_is_never_saved(books):
    with pytest.raises(CardfileError) as info:
        books.field("clients", {"label": "Bad", "type": "formula",
                                "options": {"expression": "nmae + 1"}})
    assert info.value.code == "FORMULA_UNKNOWN_NAME"
    error = info.value.details["errors"][0]
    assert error["position"] == {"start": 0, "end": 4, "line": 1, "column": 1}
    assert "did you mean 'name'" in error["message"]
    assert books.rt.schema.snapshot().table("clients").field("bad") is None


def test_a_cycle_is_refused_naming_the_whole_cycle(books):
    books.field("clients", {"label": "A", "api_name": "a", "type": "formula",
                            "options": {"expression": "1"}})
    books.field("clients", {"label": "B", "api_name": "b", "type": "formula",
                            "options": {"expression": "a + 1"}})
    with pytest.raises(CardfileError) as info:
        books.change("clients", "a", {"options": {"expression": "b * 2"}})
    assert info.value.code == "FORMULA_CYCLE"
    assert "a → b → a" in info.value.message


def test_renaming_or_trashing_a_field_a_formula_reads_is_refused(books):
    with pytest.raises(CardfileError) as info:
        books.rt.schema.update_field(books.admin, "invoices_lines", "qty", {"api_name": "quantity"})
    assert "invoices_lines.amount" in info.value.message
    with pytest.raises(CardfileError):
        books.rt.schema.delete_field(books.admin, "payments", "amount")
    assert books.rt.schema.snapshot().table("payments").field("amount") is not None


def test_a_runtime_error_is_stored_for_that_record_only(books):
    books.field("clients", {"label": "Inverse", "api_name": "inverse", "type": "formula",
                            "options": {"expression": "100 / discount"}})
    zero = books.add("clients", name="Zero", discount="0")
    four = books.add("clients", name="Four", discount="4")
    assert books.get("clients", four["id"])["inverse"] == "25.00"
    shown = books.get("clients", zero["id"])["inverse"]
    assert shown["error"].startswith("division by zero")
    # a later change fixes it; a formula reading an error is in error too
    books.field("clients", {"label": "Twice", "api_name": "twice", "type": "formula",
                            "options": {"expression": "inverse * 2"}})
    assert "error" in books.get("clients", zero["id"])["twice"]
    books.update("clients", zero["id"], discount="50")
    got = books.get("clients", zero["id"])
    assert got["inverse"] == "2.00" and got["twice"] == "4.00"


def test_recompute_reports_failing_rows(books):
    books.add("clients", name="Zero", discount="0")
    books.add("clients", name="One", discount="1")
    added = books.field("clients", {"label": "Inverse", "api_name": "inverse", "type": "formula",
                                    "options": {"expression": "1 / discount"}})
    report = added["recompute"]
    assert report["rows"] == 2 and report["error_count"] == 1
    assert report["errors"][0]["message"].startswith("division by zero")


def test_formula_values_are_read_only(books):
    from cardfile.metamodel.errors import ValidationFailed

    acme = books.add("clients", name="Acme")
    with pytest.raises(ValidationFailed):
        books.update("clients", acme["id"], balance="5")
    current = books.get("clients", acme["id"])
    books.update("clients", acme["id"], balance=current["balance"], name="Same")  # sent back: fine


def test_formula_fields_filter_and_sort_like_their_result(books):
    from cardfile.metamodel.records.query import ListQuery

    for name, price in (("A", "5"), ("B", "50"), ("C", "20")):
        client = books.add("clients", name=name)
        books.add("invoices", number=name, client=client["id"], lines=[{"qty": 1, "price": price}])
    page = books.rt.records.list(books.admin, "clients",
                                 ListQuery(filters=[("balance", "gt", "10")], sort=["-balance"]))
    assert [r["name"] for r in page["records"]] == ["B", "C"]
