"""Boolean, choice and multi-choice."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, String, and_, cast, not_, or_
from sqlalchemy import Text

from ..base import EMPTY_OPERATORS, EQUALITY_OPERATORS, FieldType, FieldValueError, _as_list, same_rules

TRUE_WORDS = {"true", "yes", "y", "1", "on", "да", "так", "da", "ja", "oui", "si", "sí", "x", "✓"}
FALSE_WORDS = {"false", "no", "n", "0", "off", "нет", "ні", "nu", "nein", "non"}
_WORDS = {**{w: True for w in TRUE_WORDS}, **{w: False for w in FALSE_WORDS}}

CHOICES_SCHEMA = {
    "type": "array",
    "maxItems": 500,
    "items": {
        "type": "object",
        "properties": {
            "value": {"type": "string", "minLength": 1, "maxLength": 100},
            "label": {"type": "string", "maxLength": 200},
            "color": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
        },
        "required": ["value"],
        "additionalProperties": False,
    },
}


class BooleanType(FieldType):
    key = "boolean"
    label = "Yes / no"
    formula_type = "bool"
    json_type = "boolean"
    filter_operators = ("eq", "ne") + EMPTY_OPERATORS
    supports_unique = False
    options_properties = {}

    def sql_type(self, field):
        return Boolean()

    def parse_value(self, raw, field):
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int) and raw in (0, 1):
            return bool(raw)
        if isinstance(raw, str):
            word = raw.strip().casefold()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
        raise FieldValueError(f"expected true or false, got {raw!r}")

    def parser(self, field):
        slow = super().parser(field)
        if not same_rules(self, BooleanType):
            return slow
        words = _WORDS

        def parse(raw):  # True, False, or one of the words exactly as listed
            if raw is True or raw is False:
                return raw
            if type(raw) is str:
                value = words.get(raw)
                if value is not None:
                    return value
            return slow(raw)
        return parse

    def random_value(self, field, rng):
        return rng.random() < 0.5


def choice_map(field) -> dict[str, dict]:
    return {c["value"]: c for c in field.opt("choices", [])}


def match_choice(raw, field) -> str:
    if not isinstance(raw, str):
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            raw = str(raw)
        else:
            raise FieldValueError(f"expected one of the choices, got {type(raw).__name__}")
    choices = choice_map(field)
    text = raw.strip()
    if text in choices:
        return text
    folded = text.casefold()
    for value, choice in choices.items():
        if value.casefold() == folded or (choice.get("label") or "").casefold() == folded:
            return value
    allowed = ", ".join(choices) or "(no choices defined)"
    raise FieldValueError(f"{raw!r} is not one of the choices: {allowed}")


class _ChoiceOptions:
    options_properties = {"choices": CHOICES_SCHEMA}

    def normalize_options(self, options):
        options = dict(options)
        seen = set()
        for choice in options.get("choices") or []:
            if choice["value"] in seen:
                raise FieldValueError(f"choice {choice['value']!r} is listed twice")
            seen.add(choice["value"])
        options["choices"] = [dict(c) for c in options.get("choices") or []]
        return options

    def label_of(self, value, field) -> str:
        choice = choice_map(field).get(value)
        return (choice or {}).get("label") or value


class ChoiceType(_ChoiceOptions, FieldType):
    key = "choice"
    label = "Choice"
    formula_type = "text"
    filter_operators = EQUALITY_OPERATORS + EMPTY_OPERATORS

    def sql_type(self, field):
        return String(100)

    def parse_value(self, raw, field):
        return match_choice(raw, field)

    def parser(self, field):
        slow = super().parser(field)
        if not same_rules(self, ChoiceType):
            return slow
        exact = {value for value in choice_map(field) if value == value.strip()}

        def parse(raw):  # a choice value exactly as defined
            if type(raw) is str and raw in exact:
                return raw
            return slow(raw)
        return parse

    def json_schema(self, field):
        return {"type": ["string", "null"], "enum": [*choice_map(field), None]}

    def display(self, value, field):
        return "" if value is None else self.label_of(value, field)

    def to_text(self, value, field):
        return None if value is None else self.label_of(value, field)

    def random_value(self, field, rng):
        values = list(choice_map(field))
        return rng.choice(values) if values else None


class MultiChoiceType(_ChoiceOptions, FieldType):
    key = "multi_choice"
    label = "Multiple choice"
    formula_type = "list"
    json_type = "array"
    sortable = False
    supports_unique = False
    filter_operators = ("has", "has_not") + EMPTY_OPERATORS

    def sql_type(self, field):
        return JSON(none_as_null=True)  # empty is SQL NULL, not JSON null: is_empty finds it

    def parse_value(self, raw, field):
        items = raw if isinstance(raw, (list, tuple)) else _as_list(raw) if isinstance(raw, str) else None
        if items is None:
            raise FieldValueError(f"expected a list of choices, got {type(raw).__name__}")
        values = []
        for item in items:
            value = match_choice(item, field)
            if value not in values:
                values.append(value)
        order = list(choice_map(field))
        return sorted(values, key=order.index) or None

    def to_plain(self, value, field):
        return None if not value else ", ".join(value)

    def display(self, value, field):
        return "" if not value else ", ".join(self.label_of(v, field) for v in value)

    def to_text(self, value, field):
        return None if not value else ", ".join(self.label_of(v, field) for v in value)

    def json_schema(self, field):
        return {"type": ["array", "null"], "items": {"type": "string", "enum": list(choice_map(field))}}

    def filter_clause(self, table, field, op, value):
        col = self.column(table, field)
        if op == "is_empty":
            return col.is_(None)
        if op == "is_not_empty":
            return col.is_not(None)
        wanted = [match_choice(v, field) for v in _as_list(value)]
        text = cast(col, Text)
        # values are stored as a JSON list of strings; choice values are matched quoted.
        clause = or_(*[text.like(f'%"{v}"%') for v in wanted]) if wanted else None
        if op == "has":
            return and_(col.is_not(None), clause) if clause is not None else col.is_not(None)
        if op == "has_not":
            return or_(col.is_(None), not_(clause)) if clause is not None else col.is_(None)
        raise FieldValueError(f"operator {op!r} is not available for {self.label} fields")

    def random_value(self, field, rng):
        values = list(choice_map(field))
        if not values:
            return None
        return sorted(rng.sample(values, rng.randint(1, min(2, len(values)))), key=values.index)
