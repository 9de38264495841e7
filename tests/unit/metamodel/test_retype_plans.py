"""Retype planning without a database: which values survive a change of type or options."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cardfile.metamodel.errors import UnsupportedConversion
from cardfile.metamodel.fieldtypes.conversions import plan_conversion, supported
from cardfile.metamodel.fieldtypes.registry import default_registry
from cardfile.metamodel.model import FieldDef

REGISTRY = default_registry()
CHOICES = [{"value": "a", "label": "Alpha"}, {"value": "b"}, {"value": "c"}]


def field(type_key, **options) -> FieldDef:
    return FieldDef(id=1, table_id=1, api_name="f", label="F", type=type_key, options=options)


def plan(old, new, values):
    rows = [(i, REGISTRY.get(old.type).parse(v, old)) for i, v in enumerate(values, 1)]
    return plan_conversion(REGISTRY, old, new, rows)


def lost(result):
    return [loss.id for loss in result.losses]


def test_text_to_integer_keeps_what_parses():
    result = plan(field("text"), field("integer"), ["10", " -3", "1 000", "2.5", "ten", None])
    assert result.values == {1: 10, 2: -3, 3: 1000, 4: None, 5: None, 6: None}
    assert lost(result) == [4, 5]
    assert result.losses[1].value == "ten" and "expected a number" in result.losses[1].reason
    assert result.changes_column


def test_number_to_text_and_back():
    to_text = plan(field("decimal", places=2), field("text"), ["1.50", "-2", None])
    assert to_text.values == {1: "1.50", 2: "-2.00", 3: None} and not to_text.losses
    back = plan(field("text"), field("decimal", places=2), ["1.50", "-2.00"])
    assert back.values == {1: Decimal("1.50"), 2: Decimal("-2.00")} and not back.losses


def test_fewer_places_lose_only_the_values_that_need_them():
    result = plan(field("decimal", places=3), field("decimal", places=2), ["1.250", "2.125", "3"])
    assert lost(result) == [2]
    assert result.changes_column  # the column's scale changes with the places


def test_more_places_rewrite_the_column():
    result = plan(field("decimal", places=2), field("decimal", places=4), ["2.12"])
    assert result.values == {1: Decimal("2.1200")} and result.changes_column


def test_choices_removed_or_relabelled():
    removed = plan(field("choice", choices=CHOICES), field("choice", choices=CHOICES[:2]), ["a", "b", "c"])
    assert lost(removed) == [3] and not removed.changes_column
    relabelled = [{"value": "a", "label": "Első"}, {"value": "b"}, {"value": "c"}]
    assert not plan(field("choice", choices=CHOICES), field("choice", choices=relabelled), ["a"]).losses


def test_choice_to_text_uses_the_label_and_comes_back():
    result = plan(field("choice", choices=CHOICES), field("text"), ["a", "b"])
    assert result.values == {1: "Alpha", 2: "b"} and not result.losses


def test_multi_choice_to_choice_keeps_single_values():
    result = plan(field("multi_choice", choices=CHOICES), field("choice", choices=CHOICES), [["a"], ["a", "b"]])
    assert result.values[1] == "a" and lost(result) == [2]


def test_money_in_another_currency_does_not_survive_as_a_decimal():
    result = plan(field("money", currency="EUR"), field("decimal"), ["10 EUR", "10 USD"])
    assert result.values[1] == Decimal("10.00") and lost(result) == [2]


def test_datetime_to_date_keeps_only_midnights():
    result = plan(field("datetime"), field("date"), ["2025-01-01T00:00:00Z", "2025-01-01T10:00:00Z"])
    assert result.values[1] == dt.date(2025, 1, 1) and lost(result) == [2]


def test_shorter_max_length_and_new_pattern():
    result = plan(field("text"), field("text", max_length=3), ["abc", "abcd"])
    assert lost(result) == [2] and not result.changes_column
    result = plan(field("text"), field("text", pattern=r"\d+"), ["123", "12a"])
    assert lost(result) == [2]


def test_text_to_email_normalises_and_reports_invalid():
    result = plan(field("text"), field("email"), ["A@EXAMPLE.com", "not an email"])
    assert result.values[1] == "A@example.com" and lost(result) == [2]


@pytest.mark.parametrize("pair", [("text", "link"), ("lines", "text"), ("file", "text"), ("user", "integer"),
                                  ("text", "counter")])
def test_unsupported_pairs_are_refused(pair):
    assert not supported(*pair)
    with pytest.raises(UnsupportedConversion) as info:
        plan_conversion(REGISTRY, field(pair[0]), field(pair[1]), [])
    assert pair[0] in info.value.message and pair[1] in info.value.message


def test_supported_pairs_include_every_scalar_to_text():
    for key in ("integer", "decimal", "money", "percent", "boolean", "date", "datetime", "choice",
                "multi_choice", "email", "phone", "url"):
        assert supported(key, "text") and supported("text", key)
    assert supported("counter", "text") and supported("file", "image")
