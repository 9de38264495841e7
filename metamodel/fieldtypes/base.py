"""The field-type contract: a small required core, plus optional capabilities.

A field type owns, for its fields: the SQL column(s) (named only through
``storage.names``), parsing and validation of input, the database and JSON
representations, a JSON Schema for values, the filter operators it offers and how each
compiles to SQL, a plain value for conversions to other types, and demo values.
"""

from __future__ import annotations

import random
from typing import Any, Callable, Mapping

from sqlalchemy import Column, Table, and_, or_
from sqlalchemy.sql import ColumnElement

from ..i18n import FIELD_TRANSLATIONS_SCHEMA
from ..model import FieldDef
from ..storage import names


class FieldValueError(ValueError):
    """Raised by ``parse``/``validate`` with a message naming what was expected."""

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


COMMON_OPTIONS_SCHEMA: dict = {
    "required": {"type": "boolean"},
    "unique": {"type": "boolean"},
    "indexed": {"type": "boolean"},
    "help_text": {"type": "string", "maxLength": 1000},
    "default": {},
    # expressions (checked by the platform when the field is defined)
    "default_formula": {"type": "string", "maxLength": 10000},
    "visible_if": {"type": "string", "maxLength": 10000},
    # the label, help text and choice labels in other languages (metamodel/i18n.py)
    "translations": FIELD_TRANSLATIONS_SCHEMA,
}

EMPTY_OPERATORS = ("is_empty", "is_not_empty")
EQUALITY_OPERATORS = ("eq", "ne", "in", "not_in")
ORDER_OPERATORS = ("lt", "lte", "gt", "gte")
TEXT_OPERATORS = ("contains", "not_contains", "starts_with", "ends_with")


