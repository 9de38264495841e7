"""The SQL path gives what the Python path gives, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cardfile.formula import FormulaError, check, evaluate
from cardfile.formula.types import Money
from cardfile.formula.to_sql import to_sql

from .conftest import Database, build_schema

TODAY = dt.date(2026, 3, 15)
NOW = dt.datetime(2026, 3, 15, 9, 30)
ME = {"id": 7, "username": "anna", "name": "Anna", "email": "anna@example.com", "team": "north"}


def sample_store(database):
    return database.store()


def fill_sample(store):
    store.add("categories", 1, name="Gold", discount=Decimal("12.50"))
    store.add("categories", 2, name="Old", discount=Decimal("99.00"), deleted=True)
    store.add("clients", 1, name="Acme", category=1)
    store.add("clients", 2, name="Zeta", category=2)
    store.add("clients", 3, name=None, category=None)
    store.add("invoices", 1, number="INV-1", status="paid", total=Decimal("2.675"),
              discount=None, price=Money(Decimal("100.00"), "EUR"), issued=dt.date(2026, 1, 31),
              due_date=dt.date(2026, 3, 1), paid=True, qty=3, client=1)
    store.add("invoices", 2, number="INV-2", status="draft", total=Decimal("-0.125"),
              discount=Decimal("5.00"), price=None, issued=dt.date(2026, 2, 28),
              due_date=None, paid=None, qty=None, client=2)
    store.add("invoices", 3, number=None, status=None, total=None, discount=None, price=None,
              issued=None, due_date=None, paid=False, qty=0, client=None)
    store.add("lines", 1, invoice=1, label="a", amount=Decimal("100.00"), vat=Decimal("20.00"),
              qty=2)
    store.add("lines", 2, invoice=1, label="b", amount=Decimal("50.00"), vat=Decimal("0.00"),
              qty=1)
    store.add("lines", 3, invoice=1, label=None, amount=None, vat=Decimal("20.00"), qty=0)
    store.add("lines", 4, invoice=1, label="gone", amount=Decimal("999.00"),
              vat=Decimal("20.00"), qty=1, deleted=True)
    store.add("lines", 5, invoice=2, label="c", amount=Decimal("0.12"),
              vat=Decimal("7.00"), qty=4)
    store.add("payments", 1, invoice=1, amount=Money(Decimal("40.00"), "EUR"),
              paid_on=dt.date(2026, 2, 1))
    return store


def python_values(database, store, source, table="invoices"):
    compiled = check(source, database.schema.table(table), database.schema)
    results = {}
    for row_id in sorted(store.rows[table]):
        if store.rows[table][row_id]["deleted"]:
            continue
        try:
            results[row_id] = evaluate(compiled, store.record(table, row_id), me=ME, today=TODAY,
                                       now=NOW)
        except FormulaError as exc:
            assert exc.code in ("FORMULA_RUNTIME", "FORMULA_LIMIT")
            results[row_id] = exc
    return compiled, results


def sql_values(database, conn, compiled, table="invoices"):
    alias = database.schema.table(table).sql_table().alias("t")
    expression = to_sql(compiled, alias, database.schema, database.dialect, me=ME, today=TODAY,
                        now=NOW)
    query = sa.select(alias.c.id, expression).where(alias.c.deleted_at.is_(None))
    return dict(conn.execute(query.order_by(alias.c.id)).all())


def same(python_value, sql_value) -> bool:
    if isinstance(python_value, FormulaError):
        return sql_value is None
    if isinstance(python_value, Money):
        python_value = python_value.amount
    if python_value is None or sql_value is None:
        return python_value is None and sql_value is None
    if isinstance(python_value, bool) or isinstance(sql_value, bool):
        return bool(python_value) == bool(sql_value)
    if isinstance(python_value, Decimal):
        sql_decimal = Decimal(format(sql_value, ".15g")) if isinstance(sql_value, float) \
            else Decimal(sql_value)
        return abs(python_value - sql_decimal) <= Decimal("1e-9") * max(1, abs(python_value))
    return python_value == sql_value


def assert_paths_agree(database, store, source, table="invoices"):
    compiled, expected = python_values(database, store, source, table)
    with database.rollback_connection() as conn:
        store.write(conn)
        got = sql_values(database, conn, compiled, table)
    assert set(got) == set(expected)
    for row_id, value in expected.items():
        assert same(value, got[row_id]), (source, row_id, value, got[row_id])
    return expected


AGREEING = [
    "total", "total + 1", "total * qty - discount", "-total", "total / 4", "total // 3",
    "total % 1", "total ** 2", "round(total, 2)", "round(total, 1)", "round(-total, 2)",
    "round(total * 3, 2)", "floor(total)", "ceil(total)", "abs(total)", "mod(qty, 2)",
    "total > 0", "total == 0", "discount == 0", "discount != None", "0 < total <= 3",
    "status == \"paid\"", "status != \"paid\"", "status in [\"paid\", \"draft\"]",
    "status + \"!\"", "upper(status)", "lower(number)", "len(status)", "left(number, 2)",
    "right(number, 1)", "mid(number, 2, 2)", "contains(number, \"-1\")",
    "replace(number, \"-\", \"/\")", "trim(status)", "concat(status, number)",
    "coalesce(status, \"none\")", "is_empty(status)", "is_empty(due_date)", "is_empty(client)",
    "IF(paid, \"yes\", \"no\")", "\"big\" if total > 1 else \"small\"",
    "switch(status, \"paid\", 1, \"draft\", 2, 0)", "not paid", "paid and total > 0",
    "paid or discount", "due_date", "due_date < today()", "due_date == None",
    "due_date >= issued", "due_date != issued", "issued + 30", "issued - 1", "due_date - issued",
    "year(issued)", "month(issued)", "day(issued)", "weekday(issued)",
    "add_days(issued, 3)", "add_months(issued, 1)", "add_months(issued, -13)",
    "days_between(issued, due_date)", "start_of_month(issued)", "date(2026, 2, 28)",
    "client.name", "client.category.discount", "client.category.name == \"Gold\"",
    "is_empty(client.category)", "sum(lines.amount)", "count(lines)", "count(lines.amount)",
    "avg(lines.amount)", "min(lines.amount)", "max(lines.vat)", "any(lines.vat == 0)",
    "all(lines.qty > 0)", "sum(lines.amount, where=lines.vat > 0)",
    "sum(lines.qty * lines.amount)", "count(lines, where=lines.label == None)",
    "sum(lines.amount, where=lines.qty >= qty)", "round(sum(lines.amount) * 1.19, 2)",
    "sum(payments.amount)", "price - sum(payments.amount)", "round(price * 1.19, 2)",
    "amount(price)", "money(total, \"EUR\")", "min(total, discount)", "max(total, qty)",
    "sum(total, discount)", "me.id", "me.username", "me == 7",
    "me.team == \"north\"", "client.category.discount * total",
    "sum(lines.invoice.total)", "\"ab\" * 3", "status * qty",
    "count(lines, where=lines.amount > avg(lines.amount))",
    "sum(client.invoices.total, where=client.invoices.paid)",
]


@pytest.mark.parametrize("source", [
    "invoice.client.name", "sum(invoice.client.invoices.total)",
    "amount / sum(invoice.lines.amount)", "count(invoice.lines, where=invoice.lines.qty > qty)",
])
def test_sql_paths_from_line_items(database, source):
    store = fill_sample(sample_store(database))
    assert_paths_agree(database, store, source, table="lines")


@pytest.mark.parametrize("source", AGREEING)
def test_sql_path_agrees_with_python(database, source):
    store = fill_sample(sample_store(database))
    assert_paths_agree(database, store, source)


def test_back_link_aggregate_on_clients(database):
    store = fill_sample(sample_store(database))
    values = assert_paths_agree(database, store, "sum(invoices.total, where=invoices.paid)",
                                table="clients")
    assert values[1] == Decimal("2.675")
    values = assert_paths_agree(database, store, "count(invoices)", table="clients")
    assert values == {1: 1, 2: 1, 3: 0}


def test_link_to_a_deleted_record_reads_empty(database):
    store = fill_sample(sample_store(database))
    values = assert_paths_agree(database, store, "client.category.discount")
    assert values[2] is None and values[1] == Decimal("12.50")


def test_rounding_is_half_away_from_zero_everywhere(database):
    store = sample_store(database)
    cases = {1: "2.675", 2: "0.125", 3: "-0.125", 4: "1.005", 5: "-2.675", 6: "0.285"}
    for row_id, amount in cases.items():
        store.add("invoices", row_id, total=Decimal(amount))
    values = assert_paths_agree(database, store, "round(total, 2)")
    assert values == {1: Decimal("2.68"), 2: Decimal("0.13"), 3: Decimal("-0.13"),
                      4: Decimal("1.01"), 5: Decimal("-2.68"), 6: Decimal("0.29")}


def test_division_by_zero_is_null_in_sql_and_an_error_in_python(database):
    store = fill_sample(sample_store(database))
    values = assert_paths_agree(database, store, "total / qty")
    assert isinstance(values[3], FormulaError)


@pytest.mark.parametrize("source", [
    'convert(price, "USD")', 'format(total, ",.2f")', "date(\"2026-01-01\")",
    "concat(total, \"x\")", "me.team + \"x\"", "total ** qty",
])
def test_python_only_constructs_raise_not_sql(database, source):
    compiled = check(source, database.schema.table("invoices"), database.schema)
    alias = database.schema.table("invoices").sql_table().alias()
    with pytest.raises(FormulaError) as info:
        to_sql(compiled, alias, database.schema, database.dialect, me=ME)
    assert info.value.code == "FORMULA_NOT_SQL"
    assert info.value.position is not None


def test_filter_selects_rows_in_sql(database):
    store = fill_sample(sample_store(database))
    compiled = check('status == "paid" and sum(lines.amount) > 100',
                     database.schema.table("invoices"), database.schema)
    alias = database.schema.table("invoices").sql_table().alias()
    with database.rollback_connection() as conn:
        store.write(conn)
        where = to_sql(compiled, alias, database.schema, database.dialect)
        ids = conn.execute(sa.select(alias.c.id).where(where)).scalars().all()
    assert ids == [1]


# -- property: random records, both paths ---------------------------------------------------
AMOUNTS = st.one_of(st.none(), st.decimals(min_value=-1000, max_value=1000, places=2,
                                           allow_nan=False, allow_infinity=False))
DATES = st.one_of(st.none(), st.dates(min_value=dt.date(2020, 1, 1),
                                      max_value=dt.date(2030, 12, 31)))
TEXTS = st.one_of(st.none(), st.text(alphabet="abcAB -", max_size=6))
LINE = st.fixed_dictionaries({"amount": AMOUNTS, "vat": AMOUNTS,
                              "qty": st.one_of(st.none(), st.integers(-3, 5)),
                              "label": TEXTS, "deleted": st.booleans()})
INVOICE = st.fixed_dictionaries({
    "total": AMOUNTS, "discount": AMOUNTS, "qty": st.one_of(st.none(), st.integers(-5, 5)),
    "status": st.one_of(st.none(), st.sampled_from(["paid", "draft", ""])), "number": TEXTS,
    "issued": DATES, "due_date": DATES, "paid": st.one_of(st.none(), st.booleans()),
    "lines": st.lists(LINE, max_size=4),
})

PROPERTY_EXPRESSIONS = [
    "round(total * (1 - discount / 100), 2)",
    "round(total / 3, 2) + round(discount, 1)",
    "total * qty - discount",
    "IF(total > discount, total - discount, 0)",
    "status == \"paid\" and total >= 0 or qty < 0",
    "sum(lines.amount, where=lines.vat > 0)",
    "round(sum(lines.qty * lines.amount), 2)",
    "count(lines, where=lines.label == None)",
    "round(avg(lines.amount), 2)",
    "max(lines.vat) == min(lines.vat)",
    "any(lines.amount < 0) or all(lines.qty > 0)",
    "due_date < today() and not paid",
    "days_between(issued, due_date)",
    "add_months(issued, qty)",
    "upper(concat(status, number))",
    "len(number) + floor(total) + ceil(discount)",
    "coalesce(status, number, \"x\")",
    "switch(status, \"paid\", total, \"draft\", discount, -1)",
    "mod(qty, 3) + abs(total)",
    "issued >= due_date or is_empty(issued)",
]


@pytest.mark.parametrize("source", PROPERTY_EXPRESSIONS)
def test_property_sql_equals_python_on_random_records(database, source):
    compiled = check(source, database.schema.table("invoices"), database.schema)

    @settings(max_examples=15, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(INVOICE, min_size=1, max_size=4))
    def prop(invoices):
        store = database.store()
        line_id = 0
        for invoice_id, invoice in enumerate(invoices, start=1):
            lines = invoice.pop("lines")
            store.add("invoices", invoice_id, **invoice)
            for line in lines:
                line_id += 1
                deleted = line.pop("deleted")
                store.add("lines", line_id, deleted=deleted, invoice=invoice_id, **line)
        expected = {}
        for invoice_id in store.rows["invoices"]:
            try:
                expected[invoice_id] = evaluate(compiled, store.record("invoices", invoice_id),
                                                me=ME, today=TODAY, now=NOW)
            except FormulaError as exc:
                expected[invoice_id] = exc
        with database.rollback_connection() as conn:
            store.write(conn)
            got = sql_values(database, conn, compiled)
        for invoice_id, value in expected.items():
            assert same(value, got[invoice_id]), (source, invoices, invoice_id, value,
                                                  got[invoice_id])

    prop()


# -- WHERE conditions (to_where): the same rows as Python, in an index-friendly form ------
WHERE_EXPRESSIONS = [
    "qty == 2", "qty == 0", "qty != 2", "qty != 0", "qty < 2", "qty < 0", "qty < -1",
    "qty <= 0", "qty > 0", "qty >= 0", "qty > -2", "qty >= -2", "2 == qty", "2 > qty",
    "-1 <= qty", "qty == 1.5", "qty != 1.5", "qty > 1.5", "qty <= -0.5",
    "total == 2.675", "total > 0", "total >= 0", "total < 0", "total <= 0", "total != 0",
    "total > 1.0005", "total >= 1.0005", "total < -0.0005", "total <= 1.0005",
    "total == 1.0005", "total != 1.0005", "total > 500", "discount == 0", "discount != 5",
    "discount < 5.005", "discount >= -0.001",
    "price > 50", "price <= 0", "price == money(100, \"EUR\")", "price < money(0.005, \"EUR\")",
    "status == \"paid\"", "status == \"\"", "status != \"\"", "status != \"paid\"",
    "status < \"p\"", "status >= \"\"", "\"draft\" == status", "number > \"B\"",
    "status in [\"paid\", \"draft\"]", "status in [\"\", \"paid\"]", "qty in [0, 2]",
    "status not in [\"paid\"]", "paid == True", "paid == False", "paid != True", "paid",
    "not paid", "0 < total <= 3", "-1 <= qty < 2", "qty == 2 and total > 0",
    "qty == 0 or status == \"paid\"", "qty == 2 and (total > 1 or discount == 0)",
    "not (qty == 0)", "not (qty == 2 or status == \"\")", "qty + 0 == 0", "qty * 1 < 1",
    "qty == me.id", "me == qty", "qty == None", "total != None", "due_date == None",
    "due_date != None", "due_date < issued", "IF(qty == 0, status == \"\", total > 0)",
    "sum(lines.amount, where=lines.vat > 0) > 10", "count(lines) == 0",
    "client.name == \"Acme\"", "is_empty(status) and qty >= 0",
    "qty == 2 and price > 50 and status != \"\"",
]


def where_ids(database, conn, compiled, table="invoices"):
    from cardfile.formula.to_sql import to_where

    alias = database.schema.table(table).sql_table().alias("t")
    condition = to_where(compiled, alias, database.schema, database.dialect, me=ME,
                         today=TODAY, now=NOW)
    query = sa.select(alias.c.id).where(alias.c.deleted_at.is_(None), condition)
    return set(conn.execute(query).scalars())


def python_selects(compiled, store, table="invoices") -> set[int]:
    chosen = set()
    for row_id, row in store.rows[table].items():
        if row["deleted"]:
            continue
        try:
            value = evaluate(compiled, store.record(table, row_id), me=ME, today=TODAY, now=NOW)
        except FormulaError:
            continue
        if value:
            chosen.add(row_id)
    return chosen


@pytest.mark.parametrize("source", WHERE_EXPRESSIONS)
def test_where_selects_what_python_selects(database, source):
    store = fill_sample(sample_store(database))
    compiled = check(source, database.schema.table("invoices"), database.schema)
    with database.rollback_connection() as conn:
        store.write(conn)
        assert where_ids(database, conn, compiled) == python_selects(compiled, store), source


def test_where_compares_the_bare_column(database):
    schema = database.schema
    alias = schema.table("invoices").sql_table().alias("t")

    def sql(source):
        from cardfile.formula.to_sql import to_where

        compiled = check(source, schema.table("invoices"), schema)
        condition = to_where(compiled, alias, schema, database.dialect, me=ME)
        dialect = sa.create_engine("sqlite://").dialect if database.dialect == "sqlite" \
            else database.engine.dialect
        return str(condition.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))

    assert sql("qty == 7") == "t.f_qty = 7"
    assert "coalesce" not in sql('qty == 7 and total > 500 and status != ""').lower()
    assert sql("qty < 7") == "t.f_qty < 7 OR t.f_qty IS NULL"
    if database.dialect == "sqlite":
        assert sql("total > 500") == "t.f_total > 500000"
        assert sql("total > 1.0005") == "t.f_total > 1000"
        assert sql("total >= 1.0005") == "t.f_total >= 1001"
    assert "coalesce" in sql("not (qty == 7)").lower()
    assert "coalesce" in sql("qty + 1 == 7").lower()


WHERE_PROPERTY = [
    "qty == 2 and total > 0.5 and status != \"\"",
    "qty < 1 or discount >= 0.005",
    "total <= -0.0005 or total == 0 or status == \"\"",
    "qty != 0 and discount != 0.5",
    "status in [\"paid\", \"\"] and not (qty > 2)",
    "paid == False and -1 < total < 1",
    "0 <= qty <= 3 and number >= \"a\"",
]


@pytest.mark.parametrize("source", WHERE_PROPERTY)
def test_property_where_selects_what_python_selects(database, source):
    compiled = check(source, database.schema.table("invoices"), database.schema)

    @settings(max_examples=15, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(INVOICE, min_size=1, max_size=6))
    def prop(invoices):
        store = database.store()
        for invoice_id, invoice in enumerate(invoices, start=1):
            invoice = dict(invoice)
            invoice.pop("lines")
            store.add("invoices", invoice_id, **invoice)
        with database.rollback_connection() as conn:
            store.write(conn)
            got = where_ids(database, conn, compiled)
        assert got == python_selects(compiled, store), (source, invoices)

    prop()


# -- exact integer arithmetic for stored decimals (to_sql_scaled, SQLite) ------------------
SCALED_EXPRESSIONS = [
    ("round(total * qty * (1 - discount / 100), 2)", 2),
    ("total * qty - discount", 3),
    ("total * qty - discount", 2),
    ("total + 1", 0),
    ("-total + 0.005", 2),
    ("round(discount, 1) * 3", 2),
    ("discount / 1000 + total / 10", 4),
    ("discount / 1000 + total / 10", 1),
    ("round(round(total, 2) * 1.19, 2) - price", 2),
    ("qty * 1000000", 0),
]


def stored_scaled(value, places: int):
    if isinstance(value, Money):
        value = value.amount
    return int(ops_num(value).quantize(Decimal(1).scaleb(-places),
                                       rounding=ROUND_HALF_UP).scaleb(places))


def ops_num(value):
    return Decimal(0) if value is None else Decimal(value)


def scaled_values(database, conn, compiled, places):
    from cardfile.formula.to_sql import to_sql_scaled

    alias = database.schema.table("invoices").sql_table().alias("t")
    expression = to_sql_scaled(compiled, alias, database.schema, database.dialect, places)
    assert expression is not None, compiled.source
    query = sa.select(alias.c.id, expression, sa.func.typeof(expression))
    return {row_id: (value, kind) for row_id, value, kind in conn.execute(query)}


@pytest.mark.parametrize("source, places", SCALED_EXPRESSIONS)
def test_scaled_integer_arithmetic_equals_python(source, places):
    engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool)
    metadata = sa.MetaData()
    schema = build_schema("sqlite", metadata)
    metadata.create_all(engine)
    database = Database("sqlite", engine, schema)
    compiled = check(source, schema.table("invoices"), schema)

    @settings(max_examples=25, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(INVOICE, min_size=1, max_size=6))
    def prop(invoices):
        store = database.store()
        for invoice_id, invoice in enumerate(invoices, start=1):
            invoice = dict(invoice)
            invoice.pop("lines")
            invoice["price"] = None if invoice["total"] is None else \
                Money(invoice["total"].quantize(Decimal("0.01")), "EUR")
            store.add("invoices", invoice_id, **invoice)
        with database.rollback_connection() as conn:
            store.write(conn)
            got = scaled_values(database, conn, compiled, places)
        for invoice_id in store.rows["invoices"]:
            expected = evaluate(compiled, store.record("invoices", invoice_id), me=ME,
                                today=TODAY, now=NOW)
            assert got[invoice_id] == (stored_scaled(expected, places), "integer"), \
                (source, invoices, invoice_id, expected)

    prop()
    engine.dispose()


def test_scaled_arithmetic_that_outgrows_64_bits_is_not_an_integer():
    engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool)
    metadata = sa.MetaData()
    schema = build_schema("sqlite", metadata)
    metadata.create_all(engine)
    database = Database("sqlite", engine, schema)
    store = database.store()
    store.add("invoices", 1, total=Decimal("999999999999.999"), qty=99999, discount=Decimal("1"))
    store.add("invoices", 2, total=Decimal("1.5"), qty=2, discount=None)
    compiled = check("round(total * qty * (1 - discount / 100), 2)", schema.table("invoices"),
                     schema)
    with database.rollback_connection() as conn:
        store.write(conn)
        got = scaled_values(database, conn, compiled, 2)
    assert got[1][1] == "real"          # the caller stores what to_sql gives instead
    assert got[2] == (300, "integer")
    engine.dispose()


@pytest.mark.parametrize("source", [
    "total / 3", "total * 1.5 / 7", "round(total, qty)", "len(status) * 2", "client.category.discount * 2",
    "sum(lines.amount)", "IF(paid, total, 0)", "total // 10", "abs(total)",
])
def test_scaled_arithmetic_refuses_what_is_not_exact(memory_schema, source):
    from cardfile.formula.to_sql import to_sql_scaled

    compiled = check(source, memory_schema.table("invoices"), memory_schema)
    alias = memory_schema.table("invoices").sql_table()
    assert to_sql_scaled(compiled, alias, memory_schema, "sqlite", 2) is None
    assert to_sql_scaled(check("total + 1", memory_schema.table("invoices"), memory_schema),
                         alias, memory_schema, "postgresql", 2) is None
