"""Money is a pair on both paths: what Python computes (amount, currency or a currency
error), SQL computes too — on SQLite and on PostgreSQL — with money fields that keep each
value's currency in a column of their own.

Schema: accounts ← deals ← items. ``deals.amount`` is money (EUR by default) and
``deals.fee`` money (EUR by default too, mostly holding USD), each with a currency column; ``accounts.credit`` too;
``items.price`` money with a currency column.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
import sqlalchemy as sa

from cardfile.formula import FormulaError, check, evaluate
from cardfile.formula.errors import CurrencyMismatch
from cardfile.formula.to_sql import to_sql_result, to_sql_scaled, to_where
from cardfile.formula.types import COLLECTION, NUMBER, RECORD, TEXT, Money, money_type

from .conftest import SqlField, SqlSchema, SqlTable, _pg_engine, _sqlite_engine

TODAY = dt.date(2026, 3, 15)


@dataclass
class MoneyField(SqlField):
    cur_column: str | None = None

    def sql_currency(self, table):
        return table.c[self.cur_column]


def _numeric(dialect):
    return sa.BigInteger() if dialect == "sqlite" else sa.Numeric(18, 2)


def build(dialect: str, metadata: sa.MetaData) -> SqlSchema:
    schema = SqlSchema(dialect)

    def table(name, *columns, fields=()):
        sql = sa.Table(name, metadata, sa.Column("id", sa.Integer, primary_key=True),
                       sa.Column("deleted_at", sa.DateTime, nullable=True), *columns)
        for item in fields:
            item.dialect = dialect
        schema.tables[name] = SqlTable(name, sql, {f.name: f for f in fields})

    n = _numeric(dialect)
    table("accounts", sa.Column("f_name", sa.String(20)), sa.Column("f_credit", n),
          sa.Column("f_credit_cur", sa.String(3)),
          fields=[SqlField("name", TEXT, "f_name"),
                  MoneyField("credit", money_type("EUR"), "f_credit", places=2, currency="EUR",
                             cur_column="f_credit_cur"),
                  SqlField("deals", COLLECTION("deals"), None, "deals", back="f_account")])
    table("deals", sa.Column("f_amount", n), sa.Column("f_amount_cur", sa.String(3)),
          sa.Column("f_fee", n), sa.Column("f_fee_cur", sa.String(3)),
          sa.Column("f_qty", sa.Integer), sa.Column("f_account", sa.Integer),
          fields=[MoneyField("amount", money_type("EUR"), "f_amount", places=2, currency="EUR",
                             cur_column="f_amount_cur"),
                  MoneyField("fee", money_type("EUR"), "f_fee", places=2, currency="EUR",
                             cur_column="f_fee_cur"),
                  SqlField("qty", NUMBER, "f_qty", places=0),
                  SqlField("account", RECORD("accounts"), "f_account", "accounts"),
                  SqlField("items", COLLECTION("items"), None, "items", back="f_deal")])
    table("items", sa.Column("f_deal", sa.Integer), sa.Column("f_price", n),
          sa.Column("f_price_cur", sa.String(3)),
          fields=[SqlField("deal", RECORD("deals"), "f_deal", "deals"),
                  MoneyField("price", money_type("EUR"), "f_price", places=2, currency="EUR",
                             cur_column="f_price_cur")])
    return schema


def m(amount, currency):
    return Money(Decimal(amount), currency)


ROWS = {
    "accounts": {1: {"name": "eur", "credit": m("5.00", "EUR")},
                 2: {"name": "usd", "credit": m("7.00", "USD")},
                 3: {"name": "none", "credit": None}},
    "deals": {
        1: {"amount": m("20.00", "USD"), "fee": m("1.00", "USD"), "qty": 2, "account": 2},
        2: {"amount": m("20.00", "EUR"), "fee": m("1.50", "USD"), "qty": 3, "account": 1},
        3: {"amount": None, "fee": m("2.00", "USD"), "qty": None, "account": 2},
        4: {"amount": m("10.00", "EUR"), "fee": None, "qty": 1, "account": None},
        5: {"amount": m("20.00", "EUR"), "fee": m("20.00", "EUR"), "qty": 0, "account": 3},
        6: {"amount": m("-3.00", "USD"), "fee": m("3.00", "USD"), "qty": 1, "account": 1},
    },
    "items": {1: {"deal": 1, "price": m("1.00", "USD")}, 2: {"deal": 1, "price": m("2.00", "USD")},
              3: {"deal": 2, "price": m("1.00", "EUR")}, 4: {"deal": 2, "price": m("3.00", "USD")},
              5: {"deal": 4, "price": None}, 6: {"deal": 5, "price": m("4.00", "EUR")},
              7: {"deal": 2, "price": m("9.00", "RUB"), "deleted": True}},
}


class Record:
    def __init__(self, table, row_id):
        self.table, self.row_id = table, row_id
        self.row = ROWS[table][row_id]

    def get(self, name):
        links = {"account": "accounts", "deal": "deals"}
        if name in links:
            target = ROWS[links[name]].get(self.row.get(name))
            return None if target is None or target.get("deleted") else \
                Record(links[name], self.row[name])
        if name == "items":
            return [Record("items", i) for i, row in sorted(ROWS["items"].items())
                    if row["deal"] == self.row_id and not row.get("deleted")]
        if name == "deals":
            return [Record("deals", i) for i, row in sorted(ROWS["deals"].items())
                    if row["account"] == self.row_id]
        return self.row.get(name)


def physical(schema, table, row_id, row):
    out = {"id": row_id, "deleted_at": dt.datetime(2026, 1, 1) if row.get("deleted") else None}
    for name, value in row.items():
        info = schema.tables[table].fields.get(name)
        if info is None or info.column is None:
            continue
        if isinstance(value, Money):
            out[info.cur_column] = value.currency
            value = value.amount
        elif isinstance(info, MoneyField):
            out[info.cur_column] = None
        if value is not None and info.scaled():
            value = int(Decimal(value).scaleb(info.places))
        out[info.column] = value
    return out


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db(request):
    if request.param == "sqlite":
        engine, metadata, name = _sqlite_engine(), sa.MetaData(), None
    else:
        engine, name = _pg_engine(), "cfm_" + uuid.uuid4().hex[:12]
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
        metadata = sa.MetaData(schema=name)
    schema = build(request.param, metadata)
    metadata.create_all(engine)
    with engine.begin() as conn:
        for table, rows in ROWS.items():
            conn.execute(schema.tables[table].table.insert(),
                         [physical(schema, table, i, row) for i, row in rows.items()])
    yield engine, schema
    if name:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    engine.dispose()


def python_results(schema, compiled, table):
    results = {}
    for row_id, row in ROWS[table].items():
        if row.get("deleted"):
            continue
        try:
            results[row_id] = evaluate(compiled, Record(table, row_id), today=TODAY)
        except FormulaError as exc:
            results[row_id] = exc
    return results


def sql_results(db, compiled, table):
    engine, schema = db
    alias = schema.table(table).sql_table().alias("t")
    result = to_sql_result(compiled, alias, schema, engine.dialect.name, today=TODAY)
    columns = [alias.c.id, result.value]
    if result.currency is not None:
        columns.append(result.currency)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*columns).where(alias.c.deleted_at.is_(None))).all()
    return result, {row[0]: tuple(row[1:]) for row in rows}


def decimal(value):
    return Decimal(format(value, ".15g")) if isinstance(value, float) else Decimal(value)


def agree(db, source, table="deals"):
    """Python's and SQL's answers for every record; returns Python's."""
    engine, schema = db
    compiled = check(source, schema.table(table), schema)
    expected = python_results(schema, compiled, table)
    result, got = sql_results(db, compiled, table)
    for row_id, value in expected.items():
        sql = got[row_id]
        if isinstance(value, FormulaError):
            assert result.checked and sql[0] is None, (source, row_id, value, sql)
            continue
        if isinstance(value, Money):
            assert sql[0] is not None and decimal(sql[0]) == value.amount, (source, row_id, value, sql)
            assert sql[1] == value.currency, (source, row_id, value, sql)
        elif isinstance(value, bool):
            assert bool(sql[0]) == value, (source, row_id, value, sql)
        elif isinstance(value, Decimal):
            assert decimal(sql[0]) == value, (source, row_id, value, sql)
        else:
            assert sql[0] == value, (source, row_id, value, sql)
    return expected