class FieldType:
    key: str = ""
    label: str = ""
    #: JSON Schema properties of this type's own options (merged with the common ones).
    options_properties: dict = {}
    required_options: tuple[str, ...] = ()
    #: What a value looks like to formulas: a formula type name.
    formula_type: str = "text"
    filter_operators: tuple[str, ...] = EQUALITY_OPERATORS + EMPTY_OPERATORS
    #: Capabilities.
    searchable = False
    sortable = True
    read_only = False  # set by the platform, never by input (counters, formulas)
    has_column = True
    supports_unique = True
    #: The JSON Schema "type" of a value in the API.
    json_type: str | list = "string"

    # --- identity and options -------------------------------------------------------
    def options_schema(self) -> dict:
        props = dict(COMMON_OPTIONS_SCHEMA)
        props.update(self.options_properties)
        return {"type": "object", "properties": props, "additionalProperties": False,
                "required": list(self.required_options)}

    def normalize_options(self, options: dict) -> dict:
        """Fill defaults; raise FieldValueError for option values that make no sense."""
        return dict(options)

    # --- storage --------------------------------------------------------------------
    def sql_type(self, field: FieldDef):
        raise FieldValueError(f"{self.key} has no column")

    def columns(self, field: FieldDef) -> list[Column]:
        return [Column(names.column_name(field.id), self.sql_type(field), nullable=True)]

    def column(self, table: Table, field: FieldDef) -> Column:
        """The main column (the one sorted, filtered and indexed)."""
        return table.c[names.column_name(field.id)]

    def to_db(self, value: Any, field: FieldDef) -> dict[str, Any]:
        return {names.column_name(field.id): value}

    def db_columns(self, values: list, field: FieldDef) -> list[list]:
        """``to_db`` for many values at once: one list per column, in ``columns`` order."""
        names_ = [c.name for c in self.columns(field)]
        rows = [self.to_db(value, field) for value in values]
        return [[row[name] for row in rows] for name in names_]

    def from_db(self, row: Mapping, field: FieldDef) -> Any:
        return row[names.column_name(field.id)]

    # --- input ----------------------------------------------------------------------
    def parse(self, raw: Any, field: FieldDef) -> Any:
        """Turn input (JSON, form text, import cell) into a value, or raise FieldValueError.

        Empty input ("" or None) is None. Parsing an already-parsed value returns it.
        """
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            return None
        value = self.parse_value(raw, field)
        self.check(value, field)
        return value

    def parser(self, field: FieldDef) -> Callable[[Any], Any]:
        """``parse`` with ``field``'s options bound, for the bulk paths (imports, bulk creates).

        ``parser(field)(raw)`` gives exactly what ``parse(raw, field)`` gives: the same value
        or the same ``FieldValueError`` (a contract test checks it on many inputs per type).
        A type may override it with a fast path for input that is already typed and valid,
        with its options looked up once; any other input falls back to ``parse``.
        """
        parse = self.parse
        return lambda raw: parse(raw, field)

    def encoder(self, field: FieldDef, dialect: str, converters: list) -> Callable[[list], list[list]] | None:
        """For bulk paths that keep no parsed values: a column of raw input straight to the
        field's stored columns in the driver's form — exactly, value by value,
        ``converter(db_columns(parse(raw)))`` with ``converters`` the driver converters of
        ``columns(field)`` on ``dialect`` (None: taken as is), or parse's error. None: the
        type has no such shortcut (the default); a contract test checks those that do."""
        return None

    def parse_value(self, raw: Any, field: FieldDef) -> Any:
        return raw

    def check(self, value: Any, field: FieldDef) -> None:
        """Option checks (min/max, length, pattern, choices) on a parsed value."""

    # --- output ---------------------------------------------------------------------
    def to_json(self, value: Any, field: FieldDef) -> Any:
        return value

    def json_reader(self, field: FieldDef) -> tuple[Callable[[Mapping, FieldDef], Any], Callable[[Any, FieldDef], Any]]:
        """``(from_db, to_json)`` for writing out many rows of one field (same signatures).

        A type that works out something per field before it reads a value (a formula: the
        type of its result) does that here once, not for every row.
        """
        return self.from_db, self.to_json

    def json_schema(self, field: FieldDef) -> dict:
        """JSON Schema of a value as the API returns and accepts it (nullable)."""
        types = self.json_type if isinstance(self.json_type, list) else [self.json_type]
        return {"type": [*types, "null"]}

    def to_plain(self, value: Any, field: FieldDef) -> Any:
        """A plain scalar for conversions to another type (text, number, bool, date)."""
        return value

    def to_text(self, value: Any, field: FieldDef) -> str | None:
        """Text for conversions into text fields (and back)."""
        if value is None:
            return None
        plain = self.to_plain(value, field)
        if hasattr(plain, "isoformat"):
            return plain.isoformat()
        return None if plain is None else str(plain)

    def display(self, value: Any, field: FieldDef) -> str:
        if value is None:
            return ""
        plain = self.to_plain(value, field)
        return "" if plain is None else str(plain)

    def random_value(self, field: FieldDef, rng: random.Random) -> Any:
        return None

    # --- querying -------------------------------------------------------------------
    def sort_expression(self, table: Table, field: FieldDef) -> ColumnElement:
        return self.column(table, field)

    def filter_clause(self, table: Table, field: FieldDef, op: str, value: Any) -> ColumnElement:
        col = self.column(table, field)
        if op == "is_empty":
            return col.is_(None)
        if op == "is_not_empty":
            return col.is_not(None)
        if op in ("in", "not_in"):
            values = [self.parse_filter_value(v, field) for v in _as_list(value)]
            clause = col.in_(values)
            return clause if op == "in" else or_(~clause, col.is_(None))
        parsed = self.parse_filter_value(value, field)
        if op == "eq":
            return col.is_(None) if parsed is None else col == parsed
        if op == "ne":
            return col.is_not(None) if parsed is None else or_(col != parsed, col.is_(None))
        if op in ORDER_OPERATORS:
            return {"lt": col < parsed, "lte": col <= parsed,
                    "gt": col > parsed, "gte": col >= parsed}[op]
        return self.filter_extra(table, field, op, parsed)

    def parse_filter_value(self, raw: Any, field: FieldDef) -> Any:
        if raw is None or (isinstance(raw, str) and raw == ""):
            return None
        return self.parse_value(raw, field)

    def filter_extra(self, table, field, op, value):
        raise FieldValueError(f"operator {op!r} is not available for {self.label} fields")


def same_rules(ftype: FieldType, cls: type) -> bool:
    """True when ``ftype`` parses by ``cls``'s rules (it redefines none of ``parse``,
    ``parse_value`` and ``check``): a fast ``parser`` written for ``cls`` must not be
    inherited by a subclass with rules of its own."""
    return all(getattr(type(ftype), name) is getattr(cls, name) for name in ("parse", "parse_value", "check"))


def _as_list(value) -> list:
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip() != ""]
    return [value]


def all_of(clauses):
    return and_(*clauses) if clauses else None
