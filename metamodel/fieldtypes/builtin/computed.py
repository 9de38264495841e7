"""Formula fields: a value computed from an expression, stored in real typed columns.

Options: ``expression`` (required), ``places`` (decimal places of a number result) and
``choices`` (labels and colours of the values a text result gives, shown instead of them). When
the field is defined the platform checks the expression and stores the inferred result type
in ``options.result`` (``{"kind", "places", "currency"}``); the value column is typed by it
(NUMBER → exact decimal, or a big integer with 0 places; MONEY → amount + currency; TEXT,
BOOL, DATE, DATETIME), next to ``f_<id>_err``, the runtime error of that record's evaluation.

The value is read-only to input. In JSON it is the result, or ``{"error": "message"}`` when
this record's evaluation failed. Filters and sorting work as for a field of the result type.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Date, String, Text

from ....formula.rounding import quantize
from ...model import FieldDef
from ...storage import names
from ...storage.sqltypes import ExactDecimal, UtcDateTime
from ..base import EMPTY_OPERATORS, EQUALITY_OPERATORS, ORDER_OPERATORS, TEXT_OPERATORS, FieldType
from .choice import CHOICES_SCHEMA, BooleanType, choice_map
from .money import MoneyType
from .number import DecimalType, IntegerType
from .temporal import DateTimeType, DateType
from .text import LongTextType

RESULT_KINDS = ("NUMBER", "MONEY", "TEXT", "BOOL", "DATE", "DATETIME")
DEFAULT_PLACES = 2
MAX_PLACES = 8

class LabelledText(LongTextType):
    """A text result whose values have labels (the formula's ``choices``): shown by label."""

    def display(self, value, field):
        return "" if value is None else self.label_of(value, field)

    def to_text(self, value, field):
        return None if value is None else self.label_of(value, field)

    @staticmethod
    def label_of(value, field) -> str:
        return (choice_map(field).get(value) or {}).get("label") or value


_DELEGATES = {"MONEY": MoneyType(), "TEXT": LongTextType(), "BOOL": BooleanType(),
              "DATE": DateType(), "DATETIME": DateTimeType()}
_LABELLED = LabelledText()
_INTEGER, _DECIMAL = IntegerType(), DecimalType()


class ComputedError(dict):
    """A stored evaluation error: reads as ``{"error": message}``."""

    @property
    def message(self) -> str:
        return self["error"]


def error_value(message: str) -> ComputedError:
    return ComputedError(error=message)


def is_error(value: Any) -> bool:
    return isinstance(value, ComputedError)


def result_of(field: FieldDef) -> dict:
    return field.options.get("result") or {"kind": "TEXT"}


def result_places(field: FieldDef) -> int:
    places = result_of(field).get("places")
    return DEFAULT_PLACES if places is None else int(places)


class FormulaType(FieldType):
    key = "formula"
    label = "Formula"
    formula_type = "computed"
    read_only = True
    supports_unique = False
    json_type = ["string", "number", "boolean", "object"]
    filter_operators = EQUALITY_OPERATORS + ORDER_OPERATORS + TEXT_OPERATORS + EMPTY_OPERATORS
    options_properties = {
        "expression": {"type": "string", "minLength": 1, "maxLength": 10000},
        "places": {"type": "integer", "minimum": 0, "maximum": MAX_PLACES},
        # labels (and colours) of the values a text formula gives, like a choice field's
        "choices": CHOICES_SCHEMA,
        "result": {"type": "object", "properties": {
            "kind": {"enum": list(RESULT_KINDS)},
            "places": {"type": ["integer", "null"]},
            "currency": {"type": ["string", "null"]},
            "can_fail": {"type": "boolean"},
        }},
    }
    required_options = ("expression",)

    # --- the type of the result decides the columns and everything else --------------
    def delegate(self, field: FieldDef) -> tuple[FieldType, FieldDef]:
        """The field type that stores, filters and shows a value of this result type."""
        result = result_of(field)
        kind = result.get("kind", "TEXT")
        if kind == "NUMBER":
            places = result_places(field)
            ftype = _INTEGER if places == 0 else _DECIMAL
            options = {"places": places}
        elif kind == "MONEY":
            ftype = _DELEGATES["MONEY"]
            options = {"places": result_places(field), "currency": result.get("currency") or "EUR"}
        elif kind == "TEXT" and field.options.get("choices"):
            ftype, options = _LABELLED, {"choices": field.options["choices"]}
        else:
            ftype, options = _DELEGATES[kind], {}
        return ftype, FieldDef(id=field.id, table_id=field.table_id, api_name=field.api_name,
                               label=field.label, type=ftype.key, options=options)

    def value_columns(self, field: FieldDef) -> list[Column]:
        kind = result_of(field).get("kind", "TEXT")
        column = names.column_name(field.id)
        if kind in ("NUMBER", "MONEY"):
            places = result_places(field)
            sql_type = BigInteger() if places == 0 and kind == "NUMBER" else ExactDecimal(places)
            columns = [Column(column, sql_type, nullable=True)]
            if kind == "MONEY":
                columns.append(Column(names.column_name(field.id, "cur"), String(3), nullable=True))
            return columns
        sql_type = {"TEXT": Text(), "BOOL": Boolean(), "DATE": Date(),
                    "DATETIME": UtcDateTime()}[kind]
        return [Column(column, sql_type, nullable=True)]

    def columns(self, field: FieldDef) -> list[Column]:
        return [*self.value_columns(field),
                Column(names.column_name(field.id, "err"), Text(), nullable=True)]

    # --- storage ----------------------------------------------------------------------
    def to_db(self, value: Any, field: FieldDef) -> dict[str, Any]:
        """A computed value (a result, None, or an error value) as column values."""
        err = names.column_name(field.id, "err")
        nulls = {c.name: None for c in self.value_columns(field)}
        if value is None:
            return {**nulls, err: None}
        if is_error(value):
            return {**nulls, err: value.message[:2000]}
        ftype, inner = self.delegate(field)
        return {**ftype.to_db(self.normalize(value, field), inner), err: None}

    def normalize(self, value: Any, field: FieldDef) -> Any:
        """A Python result in the stored form (decimals rounded to the places, money a dict)."""
        if value is None or is_error(value):
            return value
        kind = result_of(field).get("kind", "TEXT")
        if kind in ("NUMBER", "MONEY"):
            places = result_places(field)
            amount = value.amount if hasattr(value, "amount") else value
            currency = getattr(value, "currency", None) or result_of(field).get("currency") or "EUR"
            if isinstance(amount, dict):
                amount, currency = amount["amount"], amount["currency"]
            number = quantize(Decimal(amount), places)
            if kind == "NUMBER":
                return int(number) if places == 0 else number
            return {"amount": number, "currency": currency}
        if kind == "TEXT" and not isinstance(value, str):
            return str(value)
        if kind == "DATETIME" and isinstance(value, dt.datetime) and value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        if kind == "DATE" and isinstance(value, dt.datetime):
            return value.date()
        return value

    def from_db(self, row, field: FieldDef) -> Any:
        message = row.get(names.column_name(field.id, "err")) if hasattr(row, "get") else \
            row[names.column_name(field.id, "err")]
        if message is not None:
            return error_value(message)
        ftype, inner = self.delegate(field)
        return ftype.from_db(row, inner)

    def json_reader(self, field: FieldDef):
        """``from_db`` and ``to_json`` with the result type looked up once for all the rows."""
        ftype, inner = self.delegate(field)
        err = names.column_name(field.id, "err")
        inner_from_db, inner_to_json = ftype.json_reader(inner)

        def from_db(row, _field):
            message = row.get(err) if hasattr(row, "get") else row[err]
            return error_value(message) if message is not None else inner_from_db(row, inner)

        def to_json(value, _field):
            if value is None:
                return None
            return {"error": value.message} if is_error(value) else inner_to_json(value, inner)

        return from_db, to_json

    # --- input: read-only; a value sent back unchanged is recognised ---------------------
    def parse_value(self, raw: Any, field: FieldDef) -> Any:
        """The value as read (the record service refuses any other: it is read-only)."""
        if isinstance(raw, dict) and set(raw) == {"error"} and isinstance(raw["error"], str):
            return error_value(raw["error"])
        ftype, inner = self.delegate(field)
        return ftype.parse(raw, inner)

    # --- output -------------------------------------------------------------------------
    def to_json(self, value: Any, field: FieldDef) -> Any:
        if value is None:
            return None
        if is_error(value):
            return {"error": value.message}
        ftype, inner = self.delegate(field)
        return ftype.to_json(value, inner)

    def json_schema(self, field: FieldDef) -> dict:
        ftype, inner = self.delegate(field)
        schema = dict(ftype.json_schema(inner))
        error = {"type": "object", "properties": {"error": {"type": "string"}},
                 "required": ["error"]}
        return {"anyOf": [schema, error], "readOnly": True,
                "description": f"Computed: {field.options.get('expression', '')}"}

    def to_plain(self, value: Any, field: FieldDef) -> Any:
        if value is None or is_error(value):
            return None
        ftype, inner = self.delegate(field)
        return ftype.to_plain(value, inner)

    def to_text(self, value: Any, field: FieldDef) -> str | None:
        if is_error(value):
            return f"#ERROR: {value.message}"
        if value is None:
            return None
        ftype, inner = self.delegate(field)
        return ftype.to_text(value, inner)

    def display(self, value: Any, field: FieldDef) -> str:
        if is_error(value):
            return f"#ERROR: {value.message}"
        ftype, inner = self.delegate(field)
        return ftype.display(value, inner)

    # --- querying -------------------------------------------------------------------------
    def sort_expression(self, table, field: FieldDef):
        return self.column(table, field)

    def filter_clause(self, table, field: FieldDef, op: str, value: Any):
        ftype, inner = self.delegate(field)
        return ftype.filter_clause(table, inner, op, value)
