"""Record values (as the record service returns them) become text through each type's display."""

from __future__ import annotations

import pytest

from cardfile.metamodel.fieldtypes.registry import default_registry
from cardfile.metamodel.model import FieldDef
from cardfile.platform.web.cells import cell_text, list_columns

CHOICES = {"choices": [{"value": "new", "label": "New"}, {"value": "won", "label": "Won"}]}


def field(type_key: str, options: dict | None = None) -> FieldDef:
    return FieldDef(id=1, table_id=1, api_name="value", label="Value", type=type_key, options=options or {})


@pytest.mark.parametrize("type_key, options, value, expected", [
    ("text", {}, "Ромашка", "Ромашка"),
    ("integer", {}, 42, "42"),
    ("money", {}, {"amount": "12.50", "currency": "EUR"}, "12.50 EUR"),
    ("choice", CHOICES, "won", "Won"),
    ("link", {"target_id": 2}, {"id": 7, "display": "Acme"}, "Acme"),
    ("user", {}, {"id": 1, "display": "Boss"}, "Boss"),
    ("lines", {"table_id": 3}, [{"id": 1}, {"id": 2}], "2 lines"),
    ("file", {}, {"sha256": "a" * 64, "name": "contract.pdf", "size": 3, "content_type": "application/pdf"},
     "contract.pdf"),
    ("date", {}, "2026-03-01", "2026-03-01"),
    ("text", {}, None, ""),
])
def test_cell_text(type_key, options, value, expected):
    assert cell_text(default_registry(), field(type_key, options), value) == expected


def test_cell_text_for_multi_choice_and_boolean_is_readable():
    registry = default_registry()
    assert "New" in cell_text(registry, field("multi_choice", CHOICES), ["new", "won"])
    assert cell_text(registry, field("boolean"), True) not in ("", "None")


def test_list_columns_skip_line_items():
    registry = default_registry()
    fields = [field("text"), field("lines", {"table_id": 3}), field("integer")]
    assert [f.type for f in list_columns(registry, fields)] == ["text", "integer"]
