"""The example record every function example in the docs is evaluated against.

An invoice with three lines, a client with a category, a money price and a few
empty fields. ``docs.py`` renders it into ``docs/formulas.md`` and a test runs every
example through the checker and the evaluator, so examples cannot drift.

``MemoryField``/``MemoryTable``/``MemorySchema`` implement the schema Protocols without
storage (their SQL methods refuse with ``FORMULA_NOT_SQL``): enough to check and
evaluate formulas in Python, e.g. for previews.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from . import errors as E
from .errors import FormulaError
from .schema import DictRecord
from .types import (BOOL, COLLECTION, DATE, NUMBER, RECORD, TEXT, FormulaType, Money,
                    money_type)


@dataclass
class MemoryField:
    name: str
    type: FormulaType
    target: str | None = None
    places: int | None = None
    currency: str | None = None

    def _no_sql(self, *_args):
        raise FormulaError(E.NOT_SQL, f"{self.name} has no SQL storage")

    sql_value = sql_link = sql_back = _no_sql


@dataclass
class MemoryTable:
    name: str
    fields: dict[str, MemoryField] = field(default_factory=dict)

    def field(self, name: str) -> MemoryField | None:
        return self.fields.get(name)

    def field_names(self) -> list[str]:
        return list(self.fields)

    def sql_table(self):
        raise FormulaError(E.NOT_SQL, f"{self.name} has no SQL storage")


@dataclass
class MemorySchema:
    tables: dict[str, MemoryTable] = field(default_factory=dict)

    def table(self, name: str) -> MemoryTable | None:
        return self.tables.get(name)

    def add(self, name: str, *fields: MemoryField) -> MemoryTable:
        table = MemoryTable(name, {f.name: f for f in fields})
        self.tables[name] = table
        return table


def example_schema() -> MemorySchema:
    schema = MemorySchema()
    schema.add(
        "invoices",
        MemoryField("number", TEXT), MemoryField("status", TEXT),
        MemoryField("total", NUMBER, places=2), MemoryField("discount", NUMBER, places=2),
        MemoryField("price", money_type("EUR"), places=2, currency="EUR"),
        MemoryField("issued", DATE), MemoryField("due_date", DATE),
        MemoryField("paid", BOOL), MemoryField("qty", NUMBER, places=0),
        MemoryField("client", RECORD("clients"), target="clients"),
        MemoryField("lines", COLLECTION("lines"), target="lines"),
    )
    schema.add("clients", MemoryField("name", TEXT),
               MemoryField("category", RECORD("categories"), target="categories"))
    schema.add("categories", MemoryField("discount", NUMBER, places=0))
    schema.add("lines", MemoryField("amount", NUMBER, places=2),
               MemoryField("vat", NUMBER, places=2), MemoryField("qty", NUMBER, places=0))
    return schema


EXAMPLE_DATA = {
    "number": "INV-2026-0001", "status": "paid", "total": Decimal("120.50"), "discount": None,
    "price": Money(Decimal("100.00"), "EUR"), "issued": dt.date(2026, 1, 31),
    "due_date": dt.date(2026, 3, 1), "paid": True, "qty": Decimal(3),
    "client": {"name": "Acme", "category": {"discount": Decimal(10)}},
    "lines": [
        {"amount": Decimal("100.00"), "vat": Decimal("20.00"), "qty": Decimal(2)},
        {"amount": Decimal("50.00"), "vat": Decimal("0.00"), "qty": Decimal(1)},
        {"amount": None, "vat": Decimal("20.00"), "qty": Decimal(0)},
    ],
}
EXAMPLE_TODAY = dt.date(2026, 3, 15)
EXAMPLE_NOW = dt.datetime(2026, 3, 15, 9, 30)


class ExampleRates:
    """EUR→USD is 1.08 until 2026-01-31 and 1.10 from February 2026."""

    def rate(self, from_: str, to: str, on: dt.date) -> Decimal | None:
        if (from_, to) != ("EUR", "USD"):
            return None
        return Decimal("1.08") if on < dt.date(2026, 2, 1) else Decimal("1.10")


def example_record() -> DictRecord:
    return DictRecord(EXAMPLE_DATA)


def run_example(expression: str, functions=None):
    """Check and evaluate ``expression`` on the example invoice."""
    from .checker import check
    from .evaluate import evaluate

    schema = example_schema()
    compiled = check(expression, schema.table("invoices"), schema, functions=functions)
    return evaluate(compiled, example_record(), me={"id": 1, "username": "anna"},
                    today=EXAMPLE_TODAY, now=EXAMPLE_NOW, rates=ExampleRates())
