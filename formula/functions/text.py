"""Text functions. Empty text counts as ``""``; positions count characters from 1."""

from __future__ import annotations

import re
from decimal import Decimal

from .. import errors as E
from .. import ops
from ..errors import FormulaError
from ..rounding import format_number
from ..types import BOOL, NUMBER, TEXT, Money
from .registry import FunctionRegistry, FunctionSpec, Param

WHITESPACE = " \t\r\n"
NUMBER_FORMAT = re.compile(r"^[<>^=]?[+\- ]?0?\d{0,2}[,_]?(\.\d{1,2})?[f%]?$")
MAX_DATE_FORMAT = 100
TXT = ("TEXT",)
NUM = ("NUMBER",)


def _count(value) -> int:
    return max(int(ops.num(value)), 0)


def _left(value, count):
    return ops.text(value)[: _count(count)]


def _right(value, count):
    text, count = ops.text(value), _count(count)
    return text[len(text) - count:] if count else ""


def _mid(value, start, length):
    begin = max(int(ops.num(start)), 1) - 1
    return ops.text(value)[begin: begin + _count(length)]


def _replace(value, old, new):
    text, old, new = ops.text(value), ops.text(old), ops.text(new)
    if not old:
        return text
    if text.count(old) * max(len(new) - len(old), 0) + len(text) > ops.MAX_TEXT:
        raise FormulaError(E.LIMIT, f"text result longer than {ops.MAX_TEXT} characters")
    return text.replace(old, new)


def _concat(*values):
    return ops.check_text("".join(ops.text(value) for value in values))


def _format(value, pattern):
    pattern = ops.text(pattern)
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        if len(pattern) > MAX_DATE_FORMAT:
            raise FormulaError(E.LIMIT, "date format pattern too long")
        return value.strftime(pattern)
    if not NUMBER_FORMAT.match(pattern):
        raise FormulaError(E.RUNTIME, f"unsupported number format {pattern!r}: use e.g. "
                                      "\",.2f\" or \".0%\"")
    if isinstance(value, Money):
        return f"{format_number(value.amount, pattern)} {value.currency}"
    return format_number(ops.to_number(value), pattern)


def _native(name):
    return lambda call, *args: getattr(call.fn, name)(*(call.text(arg) for arg in args))


def _cf_or(pg):
    def compile_(call, *args):
        if call.dialect == "sqlite":
            return call.cf(*args)
        return pg(call, *args)
    return compile_


def _sql_concat(call, *values):
    if any(kind.kind != "TEXT" for kind in call.types):
        call.not_sql("concat() of non-text values is computed in Python")
    result = call.text(values[0])
    for value in values[1:]:
        result = result.op("||")(call.text(value))
    return result


SPECS = [
    FunctionSpec(
        name="upper", params=(Param("text", TXT),), returns=TEXT,
        impl=lambda value: ops.text(value).upper(), sqlite=True, category="text",
        sql=_cf_or(lambda call, value: call.fn.upper(call.text(value))),
        description="The text in capital letters.", examples=(('upper("Acme")', "ACME"),)),
    FunctionSpec(
        name="lower", params=(Param("text", TXT),), returns=TEXT,
        impl=lambda value: ops.text(value).lower(), sqlite=True, category="text",
        sql=_cf_or(lambda call, value: call.fn.lower(call.text(value))),
        description="The text in small letters.", examples=(('lower("Acme")', "acme"),)),
    FunctionSpec(
        name="trim", params=(Param("text", TXT),), returns=TEXT,
        impl=lambda value: ops.text(value).strip(WHITESPACE), sqlite=True, category="text",
        sql=_cf_or(lambda call, value: call.fn.btrim(call.text(value),
                                                     call.literal(WHITESPACE))),
        description="The text without spaces, tabs and line breaks at either end.",
        examples=(('trim("  a b  ")', "a b"),)),
    FunctionSpec(
        name="len", params=(Param("text", TXT),), returns=NUMBER.with_places(0),
        impl=lambda value: Decimal(len(ops.text(value))), category="text",
        sql=lambda call, value: call.fn.length(call.text(value)),
        description="The number of characters.", examples=(('len("Acme")', Decimal(4)),)),
    FunctionSpec(
        name="left", params=(Param("text", TXT), Param("count", NUM)), returns=TEXT,
        impl=_left, sqlite=True, category="text",
        sql=_cf_or(lambda call, value, count: call.fn.left(
            call.text(value), call.fn.greatest(call.integer(call.num(count)), 0))),
        description="The first `count` characters.", examples=(('left("Acme", 2)', "Ac"),)),
    FunctionSpec(
        name="right", params=(Param("text", TXT), Param("count", NUM)), returns=TEXT,
        impl=_right, sqlite=True, category="text",
        sql=_cf_or(lambda call, value, count: call.fn.right(
            call.text(value), call.fn.greatest(call.integer(call.num(count)), 0))),
        description="The last `count` characters.", examples=(('right("Acme", 2)', "me"),)),
    FunctionSpec(
        name="mid", params=(Param("text", TXT), Param("start", NUM), Param("count", NUM)),
        returns=TEXT, impl=_mid, sqlite=True, category="text",
        sql=_cf_or(lambda call, value, start, count: call.fn.substr(
            call.text(value), call.fn.greatest(call.integer(call.num(start)), 1),
            call.fn.greatest(call.integer(call.num(count)), 0))),
        description="`count` characters starting at position `start` (the first is 1).",
        examples=(('mid("Invoice", 3, 4)', "voic"),)),
    FunctionSpec(
        name="contains", params=(Param("text", TXT), Param("part", TXT)), returns=BOOL,
        impl=lambda value, part: ops.text(part) in ops.text(value), sqlite=True,
        category="text",
        sql=_cf_or(lambda call, value, part: call.fn.strpos(call.text(value),
                                                            call.text(part)) > 0),
        description="True if `part` occurs in `text` (case-sensitive).",
        examples=(('contains("Invoice 12", "ice")', True), ('contains("Acme", "x")', False))),
    FunctionSpec(
        name="replace", params=(Param("text", TXT), Param("old", TXT), Param("new", TXT)),
        returns=TEXT, impl=_replace, sql=_native("replace"), category="text",
        description="`text` with every `old` replaced by `new`.",
        examples=(('replace("a-b-c", "-", "/")', "a/b/c"),)),
    FunctionSpec(
        name="concat", params=(Param("values", variadic=True),), returns=TEXT, impl=_concat,
        sql=_sql_concat, category="text",
        description="Joins values as text; empty values count as \"\". Numbers are written "
                    "with a dot, dates as YYYY-MM-DD.",
        examples=(('concat("No ", 12, "/", "A")', "No 12/A"),)),
    FunctionSpec(
        name="format", params=(Param("value"), Param("pattern", TXT)), returns=TEXT,
        impl=_format, can_fail=True, category="text",
        description="A number, money or date as text. Numbers take a pattern such as "
                    "\",.2f\" (thousands separator, 2 decimals) or \".0%\"; dates a pattern "
                    "such as \"%d.%m.%Y\".",
        examples=(('format(1234.5, ",.2f")', "1,234.50"),
                  ('format(date(2026, 3, 9), "%d.%m.%Y")', "09.03.2026"))),
]


def register(registry: FunctionRegistry) -> None:
    for spec in SPECS:
        registry.register(spec, source=__name__)