def test_the_issue_formula_is_an_error_on_both_paths(db):
    results = agree(db, 'amount + money(1, "EUR")')
    assert isinstance(results[1], CurrencyMismatch)
    assert results[1].currencies == ("USD", "EUR")
    assert "cannot add USD and EUR" in results[1].message
    assert results[2] == m("21.00", "EUR")
    assert results[3] == m("1", "EUR")          # empty amount: only the EUR


ARITHMETIC = [
    "amount", "amount * 2", "amount * qty", "-amount", "amount / 4", "amount // 3",
    "amount + fee", "fee - amount", "amount + 1", "round(amount / 3, 2)", "abs(amount)",
    "floor(amount)", "amount / fee", "amount // fee", "sum(amount, fee)", "max(amount, fee)",
    "min(amount, fee)", "amount + amount", 'amount + money(0, "EUR")',
    "IF(qty > 1, amount, fee)", "amount if qty else fee", "coalesce(amount, fee)",
    "IF(qty > 1, amount + fee, fee)", "currency(amount)", "currency(amount + 1)",
    "amount(amount) + 1", "round(amount + fee, 1) * 2", "account.credit",
    "amount + account.credit", "fee + account.credit", "account.credit * qty",
    "sum(items.price)", "avg(items.price)", "min(items.price)", "max(items.price)",
    "count(items.price)", "sum(items.price) + amount", "sum(items.price, where=items.price > 1)",
    "sum(items.price * 2)", "sum(items.price + fee)", "is_empty(amount)",
]


