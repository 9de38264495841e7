"""Currencies in compiled SQL: money is a pair (amount, currency) on the SQL path too.

:mod:`~cardfile.formula.to_sql` compiles every money value to its amount *and* its
currency, so that SQL refuses what Python refuses. A currency here (``Cur``) is:

* ``None`` — the value carries no currency (empty, or a plain number);
* a ``str`` — a currency known when the formula is compiled (``money(1, "EUR")``);
* an SQL expression — read per row: a money field's currency column (``FieldInfo.
  sql_currency``), NULL exactly where the value is empty.

Where Python raises :class:`~cardfile.formula.errors.CurrencyMismatch` (adding, dividing
or ordering money of two currencies, an aggregate over several), the compiler adds a
*check*: a condition the row must meet. The formula's SQL value is NULL where a check
fails, and :class:`~cardfile.formula.to_sql.SqlResult` says the formula was checked, so
callers evaluate those rows again in Python, which gives the error value — one result per
formula and record, whichever path computes it.
"""

from __future__ import annotations

from typing import Any, Union

import sqlalchemy as sa

Cur = Union[None, str, Any]


def as_sql(cur: Cur):
    """The currency as an SQL expression (NULL for none)."""
    if cur is None:
        return sa.null()
    if isinstance(cur, str):
        return sa.literal(cur, sa.String())
    return cur


def first(*currencies: Cur) -> Cur:
    """The first currency that is there (``COALESCE``), folded where it is known."""
    parts: list = []
    for cur in currencies:
        if cur is None:
            continue
        parts.append(cur)
        if isinstance(cur, str):
            break
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return sa.func.coalesce(*(as_sql(part) for part in parts), type_=sa.String())


def when_filled(value, cur: Cur) -> Cur:
    """``cur`` where ``value`` is not empty, NULL where it is."""
    if cur is None:
        return None
    if isinstance(value, sa.sql.elements.Null):
        return None
    if _never_null(value):
        return cur
    return sa.case((value.is_(None), sa.null()), else_=as_sql(cur))


def _never_null(value) -> bool:
    """A constant, or ``COALESCE(…, constant)`` (what arithmetic and ``sum`` compile to)."""
    if isinstance(value, sa.sql.elements.BindParameter):
        return value.value is not None
    if isinstance(value, sa.sql.functions.coalesce):
        clauses = list(value.clauses)
        return bool(clauses) and _never_null(clauses[-1])
    return False


def agree(a: Cur, b: Cur):
    """The condition under which Python adds or compares two money values without a
    currency error: either one carries no currency, or both carry the same.

    ``True`` when it always holds (no SQL needed), ``False`` when it never does."""
    if a is None or b is None:
        return True
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, str):
        a, b = b, a
    if isinstance(b, str):
        return sa.or_(a.is_(None), a == b)
    return sa.or_(a.is_(None), b.is_(None), a == b)


def differ(a: Cur, b: Cur):
    """Both carry a currency and they differ (``==`` is then false, ``!=`` true)."""
    if a is None or b is None:
        return False
    if isinstance(a, str) and isinstance(b, str):
        return a != b
    return sa.and_(as_sql(a).is_not(None), as_sql(b).is_not(None), as_sql(a) != as_sql(b))


def same_strict(a: Cur, b: Cur):
    """Both carry the same currency (money ÷ money needs both, in one currency)."""
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if a is None or b is None:
        return False
    return sa.func.coalesce(as_sql(a) == as_sql(b), sa.false())


def pick(condition, if_true: Cur, if_false: Cur) -> Cur:
    """The currency of ``a if condition else b``."""
    if if_true is None and if_false is None:
        return None
    if isinstance(if_true, str) and if_true == if_false:
        return if_true
    return sa.case((condition, as_sql(if_true)), else_=as_sql(if_false))


def sql_bool(condition):
    """A Python truth value or an SQL condition, as SQL."""
    if condition is True:
        return sa.true()
    if condition is False:
        return sa.false()
    return condition


__all__ = ["Cur", "agree", "as_sql", "differ", "first", "pick", "same_strict", "sql_bool",
           "when_filled"]
