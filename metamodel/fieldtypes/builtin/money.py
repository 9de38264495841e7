"""Money: an exact amount plus an ISO 4217 currency, stored in two columns.

Options: ``currency`` (the field's currency, default EUR: an amount given without one is in
it), ``fixed_currency`` (only that currency is accepted), ``places``, ``min``, ``max``.

Input: a plain amount (in the field's currency), ``{"amount", "currency"}`` with an ISO
code, or text with a code or sign before or after the amount (``"100 USD"``, ``"€ 100"``, ``"1234.56 руб."``).
Codes are checked against ISO 4217 and signs read by :mod:`cardfile.metamodel.currencies`
(``lei`` means the field's currency when that is MDL or RON). An unknown code, a sign that
could mean several currencies, or — on a field with ``fixed_currency`` — another currency
than the field's is an error on the field; nothing is ever silently replaced.
"""

from __future__ import annotations

from sqlalchemy import Column, String

from ... import currencies
from ...storage import names
from ...storage.sqltypes import ExactDecimal
from ..base import FieldType, FieldValueError, same_rules
from .number import NUMBER_OPERATORS, DecimalType, fast_decimal, scaled_decimal, to_decimal

CURRENCY_PATTERN = "^[A-Z]{3}$"
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
        "fixed_currency": {"type": "boolean"},
        "min": {"type": ["number", "string"]}, "max": {"type": ["number", "string"]},
    }

    def currency(self, field) -> str:
        return field.opt("currency", "EUR")

    def normalize_options(self, options: dict) -> dict:
        options = super().normalize_options(options)
        code = options.get("currency")
        if isinstance(code, str) and currencies.is_code(code.strip().upper()):
            options["currency"] = code.strip().upper()
        elif code is not None:
            raise FieldValueError(f"currency {code!r} is not an ISO 4217 currency code")
        return options

    def currency_of(self, written, field, sign: bool = True) -> str:
        """The code of a currency as written (a code, or with ``sign`` a sign or word),
        checked against the field."""
        own = self.currency(field)
        if not isinstance(written, str) or not written.strip() or \
                (not sign and not (len(written.strip()) == 3 and written.strip().isalpha())):
            raise FieldValueError(f"currency must be a three-letter ISO code such as {own}, "
                                  f"got {written!r}")
        try:
            code = currencies.resolve(written, expected=own)
        except currencies.UnknownCurrency as exc:
            raise FieldValueError(str(exc)) from None
        if field.opt("fixed_currency") and code != own:
            shown = code if written.strip().upper() == code else f"{written.strip()} ({code})"
            raise FieldValueError(f"this field takes {own} only, not {shown}")
        return code

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
            amount_raw, currency, sign = raw["amount"], raw.get("currency"), False
            if currency in (None, ""):
                currency = self.currency(field)
        elif isinstance(raw, str):
            amount_raw, currency = currencies.split_amount(raw)
            currency, sign = currency or self.currency(field), True
        else:
            amount_raw, currency, sign = raw, self.currency(field), False
        amount = super().parse_value(amount_raw, field)
        return {"amount": amount, "currency": self.currency_of(currency, field, sign)}

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


