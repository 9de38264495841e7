"""Currency codes (ISO 4217, Babel's list) and the signs people write, per locale; the money
field type reads them and never replaces a currency silently."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import list_currencies

from cardfile.metamodel.currencies import (UnknownCurrency, candidates, codes, is_code, resolve,
                                           split_amount)
from cardfile.metamodel.fieldtypes.base import FieldValueError
from cardfile.metamodel.fieldtypes.builtin.money import MoneyType
from cardfile.metamodel.model import FieldDef


def test_codes_are_babels_iso_4217_list():
    assert codes() == frozenset(list_currencies())
    assert is_code("RUB") and is_code("MDL") and is_code("AMD")
    assert not is_code("РУБ") and not is_code("XYZ") and not is_code("rub")


@pytest.mark.parametrize("sign, locale, expected, code", [
    ("₽", None, None, "RUB"), ("руб.", None, None, "RUB"), ("руб", "ru", None, "RUB"),
    ("р.", None, None, "RUB"), ("р.", "ru_BY", None, "BYN"), ("РУБ", None, None, "RUB"),
    ("грн", None, None, "UAH"), ("грн.", "uk", None, "UAH"), ("₴", None, None, "UAH"),
    ("lei", "ro", None, "RON"), ("lei", "ro_MD", None, "MDL"), ("lei", None, "MDL", "MDL"),
    ("LEI", None, "RON", "RON"), ("֏", None, None, "AMD"), ("դր.", "hy", None, "AMD"),
    ("$", None, None, "USD"), ("$", "en_US", None, "USD"), ("$", "en_CA", None, "CAD"),
    ("$", None, "CAD", "CAD"), ("$", "de", None, "USD"), ("US$", "en_CA", None, "USD"),
    ("€", None, None, "EUR"), ("евро", None, None, "EUR"), ("usd", None, None, "USD"),
    ("EUR", None, "RUB", "EUR"), ("CA$", "en", None, "CAD"), ("Br", "ru_BY", None, "BYN"),
])
def test_signs_map_to_codes_per_locale(sign, locale, expected, code):
    assert resolve(sign, locale, expected) == code


@pytest.mark.parametrize("sign, message", [
    ("XYZ", "'XYZ' is not an ISO 4217 currency code"),
    ("lei", "'lei' can be MDL or RON: write the ISO code"),
    ("☃", "not a currency sign or code"),
    ("", "not a currency sign"),
])
def test_unknown_or_undecided_signs_are_errors(sign, message):
    with pytest.raises(UnknownCurrency, match=message):
        resolve(sign)


def test_candidates():
    assert set(candidates("lei")) == {"MDL", "RON"}
    assert candidates("RUB") == ("RUB",)
    assert candidates("XYZ") == ()


@pytest.mark.parametrize("text, parts", [
    ("1 234,56 руб.", ("1 234,56", "руб.")), ("€ 100", ("100", "€")), ("100€", ("100", "€")),
    ("-$5", ("-5", "$")), ("−12,5 р.", ("-12,5", "р.")), ("USD 99.99", ("99.99", "USD")),
    ("100 USD", ("100", "USD")), ("12.50", ("12.50", None)), ("двадцать", ("двадцать", None)),
    ("֏ 5000", ("5000", "֏")), ("1 000 грн", ("1 000", "грн")),
])
def test_split_amount(text, parts):
    assert split_amount(text) == parts


def field(**options):
    return FieldDef(id=1, table_id=1, api_name="amount", label="Amount", type="money",
                    options={"currency": "RUB", **options})


@pytest.mark.parametrize("raw, amount, currency", [
    ("1234.56 руб.", "1234.56", "RUB"), ("100 РУБ", "100.00", "RUB"), ("€ 100", "100.00", "EUR"),
    ("12.50 eur", "12.50", "EUR"), ({"amount": "5", "currency": "usd"}, "5.00", "USD"),
    (7, "7.00", "RUB"), ("7", "7.00", "RUB"),
])
def test_money_reads_codes_and_signs(raw, amount, currency):
    assert MoneyType().parse(raw, field()) == {"amount": Decimal(amount), "currency": currency}


@pytest.mark.parametrize("options, raw, message", [
    ({}, "100 XYZ", "'XYZ' is not an ISO 4217 currency code"),
    ({}, {"amount": "1", "currency": "ZZZ"}, "'ZZZ' is not an ISO 4217 currency code"),
    ({}, "250 lei", "'lei' can be MDL or RON"),
    ({}, {"amount": "1", "currency": "₽"}, "a three-letter ISO code such as RUB, got '₽'"),
    ({}, {"amount": "1", "currency": "EURO"}, "a three-letter ISO code such as RUB"),
    ({"fixed_currency": True}, "€ 100", "this field takes RUB only, not € \\(EUR\\)"),
    ({"fixed_currency": True}, "100 USD", "this field takes RUB only, not USD"),
    ({}, "двадцать", "'двадцать'"),
])
def test_money_refuses_unknown_and_foreign_currencies(options, raw, message):
    with pytest.raises(FieldValueError, match=message):
        MoneyType().parse(raw, field(**options))


def test_lei_means_the_fields_own_currency_and_fixed_fields_take_their_sign():
    moldovan = FieldDef(id=1, table_id=1, api_name="a", label="A", type="money",
                        options={"currency": "MDL", "fixed_currency": True})
    assert MoneyType().parse("250 lei", moldovan)["currency"] == "MDL"
    assert MoneyType().parse("100 ₽", field(fixed_currency=True))["currency"] == "RUB"


def test_the_fields_currency_option_is_checked():
    assert MoneyType().normalize_options({"currency": "AMD"}) == {"currency": "AMD"}
    with pytest.raises(FieldValueError, match="'ABC' is not an ISO 4217"):
        MoneyType().normalize_options({"currency": "ABC"})
