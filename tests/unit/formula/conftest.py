"""Fixtures for the formula tests: a small accounting schema implementing the schema
Protocols over real SQLAlchemy tables, on SQLite and on PostgreSQL.

Tables: categories ← clients ← invoices ← lines, and payments → invoices. On SQLite
decimal and money columns are scaled integers (``sql_value`` divides them back, like
the platform's storage); on PostgreSQL they are NUMERIC. ``StoreRecord`` reads the same
rows in Python, as a ``RecordContext``, so both paths see the same data.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
import sqlalchemy as sa

from cardfile.formula.to_sql import register_sqlite_functions
from cardfile.formula.types import (BOOL, COLLECTION, DATE, NUMBER, RECORD, TEXT, FormulaType,
                                    Money, money_type)

PG_URL = os.environ.get("CARDFILE_TEST_DATABASE_URL",
                        "postgresql://postgres@127.0.0.1/test").replace(
    "postgresql://", "postgresql+psycopg://", 1)


@dataclass
class SqlField:
    name: str
    type: FormulaType
    column: str | None = None
    target: str | None = None
    places: int | None = None
    currency: str | None = None
    back: str | None = None         # COLLECTION: column of the target pointing back
    dialect: str = "sqlite"

    def scaled(self) -> bool:
        return self.dialect == "sqlite" and self.type.kind in ("NUMBER", "MONEY") and \
            bool(self.places)

    def sql_value(self, table):
        column = table.c[self.column]
        if self.scaled():
            return column / float(10 ** self.places)
        return column

    def sql_stored(self, table):
        if self.scaled():
            return table.c[self.column], self.places
        return table.c[self.column], 0

    def sql_link(self, table):
        return table.c[self.column]

    def sql_back(self, target_table):
        return target_table.c[self.back]


@dataclass
class SqlTable:
    name: str
    table: sa.Table
    fields: dict[str, SqlField] = field(default_factory=dict)

    def field(self, name):
        return self.fields.get(name)

    def field_names(self):
        return list(self.fields)

    def sql_table(self):
        return self.table


@dataclass
class SqlSchema:
    dialect: str
    tables: dict[str, SqlTable] = field(default_factory=dict)

    def table(self, name):
        return self.tables.get(name)


def _numeric(dialect: str, places: int):
    return sa.BigInteger() if dialect == "sqlite" else sa.Numeric(18, places)


def build_schema(dialect: str, metadata: sa.MetaData) -> SqlSchema:
    schema = SqlSchema(dialect)

    def table(name, *columns, fields=()):
        sa_table = sa.Table(name, metadata, sa.Column("id", sa.Integer, primary_key=True),
                            sa.Column("deleted_at", sa.DateTime, nullable=True), *columns)
        for item in fields:
            item.dialect = dialect
        schema.tables[name] = SqlTable(name, sa_table, {f.name: f for f in fields})

    n2 = _numeric(dialect, 2)
    table("categories", sa.Column("f_name", sa.String(50)), sa.Column("f_discount", n2),
          fields=[SqlField("name", TEXT, "f_name"),
                  SqlField("discount", NUMBER, "f_discount", places=2)])
    table("clients", sa.Column("f_name", sa.String(50)), sa.Column("f_category", sa.Integer),
          fields=[SqlField("name", TEXT, "f_name"),
                  SqlField("category", RECORD("categories"), "f_category", "categories"),
                  SqlField("invoices", COLLECTION("invoices"), None, "invoices",
                           back="f_client")])
    table("invoices", sa.Column("f_number", sa.String(50)), sa.Column("f_status", sa.String(20)),
          sa.Column("f_total", _numeric(dialect, 3)), sa.Column("f_discount", n2),
          sa.Column("f_price", _numeric(dialect, 2)), sa.Column("f_issued", sa.Date),
          sa.Column("f_due", sa.Date), sa.Column("f_paid", sa.Boolean),
          sa.Column("f_qty", sa.Integer), sa.Column("f_client", sa.Integer),
          fields=[SqlField("number", TEXT, "f_number"), SqlField("status", TEXT, "f_status"),
                  SqlField("total", NUMBER, "f_total", places=3),
                  SqlField("discount", NUMBER, "f_discount", places=2),
                  SqlField("price", money_type("EUR"), "f_price", places=2, currency="EUR"),
                  SqlField("issued", DATE, "f_issued"), SqlField("due_date", DATE, "f_due"),
                  SqlField("paid", BOOL, "f_paid"), SqlField("qty", NUMBER, "f_qty", places=0),
                  SqlField("client", RECORD("clients"), "f_client", "clients"),
                  SqlField("lines", COLLECTION("lines"), None, "lines", back="f_invoice"),
                  SqlField("payments", COLLECTION("payments"), None, "payments",
                           back="f_invoice")])
    table("lines", sa.Column("f_invoice", sa.Integer), sa.Column("f_label", sa.String(50)),
          sa.Column("f_amount", n2), sa.Column("f_vat", n2), sa.Column("f_qty", sa.Integer),
          fields=[SqlField("invoice", RECORD("invoices"), "f_invoice", "invoices"),
                  SqlField("label", TEXT, "f_label"),
                  SqlField("amount", NUMBER, "f_amount", places=2),
                  SqlField("vat", NUMBER, "f_vat", places=2),
                  SqlField("qty", NUMBER, "f_qty", places=0)])
    table("payments", sa.Column("f_invoice", sa.Integer), sa.Column("f_amount", n2),
          sa.Column("f_on", sa.Date),
          fields=[SqlField("invoice", RECORD("invoices"), "f_invoice", "invoices"),
                  SqlField("amount", money_type("EUR"), "f_amount", places=2, currency="EUR"),
                  SqlField("paid_on", DATE, "f_on")])
    return schema


class Store:
    """Rows by table (dicts of API-name values, Python types); writes them to SQL too."""

    def __init__(self, schema: SqlSchema):
        self.schema = schema
        self.rows: dict[str, dict[int, dict]] = {name: {} for name in schema.tables}

    def add(self, table: str, row_id: int, deleted: bool = False, **values) -> int:
        self.rows[table][row_id] = {"id": row_id, "deleted": deleted, **values}
        return row_id

    def write(self, conn) -> None:
        for name, rows in self.rows.items():
            info = self.schema.tables[name]
            payload = [self._physical(info, row) for row in rows.values()]
            if payload:
                conn.execute(info.table.insert(), payload)

    def _physical(self, info: SqlTable, row: dict) -> dict:
        out = {"id": row["id"],
               "deleted_at": dt.datetime(2026, 1, 1) if row["deleted"] else None}
        for key, value in row.items():
            item = info.fields.get(key)
            if item is None or item.column is None:
                continue
            if isinstance(value, Money):
                value = value.amount
            if value is not None and item.scaled():
                value = int(Decimal(value).scaleb(item.places))
            out[item.column] = value
        return out

    def record(self, table: str, row_id: int) -> "StoreRecord":
        return StoreRecord(self, table, row_id)


class StoreRecord:
    __slots__ = ("store", "table", "row")

    def __init__(self, store: Store, table: str, row_id: int):
        self.store, self.table = store, table
        self.row = store.rows[table][row_id]

    def get(self, name):
        info = self.store.schema.tables[self.table].fields[name]
        kind = info.type.kind
        if kind == "RECORD":
            target = self.store.rows[info.target].get(self.row.get(name))
            if target is None or target["deleted"]:
                return None
            return StoreRecord(self.store, info.target, target["id"])
        if kind == "COLLECTION":
            back = next(f.name for f in self.store.schema.tables[info.target].fields.values()
                        if f.column == info.back)
            return [StoreRecord(self.store, info.target, row["id"])
                    for row in sorted(self.store.rows[info.target].values(),
                                      key=lambda r: r["id"])
                    if row.get(back) == self.row["id"] and not row["deleted"]]
        return self.row.get(name)


@dataclass
class Database:
    dialect: str
    engine: sa.Engine
    schema: SqlSchema

    def store(self) -> Store:
        return Store(self.schema)

    def rollback_connection(self):
        return _RolledBack(self.engine)


class _RolledBack:
    def __init__(self, engine):
        self.engine = engine

    def __enter__(self):
        self.conn = self.engine.connect()
        self.transaction = self.conn.begin()
        return self.conn

    def __exit__(self, *exc):
        self.transaction.rollback()
        self.conn.close()


def _sqlite_engine():
    engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool)
    sa.event.listen(engine, "connect", lambda dbapi, _record: register_sqlite_functions(dbapi))
    return engine


def _pg_engine():
    engine = sa.create_engine(PG_URL, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - the reason is reported
        engine.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    return engine


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request):
    """A fresh database of each kind with the test schema (one per test module)."""
    if request.param == "sqlite":
        engine = _sqlite_engine()
        metadata = sa.MetaData()
        schema = build_schema("sqlite", metadata)
        metadata.create_all(engine)
        yield Database("sqlite", engine, schema)
        engine.dispose()
        return
    engine = _pg_engine()
    name = "cff_" + uuid.uuid4().hex[:12]
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
    metadata = sa.MetaData(schema=name)
    schema = build_schema("postgresql", metadata)
    metadata.create_all(engine)
    try:
        yield Database("postgresql", engine, schema)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        engine.dispose()


@pytest.fixture
def memory_schema():
    """The same schema without a database (SQLite flavour), for Python-only tests."""
    return build_schema("sqlite", sa.MetaData())
