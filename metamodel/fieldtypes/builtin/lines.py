"""Line items: a child table edited inside the parent's card.

The field has no column of its own. Its child table (``options.table_id``) has the
system columns plus ``parent_id`` and ``position``; the record service reads and writes
the lines together with the parent, in the parent's transaction.
"""

from __future__ import annotations

from ..base import FieldType, FieldValueError


class LinesType(FieldType):
    key = "lines"
    label = "Line items"
    formula_type = "collection"
    json_type = "array"
    has_column = False
    sortable = False
    supports_unique = False
    filter_operators = ()
    options_properties = {
        "table_id": {"type": "integer"},
        "fields": {"type": "array"},
    }

    def columns(self, field):
        return []

    def to_db(self, value, field):
        return {}

    def from_db(self, row, field):
        return None

    def parse(self, raw, field):
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise FieldValueError("expected a list of line items")
        for i, line in enumerate(raw, 1):
            if not isinstance(line, dict):
                raise FieldValueError(f"line {i}: expected an object with the line's fields")
        return raw

    def json_schema(self, field):
        return {"type": "array", "items": {"type": "object"}}

    def display(self, value, field):
        return f"{len(value or [])} lines"

    def sort_expression(self, table, field):
        raise FieldValueError("line items cannot be sorted")
