"""The same language for defaults, record rules, visibility, where= filters and checking."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from cardfile.metamodel.errors import CardfileError, ValidationFailed
from cardfile.metamodel.formulas.recompute import recompute_column

from tests.api.conftest import Api  # noqa: F401 - the API client helper
from tests.conftest import app_config


def test_default_formula_fills_what_the_input_leaves_out(books):
    books.field("invoices", {"label": "Due date", "api_name": "due_date", "type": "date",
                             "options": {"default_formula": "add_days(issued, 30)"}})
    books.field("invoices", {"label": "Note", "api_name": "note", "type": "text",
                             "options": {"default_formula": 'concat("Invoice ", number)'}})
    made = books.add("invoices", number="7", issued="2026-01-10")
    assert made["due_date"] == "2026-02-09" and made["note"] == "Invoice 7"
    given_ = books.add("invoices", number="8", issued="2026-01-10", due_date="2026-01-11")
    assert given_["due_date"] == "2026-01-11"


def test_a_default_formula_of_the_wrong_type_is_refused(books):
    with pytest.raises(CardfileError) as info:
        books.field("invoices", {"label": "Due date", "type": "date",
                                 "options": {"default_formula": "number"}})
    assert info.value.code == "FORMULA_TYPE"


def test_record_rules_are_checked_when_defined_and_enforced(books):
    books.field("invoices", {"label": "Due date", "api_name": "due_date", "type": "date"})
    rule = {"expression": "is_empty(due_date) or due_date >= issued",
            "message": "The due date must not be before the issue date"}
    books.rt.schema.update_table(books.admin, "invoices", {"options": {"rules": [rule]}})
    books.add("invoices", number="1", issued="2026-01-10", due_date="2026-01-20")
    with pytest.raises(ValidationFailed) as info:
        books.add("invoices", number="2", issued="2026-01-10", due_date="2026-01-01")
    assert info.value.message == rule["message"]
    assert info.value.details["rule"]["expression"] == rule["expression"]
    assert books.rt.records.list(books.admin, "invoices")["total"] == 1  # nothing was written
    with pytest.raises(CardfileError) as bad:
        books.rt.schema.update_table(books.admin, "invoices", {"options": {"rules": [
            {"expression": "due_date >= isued", "message": "x"}]}})
    assert bad.value.code == "FORMULA_UNKNOWN_NAME"


def test_rules_can_read_computed_values(books):
    books.rt.schema.update_table(books.admin, "invoices", {"options": {"rules": [
        {"expression": "total <= 1000", "message": "An invoice is at most 1000"}]}})
    client = books.add("clients", name="Acme")
    inv = books.add("invoices", number="1", client=client["id"], lines=[{"qty": 1, "price": "900"}])
    with pytest.raises(ValidationFailed):
        books.update("invoices", inv["id"], lines=[{"qty": 2, "price": "900"}])
    assert books.get("invoices", inv["id"])["total"] == "900.00"


def test_visible_if_is_checked_and_stored(books):
    field = books.field("invoices", {"label": "Reason", "type": "text",
                                     "options": {"visible_if": "total > 100"}})
    assert field["options"]["visible_if"] == "total > 100"
    with pytest.raises(CardfileError):
        books.field("invoices", {"label": "Other", "type": "text",
                                 "options": {"visible_if": "total + 1"}})


# --- the API ------------------------------------------------------------------------------

@pytest.fixture
def api_books(settings):
    from cardfile.platform.app import create_app

    app = create_app(app_config(settings))
    rt = app.extensions["cardfile"]
    boss = rt.users.create("boss", "boss-password", name="Boss", is_admin=True, bootstrap=True)
    client = Api(app.test_client(), rt.users.create_token(boss, "tests")[1])
    response = client.post("/tables", json={"label": "Deals", "api_name": "deals", "fields": [
        {"label": "Amount", "api_name": "amount", "type": "decimal"},
        {"label": "Status", "api_name": "status", "type": "choice",
         "options": {"choices": [{"value": "open"}, {"value": "paid"}]}},
        {"label": "Tags", "api_name": "tags", "type": "multi_choice",
         "options": {"choices": [{"value": "a"}]}},
    ]})
    assert response.status_code == 201, response.get_json()
    yield client
    rt.dispose()


def test_where_filter_through_the_api(api_books):
    for amount, status in (("50", "paid"), ("150", "paid"), ("500", "open")):
        assert api_books.post("/tables/deals/records", json={"amount": amount, "status": status}
                              ).status_code == 201
    got = api_books.get('/tables/deals/records?where=amount > 100 and status == "paid"').get_json()
    assert [r["amount"] for r in got["records"]] == ["150.00"] and got["total"] == 1

    bad = api_books.get("/tables/deals/records?where=amount >> 1")
    assert bad.status_code == 422
    error = bad.get_json()["error"]
    assert error["code"] == "FORMULA_SYNTAX" and error["details"]["errors"][0]["position"]

    unknown = api_books.get("/tables/deals/records?where=amont > 1").get_json()["error"]
    assert unknown["code"] == "FORMULA_UNKNOWN_NAME"
    assert unknown["details"]["position"]["column"] == 1
    python_only = api_books.get('/tables/deals/records?where=contains(tags, "a")')
    assert python_only.status_code == 422
    assert python_only.get_json()["error"]["code"] == "FORMULA_NOT_SQL"


def test_check_endpoint(api_books):
    ok = api_books.post("/tables/deals/formula/check", json={"expression": "amount * 2"})
    assert ok.status_code == 200
    assert ok.get_json()["ok"] is True and ok.get_json()["type"]["kind"] == "NUMBER"
    bad = api_books.post("/tables/deals/formula/check", json={"expression": 'amount + "x"'})
    assert bad.status_code == 200 and bad.get_json()["ok"] is False
    assert bad.get_json()["errors"][0]["position"]["start"] == 0
    assert api_books.post("/tables/deals/formula/check", json={}).status_code == 422
    assert api_books.post("/tables/nope/formula/check", json={"expression": "1"}).status_code == 404


def test_formula_field_errors_through_the_api(api_books):
    response = api_books.post("/tables/deals/fields", json={
        "label": "Bad", "type": "formula", "options": {"expression": "amount +"}})
    assert response.status_code == 422
    details = response.get_json()["error"]["details"]
    assert set(details["errors"][0]["position"]) == {"start", "end", "line", "column"}
    api_books.post("/tables/deals/fields", json={
        "label": "Half", "api_name": "half", "type": "formula",
        "options": {"expression": "100 / amount"}})
    made = api_books.post("/tables/deals/records", json={"amount": "0"}).get_json()
    assert made["half"]["error"].startswith("division by zero")


# --- SQL path == Python path ------------------------------------------------------------

EXPRESSIONS = [
    "round(price * qty * (1 - discount / 100), 2)",
    "IF(qty > 2, price, -price)",
    'upper(left(label, 3)) + "-" + label',
    "price / qty",
    "qty % 3 == 1 or price >= 50",
    "add_days(day, qty)",
]


@pytest.fixture
def random_table(runtime, admin):
    runtime.schema.create_table(admin, {"label": "Items", "api_name": "items", "fields": [
        {"label": "Label", "api_name": "label", "type": "text"},
        {"label": "Qty", "api_name": "qty", "type": "integer"},
        {"label": "Price", "api_name": "price", "type": "decimal", "options": {"places": 2}},
        {"label": "Discount", "api_name": "discount", "type": "percent"},
        {"label": "Day", "api_name": "day", "type": "date"},
    ]})
    for n, source in enumerate(EXPRESSIONS):
        runtime.schema.add_field(admin, "items", {"label": f"F{n}", "api_name": f"f{n}",
                                                  "type": "formula", "options": {"expression": source}})
    return runtime


row = st.fixed_dictionaries({
    "label": st.one_of(st.none(), st.text("abcXYZ é", max_size=6)),
    "qty": st.one_of(st.none(), st.integers(-5, 20)),
    "price": st.one_of(st.none(), st.decimals(-1000, 1000, places=2, allow_nan=False)),
    "discount": st.one_of(st.none(), st.decimals(0, 100, places=2, allow_nan=False)),
    "day": st.one_of(st.none(), st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1))),
})


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row, min_size=1, max_size=12))
def test_bulk_recompute_sql_path_equals_python_path(random_table, admin, rows):
    runtime = random_table
    runtime.records.bulk_create(admin, "items", [{k: (str(v) if v is not None else None)
                                                  for k, v in r.items()} for r in rows])
    with runtime.engine.begin() as conn:
        snap = runtime.catalog.current(conn)
        fs = runtime.records.computed.formulas(conn, snap)
        for n in range(len(EXPRESSIONS)):
            node = ("items", f"f{n}")
            sql_report = recompute_column(conn, fs, node)
            assert sql_report.path == "sql", EXPRESSIONS[n]
            via_sql = _values(runtime, conn, snap, f"f{n}")
            recompute_column(conn, fs, node, python=True)
            via_python = _values(runtime, conn, snap, f"f{n}")
            assert via_sql == via_python, EXPRESSIONS[n]
        conn.rollback()
    with runtime.engine.begin() as conn:
        sql = runtime.catalog.current(conn).sql_table(runtime.catalog.current(conn).table("items"))
        conn.execute(sql.delete())


def _values(runtime, conn, snap, name):
    import sqlalchemy as sa

    table = snap.table("items")
    field = table.field(name)
    ftype = runtime.registry.get("formula")
    sql = snap.sql_table(table)
    rows = conn.execute(sa.select(sql).order_by(sql.c.id)).mappings().all()
    return [ftype.to_json(ftype.from_db(r, field), field) for r in rows]