@pytest.mark.parametrize("source", ARITHMETIC)
def test_arithmetic_agrees(db, source):
    agree(db, source)


COMPARISONS = [
    "amount == fee", "amount != fee", "amount > fee", "amount >= fee", "amount < fee",
    'amount == money(20, "EUR")', 'amount != money(20, "EUR")', 'amount > money(5, "EUR")',
    'amount <= money(20, "EUR")', "amount > 5", "amount == 20", "amount in [fee]",
    "amount > fee or qty == 0", "qty == 0 or amount > fee", "qty > 1 and amount > fee",
    "amount > fee and qty > 1", "0 < qty < amount", "amount > fee if qty else False",
    "account.credit < amount", "any(items.price > fee)", "all(items.price < amount)",
    "count(items, where=items.price > fee) > 0", 'not (amount < money(100, "EUR"))',
]


@pytest.mark.parametrize("source", COMPARISONS)
def test_comparisons_agree(db, source):
    agree(db, source)


@pytest.mark.parametrize("source", COMPARISONS)
def test_filters_keep_the_rows_python_keeps(db, source):
    """A filter keeps a row where Python's answer is true; an error keeps none."""
    engine, schema = db
    compiled = check(source, schema.table("deals"), schema)
    expected = {row_id for row_id, value in python_results(schema, compiled, "deals").items()
                if value is True}
    alias = schema.table("deals").sql_table().alias("t")
    condition = to_where(compiled, alias, schema, engine.dialect.name, today=TODAY)
    with engine.connect() as conn:
        got = set(conn.execute(sa.select(alias.c.id).where(alias.c.deleted_at.is_(None),
                                                           condition)).scalars())
    assert got == expected, source


def test_aggregates_over_two_currencies(db):
    results = agree(db, "sum(items.price)")
    assert results[1] == m("3.00", "USD")
    assert isinstance(results[2], CurrencyMismatch)      # 1 EUR + 3 USD (the RUB is trashed)
    assert results[4] == Decimal(0) or results[4] == m("0", "EUR")
    results = agree(db, "sum(deals.amount)", table="accounts")
    assert isinstance(results[1], CurrencyMismatch)      # 20 EUR and -3 USD
    assert results[2] == m("20.00", "USD")
    results = agree(db, 'sum(deals.amount, where=currency(deals.amount) == "EUR")', table="accounts")
    assert results[1] == m("20.00", "EUR") and results[2] == m("0", "EUR")


def test_compile_time_mismatch_is_still_a_type_error(db):
    engine, schema = db
    with pytest.raises(FormulaError) as info:
        check('fee + money(1, "USD")', schema.table("deals"), schema)
    assert "cannot add EUR and USD" in info.value.message


def test_checked_only_when_a_check_is_needed(db):
    engine, schema = db
    alias = schema.table("deals").sql_table().alias()
    for source, checked in [("amount * 2", False), ("amount + 1", False), ("amount + fee", True),
                            ("sum(items.price)", True), ("amount == fee", False),
                            ("count(items)", False), ('money(1, "EUR") + money(2, "EUR")', False)]:
        compiled = check(source, schema.table("deals"), schema)
        assert to_sql_result(compiled, alias, schema, engine.dialect.name).checked is checked, source


def test_switch_on_money_is_computed_in_python(db):
    engine, schema = db
    compiled = check('switch(amount, money(20, "EUR"), 1, 0)', schema.table("deals"), schema)
    alias = schema.table("deals").sql_table().alias()
    with pytest.raises(FormulaError) as info:
        to_sql_result(compiled, alias, schema, engine.dialect.name)
    assert info.value.code == "FORMULA_NOT_SQL"


def test_scaled_integers_are_checked_too(db):
    """SQLite stores decimals as scaled integers computed in integer arithmetic (PostgreSQL
    has no such form): the same checks apply there."""
    engine, schema = db
    compiled = check("amount + fee", schema.table("deals"), schema)
    alias = schema.table("deals").sql_table().alias()
    scaled = to_sql_scaled(compiled, alias, schema, engine.dialect.name, 2)
    assert (scaled is None) is (engine.dialect.name == "postgresql")
    with engine.connect() as conn:
        got = dict(conn.execute(sa.select(alias.c.id, scaled if scaled is not None else
                                          sa.literal(None))).all())
    assert got[2] is None
    assert (got[1], got[5]) == ((2100, 4000) if scaled is not None else (None, None))
