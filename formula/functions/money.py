"""Money functions: convert between currencies, build and take apart money values.

``convert(amount, "EUR", on=date)`` asks the evaluation's currency-rates provider
(:class:`~cardfile.formula.schema.RatesProvider`) for the rate on ``on`` (today when
left out). It is computed in Python only: ``to_sql`` raises ``FORMULA_NOT_SQL`` and
callers fall back to the Python path.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .. import errors as E
from .. import ops
from ..errors import FormulaError
from ..types import NUMBER, TEXT, Money, money_type
from ..words import WordsError, amount_words
from .registry import NUMERIC, ArgTypeError, FunctionRegistry, FunctionSpec, Param, TypeCall


def _convert(ctx, amount, currency, on=None):
    if amount is None:
        return None
    if not isinstance(amount, Money):
        raise FormulaError(E.RUNTIME, "convert() needs money, not a plain number")
    currency = ops.text(currency).upper()
    if amount.currency == currency:
        return amount
    if ctx.rates is None:
        raise FormulaError(E.RUNTIME, "no currency rates are available")
    day = on or ctx.today
    rate = ctx.rates.rate(amount.currency, currency, day)
    if rate is None:
        raise FormulaError(E.RUNTIME, f"no {amount.currency}→{currency} rate on {day}")
    return Money(amount.amount * ops.to_number(rate), currency)


def _currency_literal(call: TypeCall, index: int) -> str | None:
    value = call.literal(index)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha():
        raise ArgTypeError(index, f"{value!r} is not a currency code such as \"EUR\"")
    return value.upper()


def _convert_type(call: TypeCall):
    if call.args[0].kind == "NUMBER":
        raise ArgTypeError(0, "needs money, not a plain number: use money(x, \"EUR\")")
    return money_type(_currency_literal(call, 1), None)


def _words(amount, language=None, currency=None):
    if amount is None:
        return None
    if isinstance(amount, Money):
        value, code = amount.amount, (ops.text(currency) or amount.currency)
    else:
        value, code = ops.to_number(amount), ops.text(currency)
    if not code:
        raise FormulaError(E.RUNTIME, "words() needs a currency: money, or a currency code as the third argument")
    try:
        return amount_words(value, code, ops.text(language) or "en")
    except WordsError as exc:
        raise FormulaError(E.RUNTIME, str(exc)) from None


def _money(amount, currency):
    return Money(ops.num(amount), ops.text(currency).upper())


def _money_type(call: TypeCall):
    return money_type(_currency_literal(call, 1), call.args[0].places)


def _sql_money(call, amount, currency):
    if not call.is_constant(1):
        call.not_sql("money() with a computed currency is computed in Python")
    return call.num(amount)


def _sql_currency(call, value):
    return call.currency(0)


SPECS = [
    FunctionSpec(
        name="convert", params=(Param("amount", ("MONEY",)), Param("currency", ("TEXT",)),
                                Param("on", ("DATE",), keyword=True)),
        returns=_convert_type, impl=_convert, context=True, can_fail=True, category="money",
        description="Converts money to another currency at the rate on `on` (default: "
                    "today) from the currency-rates table. Not rounded: wrap it in round().",
        examples=(('convert(price, "USD")', Money(Decimal("110.0000"), "USD")),
                  ('round(convert(price, "USD", on=date(2026, 1, 1)), 2)',
                   Money(Decimal("108.00"), "USD")))),
    FunctionSpec(
        name="words", params=(Param("amount", NUMERIC), Param("language", ("TEXT",), optional=True, default='"en"'),
                              Param("currency", ("TEXT",), optional=True)),
        returns=TEXT, impl=_words, can_fail=True, category="money",
        description="The amount in words with its currency and the cents in digits, as on an invoice. "
                    "Languages: en, ru, uk, ro, hy; currencies: RUB, UAH, EUR, USD, MDL, RON, AMD. "
                    "A plain number needs the currency as the third argument.",
        examples=(('words(money(1200.50, "RUB"), "ru")', "Одна тысяча двести рублей 50 копеек"),
                  ('words(21, "ro", "MDL")', "Douăzeci și unu de lei 00 bani"),
                  ('words(money(1001, "USD"))', "One thousand and one dollars and 00 cents"))),
    FunctionSpec(
        name="money", params=(Param("amount", ("NUMBER",)), Param("currency", ("TEXT",))),
        returns=_money_type, impl=_money, sql=_sql_money, category="money",
        description="Money from a number and a currency code.",
        examples=(('money(12.5, "EUR")', Money(Decimal("12.5"), "EUR")),)),
    FunctionSpec(
        name="amount", params=(Param("money", ("MONEY",)),), returns=NUMBER,
        impl=lambda value: value.amount if isinstance(value, Money) else value,
        sql=lambda call, value: value, category="money",
        description="The amount of a money value, as a number.",
        examples=(("amount(price)", Decimal("100.00")),)),
    FunctionSpec(
        name="currency", params=(Param("money", ("MONEY",)),), returns=TEXT,
        impl=lambda value: value.currency if isinstance(value, Money) else None,
        sql=_sql_currency, category="money",
        description="The currency code of a money value.",
        examples=(("currency(price)", "EUR"),)),
]


def register(registry: FunctionRegistry) -> None:
    for spec in SPECS:
        registry.register(spec, source=__name__)


__all__ = ["SPECS", "register", "dt"]
