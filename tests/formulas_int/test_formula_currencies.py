"""Money is a pair through the whole platform, on SQLite and PostgreSQL: a stored formula
has one value per record whether SQL (bulk recompute, propagation) or Python computed it,
and a write that would mix currencies through a link or an aggregate is refused."""

from __future__ import annotations

import pytest

from cardfile.metamodel.errors import ValidationFailed


def money(amount, currency):
    return {"amount": amount, "currency": currency}


@pytest.fixture
def shop(runtime, admin):
    schema = runtime.schema
    schema.create_table(admin, {"label": "Clients", "api_name": "clients", "display_field": "name",
                                "fields": [{"label": "Name", "api_name": "name", "type": "text"}]})
    schema.create_table(admin, {"label": "Invoices", "api_name": "invoices", "fields": [
        {"label": "Number", "api_name": "number", "type": "text"},
        {"label": "Client", "api_name": "client", "type": "link", "options": {"target": "clients"}},
        {"label": "Lines", "api_name": "lines", "type": "lines", "options": {"fields": [
            {"label": "Qty", "api_name": "qty", "type": "integer"},
            {"label": "Price", "api_name": "price", "type": "money", "options": {"currency": "EUR"}},
            {"label": "Amount", "api_name": "amount", "type": "formula",
             "options": {"expression": "qty * price"}},
        ]}},
        {"label": "Total", "api_name": "total", "type": "formula",
         "options": {"expression": "sum(lines.amount)"}},
    ]})
    schema.create_table(admin, {"label": "Payments", "api_name": "payments", "fields": [
        {"label": "Invoice", "api_name": "invoice", "type": "link", "options": {"target": "invoices"}},
        {"label": "Amount", "api_name": "amount", "type": "money", "options": {"currency": "EUR"}},
    ]})
    schema.add_field(admin, "invoices", {"label": "Paid", "api_name": "paid", "type": "formula",
                                         "options": {"expression": "sum(payments.amount)"}})
    schema.add_field(admin, "invoices", {"label": "Balance", "api_name": "balance", "type": "formula",
                                         "options": {"expression": "total - paid"}})
    return runtime, admin


def add(shop, table, **values):
    runtime, admin = shop
    return runtime.records.create(admin, table, values)


def get(shop, table, record_id):
    runtime, admin = shop
    return runtime.records.get(admin, table, record_id)


def invoice(shop, *lines, number="INV-1"):
    return add(shop, "invoices", number=number,
               lines=[{"qty": qty, "price": price} for qty, price in lines])


def test_the_issue_formula_has_one_value_whichever_path_computes_it(runtime, admin, make_table):
    make_table("Deals", [("Amount", "money", {"currency": "EUR"})])
    usd = runtime.records.create(admin, "deals", {"amount": money("20.00", "USD")})
    eur = runtime.records.create(admin, "deals", {"amount": money("20.00", "EUR")})
    report = runtime.schema.add_field(admin, "deals", {
        "label": "Plus", "api_name": "plus", "type": "formula",
        "options": {"expression": 'amount + money(1, "EUR")'}})
    later = runtime.records.create(admin, "deals", {"amount": money("30.00", "USD")})
    runtime.schema.add_field(admin, "deals", {"label": "Twice", "api_name": "twice",
                                              "type": "formula", "options": {"expression": "amount * 2"}})
    assert "recompute" not in report or report["recompute"]["path"] == "sql"
    got = {r["id"]: r for r in (runtime.records.get(admin, "deals", i)
                                for i in (usd["id"], eur["id"], later["id"]))}
    assert got[usd["id"]]["plus"] == {"error": "cannot add USD and EUR: use convert() first (column 1)"}
    assert got[later["id"]]["plus"] == got[usd["id"]]["plus"]          # Python, on create
    assert got[eur["id"]]["plus"] == money("21.00", "EUR")
    assert got[usd["id"]]["twice"] == money("40.00", "USD")           # SQL keeps the currency
    assert got[later["id"]]["twice"] == money("60.00", "USD")
    runtime.records.update(admin, "deals", later["id"], {"amount": money("5.00", "EUR")},
                           version=got[later["id"]]["version"])
    assert runtime.records.get(admin, "deals", later["id"])["plus"] == money("6.00", "EUR")


def test_a_usd_payment_on_an_eur_invoice_is_refused(shop):
    inv = invoice(shop, (2, "10.00"))
    assert inv["total"] == money("20.00", "EUR")
    with pytest.raises(ValidationFailed) as info:
        add(shop, "payments", invoice=inv["id"], amount=money("10.00", "USD"))
    assert info.value.code == "VALIDATION_FAILED"
    assert sorted(info.value.details["currencies"]) == ["EUR", "USD"]
    assert "EUR" in info.value.message and "USD" in info.value.message
    runtime, admin = shop
    assert runtime.records.list(admin, "payments")["records"] == []
    after = get(shop, "invoices", inv["id"])
    assert after["paid"] == money("0.00", "EUR") and after["balance"] == money("20.00", "EUR")
    paid = add(shop, "payments", invoice=inv["id"], amount=money("10.00", "EUR"))
    assert get(shop, "invoices", inv["id"])["balance"] == money("10.00", "EUR")
    # moving the payment to USD later is refused the same way
    with pytest.raises(ValidationFailed):
        runtime.records.update(admin, "payments", paid["id"], {"amount": money("10.00", "USD")},
                               version=paid["version"])
    assert get(shop, "payments", paid["id"])["amount"] == money("10.00", "EUR")


