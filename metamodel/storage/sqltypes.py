"""Column types that behave the same on SQLite and PostgreSQL.

``ExactDecimal``: PostgreSQL ``NUMERIC(28, places)``; on SQLite a scaled ``BIGINT``
(12.34 with two places is stored as 1234), so storage, comparison, sorting and ``SUM``
stay exact there too. ``casefold(expr)``: case-insensitive matching for any script
(SQLite's own ``lower()`` folds ASCII only, so a Python function is registered).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Numeric
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction
from sqlalchemy.types import String, TypeDecorator

from ...formula.rounding import quantize_to


class ExactDecimal(TypeDecorator):
    impl = Numeric
    cache_ok = True

    def __init__(self, places: int = 2):
        super().__init__()
        self.places = int(places)
        self.quantum = Decimal(1).scaleb(-self.places)

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(28, self.places, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = quantize_to(Decimal(value), self.quantum)
        if dialect.name == "sqlite":
            return int(value.scaleb(self.places))
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            if isinstance(value, float):
                return quantize_to(Decimal(repr(value)).scaleb(-self.places), self.quantum)
            return quantize_to(Decimal(int(value)).scaleb(-self.places), self.quantum)
        return quantize_to(Decimal(value), self.quantum)

    @property
    def python_type(self):
        return Decimal

    def __repr__(self) -> str:
        # the places are part of the type: a retype compares reprs to decide on a rewrite
        return f"ExactDecimal({self.places})"


class UtcDateTime(TypeDecorator):
    """Timestamps stored as naive UTC, returned as aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return value.replace(tzinfo=dt.timezone.utc)

    @property
    def python_type(self):
        return dt.datetime


_SQLITE_DATE = "%(year)04d-%(month)02d-%(day)02d"
_SQLITE_DATETIME = "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"


#: distinct values a fast converter remembers the text of, per column
_REMEMBERED = 100_000


def _remember(texts: dict, key, text: str) -> str:
    if len(texts) < _REMEMBERED:
        texts[key] = text
    return text


def fast_bind(column_type, dialect, slow):
    """A quicker equivalent of ``slow`` — SQLAlchemy's bind processor for a column of
    ``column_type`` — for the bulk paths: the common values converted directly, anything
    else handed to ``slow``. Types without a quicker way get ``slow`` itself. A contract
    test checks that both give the same for many values on both databases."""
    impl = column_type.dialect_impl(dialect)
    sqlite = dialect.name == "sqlite"
    if isinstance(column_type, ExactDecimal):
        quantum, places = column_type.quantum, column_type.places
        digits = 18 - places  # |value| < 10 ** digits: well inside any precision quantize refuses
        factor = 10 ** places

        def bind_decimal(value):
            if type(value) is Decimal and value.is_finite() and value.adjusted() < digits:
                if not sqlite:
                    return quantize_to(value, quantum)
                numerator, denominator = value.as_integer_ratio()
                if factor % denominator == 0:  # no digits beyond the places: nothing to round
                    return numerator * (factor // denominator)
            return slow(value)
        return bind_decimal
    if isinstance(column_type, UtcDateTime):
        utc = dt.timezone.utc
        if sqlite and getattr(impl.impl, "_storage_format", None) != _SQLITE_DATETIME:
            return slow

        days: dict = {}  # date -> "YYYY-MM-DD ", time of day -> "HH:MM:SS.ffffff": a column
        clocks: dict = {}  # holds few distinct dates, and often few distinct times of day

        def bind_datetime(value):
            if type(value) is dt.datetime:
                if sqlite and value.tzinfo is utc:  # SQLAlchemy's text of the naive UTC time
                    date, clock = value.date(), value.time()
                    day, time = days.get(date), clocks.get(clock)
                    if day is None:
                        day = _remember(days, date, "%04d-%02d-%02d " % (value.year, value.month, value.day))
                    if time is None:
                        time = _remember(clocks, clock, "%02d:%02d:%02d.%06d" % (
                            value.hour, value.minute, value.second, value.microsecond))
                    return day + time
                if value.tzinfo is not None:
                    value = value.astimezone(utc).replace(tzinfo=None)
                return value.isoformat(" ", "microseconds") if sqlite else value
            return slow(value)
        return bind_datetime
    if sqlite and type(column_type) is Date and getattr(impl, "_storage_format", None) == _SQLITE_DATE:
        texts: dict = {}  # a column holds few distinct dates: each is formatted once

        def bind_date(value):
            if type(value) is dt.date:
                text = texts.get(value)
                return _remember(texts, value, value.isoformat()) if text is None else text
            return slow(value)
        return bind_date
    if sqlite and type(column_type) is Boolean and not dialect.supports_native_boolean:
        def bind_bool(value):
            return 1 if value is True else 0 if value is False else slow(value)
        return bind_bool
    return slow


class casefold(GenericFunction):  # noqa: N801 - SQL function style
    type = String()
    inherit_cache = True
    name = "casefold"


@compiles(casefold)
def _casefold_default(element, compiler, **kw):
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(casefold, "sqlite")
def _casefold_sqlite(element, compiler, **kw):
    return f"cf_casefold({compiler.process(element.clauses, **kw)})"


def sqlite_casefold(value):
    return value.casefold() if isinstance(value, str) else value
