"""Column types that behave the same on SQLite and PostgreSQL.

``ExactDecimal``: PostgreSQL ``NUMERIC(28, places)``; on SQLite a scaled ``BIGINT``
(12.34 with two places is stored as 1234), so storage, comparison, sorting and ``SUM``
stay exact there too. ``casefold(expr)``: case-insensitive matching for any script
(SQLite's own ``lower()`` folds ASCII only, so a Python function is registered).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger, DateTime, Numeric
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction
from sqlalchemy.types import String, TypeDecorator


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
        value = Decimal(value).quantize(self.quantum, rounding=ROUND_HALF_UP)
        if dialect.name == "sqlite":
            return int(value.scaleb(self.places))
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            if isinstance(value, float):
                return Decimal(repr(value)).scaleb(-self.places).quantize(self.quantum, rounding=ROUND_HALF_UP)
            return Decimal(int(value)).scaleb(-self.places).quantize(self.quantum)
        return Decimal(value).quantize(self.quantum, rounding=ROUND_HALF_UP)

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