def test_an_invoice_in_dollars_throughout_is_fine(shop):
    inv = invoice(shop, (1, money("30.00", "USD")), (2, money("1.25", "USD")))
    assert inv["total"] == money("32.50", "USD")
    add(shop, "payments", invoice=inv["id"], amount=money("2.50", "USD"))
    after = get(shop, "invoices", inv["id"])
    assert after["paid"] == money("2.50", "USD") and after["balance"] == money("30.00", "USD")


def test_a_line_in_another_currency_is_refused(shop):
    inv = invoice(shop, (1, "10.00"))
    runtime, admin = shop
    with pytest.raises(ValidationFailed) as info:
        runtime.records.update(admin, "invoices", inv["id"],
                               {"lines": [{"id": inv["lines"][0]["id"]},
                                          {"qty": 1, "price": money("5.00", "USD")}]},
                               version=inv["version"])
    assert sorted(info.value.details["currencies"]) == ["EUR", "USD"]
    assert get(shop, "invoices", inv["id"])["total"] == money("10.00", "EUR")
    assert len(get(shop, "invoices", inv["id"])["lines"]) == 1


def test_mixed_data_found_by_a_new_formula_is_an_error_value_on_both_paths(runtime, admin, make_table):
    make_table("Orders", [("Number", "text")])
    make_table("Parts", [("Order", "link", {"target": "orders"}),
                         ("Cost", "money", {"currency": "EUR"})])
    mixed = runtime.records.create(admin, "orders", {"number": "mixed"})
    plain = runtime.records.create(admin, "orders", {"number": "plain"})
    for order, cost in [(mixed, money("1.00", "EUR")), (mixed, money("2.00", "USD")),
                        (plain, money("3.00", "USD")), (plain, money("4.00", "USD"))]:
        runtime.records.create(admin, "parts", {"order": order["id"], "cost": cost})
    report = runtime.schema.add_field(admin, "orders", {
        "label": "Cost", "api_name": "cost", "type": "formula",
        "options": {"expression": "sum(parts.cost)"}})
    assert report is not None
    assert runtime.records.get(admin, "orders", mixed["id"])["cost"] == {
        "error": "cannot add EUR and USD: use convert() first (column 1)"}
    assert runtime.records.get(admin, "orders", plain["id"])["cost"] == money("7.00", "USD")
    # a write that does not change the mix is not refused; one that would is
    runtime.records.update(admin, "orders", mixed["id"], {"number": "still mixed"},
                           version=mixed["version"])
    with pytest.raises(ValidationFailed):
        runtime.records.create(admin, "parts", {"order": plain["id"], "cost": money("1.00", "EUR")})


def test_filters_and_comparisons_see_the_currency(runtime, admin, make_table):
    make_table("Deals", [("Amount", "money", {"currency": "EUR"})])
    for amount in (money("20.00", "USD"), money("20.00", "EUR"), money("5.00", "EUR")):
        runtime.records.create(admin, "deals", {"amount": amount})
    from cardfile.metamodel.records.query import ListQuery
    from cardfile.metamodel.formulas.filters import where_filter

    def ids(expression):
        query = ListQuery(where=where_filter(expression, runtime.registry, me=admin), per_page=50)
        return sorted(r["id"] for r in runtime.records.list(admin, "deals", query)["records"])

    assert ids('amount == money(20, "EUR")') == [2]
    assert ids('amount != money(20, "EUR")') == [1, 3]
    assert ids('amount > money(10, "EUR")') == [2]          # 20 USD > 10 EUR is an error: left out
    assert ids('currency(amount) == "USD"') == [1]


def test_the_api_answers_422_and_writes_nothing(settings):
    from cardfile.platform.app import create_app
    from tests.api.conftest import Api
    from tests.conftest import app_config

    app = create_app(app_config(settings))
    rt = app.extensions["cardfile"]
    try:
        boss = rt.users.create("boss", "boss-password", name="Boss", is_admin=True, bootstrap=True)
        api = Api(app.test_client(), rt.users.create_token(boss, "tests")[1])
        assert api.post("/tables", json={"label": "Invoices", "api_name": "invoices", "fields": [
            {"label": "Total", "api_name": "total", "type": "money", "options": {"currency": "EUR"}},
        ]}).status_code == 201
        assert api.post("/tables", json={"label": "Payments", "api_name": "payments", "fields": [
            {"label": "Invoice", "api_name": "invoice", "type": "link", "options": {"target": "invoices"}},
            {"label": "Amount", "api_name": "amount", "type": "money", "options": {"currency": "EUR"}},
        ]}).status_code == 201
        assert api.post("/tables/invoices/fields", json={
            "label": "Paid", "api_name": "paid", "type": "formula",
            "options": {"expression": "sum(payments.amount)"}}).status_code == 201
        assert api.post("/tables/invoices/fields", json={
            "label": "Due", "api_name": "due", "type": "formula",
            "options": {"expression": "total - paid"}}).status_code == 201
        invoice_id = api.post("/tables/invoices/records", json={"total": "100"}).get_json()["id"]
        refused = api.post("/tables/payments/records",
                           json={"invoice": invoice_id, "amount": {"amount": "10.00", "currency": "USD"}})
        assert refused.status_code == 422
        error = refused.get_json()["error"]
        assert error["code"] == "VALIDATION_FAILED" and sorted(error["details"]["currencies"]) == ["EUR", "USD"]
        assert "EUR" in error["message"] and "USD" in error["message"]
        assert api.get("/tables/payments/records").get_json()["total"] == 0
        invoice = api.get(f"/tables/invoices/records/{invoice_id}").get_json()
        assert invoice["paid"] == money("0.00", "EUR") and invoice["due"] == money("100.00", "EUR")
    finally:
        rt.dispose()
