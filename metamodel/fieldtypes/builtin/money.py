"""Money: an exact amount plus an ISO 4217 currency, stored in two columns."""

from __future__ import annotations

import re

from sqlalchemy import Column, String

from ...storage import names
from ...storage.sqltypes import ExactDecimal
from ..base import FieldType, FieldValueError, same_rules
from .number import NUMBER_OPERATORS, DecimalType, fast_decimal, scaled_decimal, to_decimal

CURRENCY_PATTERN = "^[A-Z]{3}$"
_CODE = re.compile(r"[A-Za-z]{3}")  # a currency code after an amount ("12.50 EUR"), not any word
_SLOW = object()  # an amount the encoder's fast step does not take


class MoneyType(DecimalType):
    key = "money"
    label = "Money"
    formula_type = "money"
    filter_operators = NUMBER_OPERATORS
    json_type = "object"
    options_properties = {
        "places": {"type": "integer", "minimum": 0, "maximum": 4},
        "currency": {"type": "string", "pattern": CURRENCY_PATTERN},
        "min": {"type": ["number", "string"]}, "max": {"type": ["number", "string"]},
    }

    def currency(self, field) -> str:
        return field.opt("currency", "EUR")

    def columns(self, field):
        return [
            Column(names.column_name(field.id), ExactDecimal(self.places(field)), nullable=True),
            Column(names.column_name(field.id, "cur"), String(3), nullable=True),
        ]

    def parse_value(self, raw, field):
        if isinstance(raw, dict):
            unknown = set(raw) - {"amount", "currency"}
            if unknown:
                raise FieldValueError(f"unknown keys in money value: {', '.join(sorted(unknown))}")
            if raw.get("amount") in (None, ""):
                raise FieldValueError("money needs an amount")
            amount_raw, currency = raw["amount"], raw.get("currency") or self.currency(field)
        elif isinstance(raw, str) and len(raw.strip()) > 4 and _CODE.fullmatch(raw.strip()[-3:]):
            amount_raw, currency = raw.strip()[:-3], raw.strip()[-3:]
        else:
            amount_raw, currency = raw, self.currency(field)
        if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
            raise FieldValueError(f"currency must be a three-letter ISO code, got {currency!r}")
        amount = super().parse_value(amount_raw, field)
        return {"amount": amount, "currency": currency.upper()}

    def check(self, value, field):
        super().check(value["amount"], field)

    def parser(self, field):
        slow = FieldType.parser(self, field)
        bounds = self.bounds(field)
        currency = self.currency(field)
        if (not same_rules(self, MoneyType) or bounds is None or not isinstance(currency, str)
                or len(currency) != 3 or not currency.isalpha()):
            return slow
        currency = currency.upper()
        # a plain amount (not text: text may name its currency) in the field's currency
        return fast_decimal(self.places(field), bounds, slow, lambda amount: {"amount": amount, "currency": currency})

    def encoder(self, field, dialect, converters):
        bounds, currency = self.bounds(field), self.currency(field)
        convert = converters[0]
        if (dialect != "sqlite" or not same_rules(self, MoneyType) or bounds is None or convert is None
                or any(converters[1:]) or not isinstance(currency, str) or len(currency) != 3
                or not currency.isalpha()):
            return None
        currency, parse = currency.upper(), self.parser(field)
        encode = scaled_decimal(self.places(field), bounds, lambda raw: None if raw is None else _SLOW)

        def encode_column(raws):  # plain amounts are in the field's currency
            amounts = list(map(encode, raws))
            if _SLOW not in amounts:
                if None in amounts:
                    return [amounts, [None if a is None else currency for a in amounts]]
                return [amounts, [currency] * len(amounts)]
            values = list(map(parse, raws))  # some name a currency, or are text
            return [[None if v is None else convert(v["amount"]) for v in values],
                    [None if v is None else v["currency"] for v in values]]
        return encode_column

    def to_db(self, value, field):
        if value is None:
            return {names.column_name(field.id): None, names.column_name(field.id, "cur"): None}
        return {names.column_name(field.id): value["amount"],
                names.column_name(field.id, "cur"): value["currency"]}

    def db_columns(self, values, field):
        return [[None if v is None else v["amount"] for v in values],
                [None if v is None else v["currency"] for v in values]]

    def from_db(self, row, field):
        amount = row[names.column_name(field.id)]
        if amount is None:
            return None
        return {"amount": amount, "currency": row[names.column_name(field.id, "cur")] or self.currency(field)}

    def to_json(self, value, field):
        if value is None:
            return None
        return {"amount": str(value["amount"]), "currency": value["currency"]}

    def json_schema(self, field):
        return {"type": ["object", "null"],
                "properties": {"amount": {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"},
                               "currency": {"type": "string", "pattern": CURRENCY_PATTERN}},
                "required": ["amount", "currency"],
                "description": "Amount as a decimal string plus ISO currency; input may also be "
                               "a plain number (the field's currency is used)."}

    def to_plain(self, value, field):
        return None if value is None else value["amount"]

    def display(self, value, field):
        return "" if value is None else f"{value['amount']} {value['currency']}"

    def parse_filter_value(self, raw, field):
        if raw is None or raw == "":
            return None
        return to_decimal(raw["amount"] if isinstance(raw, dict) else raw)

    def random_value(self, field, rng):
        amount = super().random_value(field, rng)
        return {"amount": amount, "currency": self.currency(field)}


