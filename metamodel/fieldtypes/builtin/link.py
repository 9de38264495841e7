"""Links to a record of another table, and to a user."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer

from ...ids import MAX_ID
from ...storage import names
from ..base import EMPTY_OPERATORS, EQUALITY_OPERATORS, FieldType, FieldValueError, same_rules


def parse_id(raw, what: str) -> int:
    if isinstance(raw, dict):
        raw = raw.get("id")
    if isinstance(raw, bool):
        raise FieldValueError(f"expected the id of a {what}")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        value = int(raw.strip())
    else:
        raise FieldValueError(f"expected the id of a {what}, got {raw!r}")
    if not 1 <= value <= MAX_ID:
        raise FieldValueError(f"expected the id of a {what}, got {raw!r}")
    return value


class LinkType(FieldType):
    """A foreign key to a record of the target table (``options.target_id``).

    The record service checks that the linked record exists and is not in the trash,
    and returns ``{"id": …, "display": …}`` where ``display`` is the target's display field.
    """

    key = "link"
    label = "Link to a record"
    formula_type = "record"
    json_type = ["integer", "object"]
    filter_operators = EQUALITY_OPERATORS + EMPTY_OPERATORS
    supports_unique = True
    options_properties = {
        "target": {"type": "string"},
        "target_id": {"type": "integer"},
        # the name formulas on the target use for the records linking here
        "back_name": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"},
        # fields of this table filled from the record picked: {this field: target's field}
        # (records/fill.py)
        "fill": {"type": "object", "maxProperties": 50,
                 "propertyNames": {"pattern": "^[a-z][a-z0-9_]{0,62}$"},
                 "additionalProperties": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"}},
    }

    def target_id(self, field) -> int:
        return int(field.options["target_id"])

    def columns(self, field):
        target = names.table_name(self.target_id(field))
        return [Column(names.column_name(field.id), BigInteger().with_variant(Integer, "sqlite"),
                       ForeignKey(f"{target}.id", name=f"fk_{field.table_id}_{field.id}"), nullable=True)]

    def parse_value(self, raw, field):
        return parse_id(raw, "linked record")

    def parser(self, field):
        slow = super().parser(field)
        if not (same_rules(self, LinkType) or same_rules(self, UserType)):
            return slow

        def parse(raw):  # a positive id
            if type(raw) is int and 0 < raw <= MAX_ID:
                return raw
            return slow(raw)
        return parse

    def json_schema(self, field):
        return {"oneOf": [{"type": "null"}, {"type": "integer"},
                          {"type": "object", "properties": {"id": {"type": "integer"},
                                                            "display": {"type": "string"}},
                           "required": ["id"]}],
                "description": "The linked record's id; responses add its display value."}

    def to_json(self, value, field):
        return value


class UserType(LinkType):
    key = "user"
    label = "User"
    formula_type = "user"
    options_properties = {}

    def columns(self, field):
        return [Column(names.column_name(field.id), Integer,
                       ForeignKey("cf_users.id", name=f"fk_{field.table_id}_{field.id}"), nullable=True)]

    def parse_value(self, raw, field):
        return parse_id(raw, "user")

    def json_schema(self, field):
        return {"oneOf": [{"type": "null"}, {"type": "integer"},
                          {"type": "object", "properties": {"id": {"type": "integer"},
                                                            "display": {"type": "string"}},
                           "required": ["id"]}],
                "description": "A user's id; responses add the user's name."}
