"""Date functions. Weekdays are ISO: Monday is 1, Sunday is 7. An empty date gives an
empty result; an empty number of days or months counts as 0.

``today()`` and ``now()`` read the evaluation context (the caller passes the date and
time, so a whole recompute sees one instant); in SQL they become bound parameters.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

from .. import errors as E
from .. import ops
from ..errors import FormulaError
from ..types import DATE, DATETIME, NUMBER
from .registry import ArgTypeError, FunctionRegistry, FunctionSpec, Param, TypeCall

DAY = ("DATE", "DATETIME")
INT = NUMBER.with_places(0)


def _date(value, month=None, day=None):
    if month is None and day is None:
        if value is None or type(value) is dt.date:
            return value
        if isinstance(value, dt.datetime):
            return value.date()
        try:
            return dt.date.fromisoformat(ops.text(value))
        except ValueError:
            raise FormulaError(E.RUNTIME, f"not a date: {value!r} (use YYYY-MM-DD)") from None
    try:
        return dt.date(int(ops.num(value)), int(ops.num(month)), int(ops.num(day)))
    except (ValueError, OverflowError) as exc:
        raise FormulaError(E.RUNTIME, f"invalid date: {exc}") from None


def _date_type(call: TypeCall):
    if len(call.args) == 2:
        raise ArgTypeError(None, "takes date(value) or date(year, month, day)")
    if len(call.args) == 1:
        if call.args[0].kind not in ("DATE", "DATETIME", "TEXT", "ANY", "EMPTY"):
            raise ArgTypeError(0, f"cannot make a date from {call.args[0]}")
        return DATE
    for index, arg in enumerate(call.args):
        if arg.kind not in ("NUMBER", "ANY", "EMPTY"):
            raise ArgTypeError(index, f"year, month and day must be numbers, not {arg}")
    return DATE


def _sql_date(call, *args):
    if len(args) == 3:
        if not all(call.is_constant(i) for i in range(3)):
            call.not_sql("date(year, month, day) from fields is computed in Python")
        return call.literal(_date(*(call.constant(i) for i in range(3))), DATE)
    kind = call.types[0].kind
    if kind == "DATE":
        return args[0]
    if kind != "DATETIME":
        call.not_sql("date() from text is computed in Python")
    if call.dialect == "sqlite":
        return call.typed(call.fn.date(args[0]), DATE)
    return call.cast(args[0], DATE)


def _part(name):
    def impl(value):
        return None if value is None else Decimal(getattr(value, name))
    return impl


def _sql_part(field, sqlite_format):
    def compile_(call, value):
        if call.dialect == "sqlite":
            return call.cast(call.fn.strftime(sqlite_format, value), INT)
        return call.cast(call.fn.extract(field, value), INT)
    return compile_


def _weekday(value):
    return None if value is None else Decimal(value.isoweekday())


def _sql_weekday(call, value):
    if call.dialect == "sqlite":
        return (call.cast(call.fn.strftime("%w", value), INT) + 6) % 7 + 1
    return call.cast(call.fn.extract("isodow", value), INT)


def add_months(value, months):
    if value is None:
        return None
    months = int(ops.num(months))
    index = value.year * 12 + value.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise FormulaError(E.RUNTIME, "date out of range")
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


def _add_days(value, days):
    return ops.add(value, ops.num(days)) if value is not None else None


def _sql_add_days(call, value, days):
    if call.types[0].kind != "DATE":
        call.not_sql("date-time arithmetic is computed in Python")
    if call.dialect == "sqlite":
        return call.typed(call.cf(value, call.num(days)), DATE)
    return value + call.integer(call.num(days))


def _sql_add_months(call, value, months):
    if call.types[0].kind != "DATE":
        call.not_sql("date-time arithmetic is computed in Python")
    if call.dialect == "sqlite":
        return call.typed(call.cf(value, call.num(months)), DATE)
    interval = call.fn.make_interval(0, call.integer(call.num(months)))
    return call.cast(value + interval, DATE)


def _sql_days_between(call, start, end):
    if call.types[0].kind != "DATE" or call.types[1].kind != "DATE":
        call.not_sql("date-time differences are computed in Python")
    if call.dialect == "sqlite":
        return call.cast(call.fn.julianday(end) - call.fn.julianday(start), INT)
    return end - start


def _start_of_month(value):
    if value is None:
        return None
    return dt.date(value.year, value.month, 1)


def _sql_start_of_month(call, value):
    if call.dialect == "sqlite":
        return call.typed(call.fn.date(value, "start of month"), DATE)
    return call.cast(call.fn.date_trunc("month", value), DATE)


def _same_day_type(call: TypeCall):
    return call.args[0] if call.args[0].kind in DAY else DATE


SPECS = [
    FunctionSpec(
        name="date", params=(Param("value_or_year"), Param("month", optional=True),
                             Param("day", optional=True)),
        returns=_date_type, impl=_date, sql=_sql_date, can_fail=True, category="dates",
        description="`date(year, month, day)` makes a date; `date(value)` takes the date "
                    "of a date-time or of text written YYYY-MM-DD.",
        examples=(("date(2026, 3, 9)", dt.date(2026, 3, 9)),
                  ('date("2026-03-09")', dt.date(2026, 3, 9)))),
    FunctionSpec(
        name="year", params=(Param("date", DAY),), returns=INT, impl=_part("year"),
        sql=_sql_part("year", "%Y"), category="dates", description="The year of a date.",
        examples=(("year(date(2026, 3, 9))", Decimal(2026)),)),
    FunctionSpec(
        name="month", params=(Param("date", DAY),), returns=INT, impl=_part("month"),
        sql=_sql_part("month", "%m"), category="dates",
        description="The month of a date, 1 to 12.",
        examples=(("month(date(2026, 3, 9))", Decimal(3)),)),
    FunctionSpec(
        name="day", params=(Param("date", DAY),), returns=INT, impl=_part("day"),
        sql=_sql_part("day", "%d"), category="dates",
        description="The day of the month, 1 to 31.",
        examples=(("day(date(2026, 3, 9))", Decimal(9)),)),
    FunctionSpec(
        name="weekday", params=(Param("date", DAY),), returns=INT, impl=_weekday,
        sql=_sql_weekday, category="dates",
        description="The day of the week: Monday is 1, Sunday is 7.",
        examples=(("weekday(date(2026, 3, 9))", Decimal(1)),)),
    FunctionSpec(
        name="add_days", params=(Param("date", DAY), Param("days", ("NUMBER",))),
        returns=_same_day_type, impl=_add_days, sql=_sql_add_days, sqlite=True,
        can_fail=True, category="dates",
        description="The date `days` days later (earlier if negative). `date + days` is "
                    "the same.",
        examples=(("add_days(date(2026, 2, 27), 3)", dt.date(2026, 3, 2)),)),
    FunctionSpec(
        name="add_months", params=(Param("date", DAY), Param("months", ("NUMBER",))),
        returns=_same_day_type, impl=add_months, sql=_sql_add_months, sqlite=True,
        can_fail=True, category="dates",
        description="The same day `months` months later; the 31st becomes the last day of "
                    "a shorter month.",
        examples=(("add_months(date(2026, 1, 31), 1)", dt.date(2026, 2, 28)),)),
    FunctionSpec(
        name="days_between", params=(Param("start", DAY), Param("end", DAY)),
        returns=NUMBER, impl=ops.days_between, sql=_sql_days_between, category="dates",
        description="`end - start` in days (negative if `end` is earlier). `end - start` "
                    "is the same for dates.",
        examples=(("days_between(date(2026, 1, 1), date(2026, 3, 1))", Decimal(59)),)),
    FunctionSpec(
        name="start_of_month", params=(Param("date", DAY),), returns=DATE,
        impl=_start_of_month, sql=_sql_start_of_month, category="dates",
        description="The first day of the date's month.",
        examples=(("start_of_month(date(2026, 3, 9))", dt.date(2026, 3, 1)),)),
    FunctionSpec(
        name="today", params=(), returns=DATE, impl=lambda ctx: ctx.today, context=True,
        volatile=True, sql=lambda call: call.literal(call.today, DATE), category="dates",
        description="Today's date (the evaluation's date).",
        examples=(("today()", dt.date(2026, 3, 15)),)),
    FunctionSpec(
        name="now", params=(), returns=DATETIME, impl=lambda ctx: ctx.now, context=True,
        volatile=True, sql=lambda call: call.literal(call.now, DATETIME), category="dates",
        description="The current date and time (the evaluation's instant).",
        examples=(("now()", dt.datetime(2026, 3, 15, 9, 30)),)),
]


def register(registry: FunctionRegistry) -> None:
    for spec in SPECS:
        registry.register(spec, source=__name__)
