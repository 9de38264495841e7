"""Contract: ``fast_bind`` converts exactly as SQLAlchemy's bind processors do.

The bulk insert path converts values with ``fast_bind(column_type, dialect, slow)``; for
every column type it must give what ``slow`` (the processor SQLAlchemy compiles for the
column) gives — same value, same type — or raise what ``slow`` raises, on SQLite and on
PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st
from sqlalchemy import BigInteger, Boolean, Column, Date, Integer, MetaData, String, Table, Text, insert
from sqlalchemy.dialects import postgresql, sqlite

from cardfile.metamodel.storage.sqltypes import ExactDecimal, UtcDateTime, fast_bind

UTC = dt.timezone.utc
MINUS5 = dt.timezone(dt.timedelta(hours=-5))
TYPES = {"decimal0": ExactDecimal(0), "decimal2": ExactDecimal(2), "decimal3": ExactDecimal(3),
         "decimal8": ExactDecimal(8), "stamp": UtcDateTime(), "day": Date(), "flag": Boolean(),
         "text": Text(), "code": String(3), "count": BigInteger(), "ref": Integer()}
DIALECTS = {"sqlite": sqlite.dialect(), "postgresql": postgresql.psycopg.dialect()}

SAMPLES = [
    None, 0, 1, -7, 2**70, 1.5, True, False, "x", "",
    Decimal("0"), Decimal("-0"), Decimal("12.34"), Decimal("12.3"), Decimal("12.345"), Decimal("12.355"),
    Decimal("-0.005"), Decimal("1E+3"), Decimal("1E+30"), Decimal("1E-9"), Decimal("99999999.99999999"),
    Decimal("NaN"), Decimal("Infinity"),
    dt.date(2024, 2, 29), dt.date(999, 1, 2), dt.datetime(2024, 2, 29, 23, 59, 59),
    dt.datetime(2024, 2, 29, 23, 59, 59, 1, tzinfo=UTC), dt.datetime(999, 1, 1, tzinfo=UTC),
    dt.datetime(2024, 1, 1, 3, 0, tzinfo=MINUS5), dt.datetime(2024, 6, 1, 12, 0, 0, 123456),
]


def processors(dialect):
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True),
                  *(Column(name, kind) for name, kind in TYPES.items()))
    compiled = insert(table).compile(dialect=dialect, column_keys=list(TYPES))
    for name, kind in TYPES.items():
        slow = compiled._bind_processors.get(name)
        if slow is not None:
            yield name, kind, slow


def outcome(bind, value):
    try:
        result = bind(value)
    except Exception as exc:  # noqa: BLE001 - the same failure is part of the contract
        return ("raises", type(exc))
    return ("value", type(result), repr(result))


CASES = [pytest.param(dialect, name, kind, slow, id=f"{d}-{name}")
         for d, dialect in DIALECTS.items() for name, kind, slow in processors(dialect)]


def test_the_bulk_column_types_have_processors_to_compare():
    names = {(c.values[0].name, c.values[1]) for c in CASES}
    assert {("sqlite", n) for n in ("decimal2", "stamp", "day", "flag")} <= names
    assert {("postgresql", n) for n in ("decimal2", "stamp")} <= names


@pytest.mark.parametrize("dialect,name,kind,slow", CASES)
def test_fast_bind_converts_as_sqlalchemy_does(dialect, name, kind, slow):
    fast = fast_bind(kind, dialect, slow)
    assert [outcome(fast, v) for v in SAMPLES] == [outcome(slow, v) for v in SAMPLES]


@pytest.mark.parametrize("dialect,name,kind,slow", [c for c in CASES if c.values[1] in ("decimal2", "decimal8", "stamp")])
@settings(max_examples=300, deadline=None)
@given(value=st.one_of(st.decimals(allow_nan=False, allow_infinity=False, places=None),
                       st.decimals(min_value=-10**9, max_value=10**9, places=4),
                       st.datetimes(timezones=st.sampled_from([None, UTC, MINUS5]))))
def test_fast_bind_converts_generated_values_as_sqlalchemy_does(dialect, name, kind, slow, value):
    assert outcome(fast_bind(kind, dialect, slow), value) == outcome(slow, value)
