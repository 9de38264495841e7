"""API names from labels, physical names, counter patterns and exact decimals, without a database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from cardfile.metamodel.errors import InvalidDefinition
from cardfile.metamodel.fieldtypes.base import FieldValueError
from cardfile.metamodel.fieldtypes.builtin.counter import period_of, render, validate_pattern
from cardfile.metamodel.fieldtypes.registry import DuplicateFieldType, UnknownFieldType, default_registry
from cardfile.metamodel.naming import check_api_name, clean_label, make_api_name
from cardfile.metamodel.storage import names
from cardfile.metamodel.storage.sqltypes import ExactDecimal


@pytest.mark.parametrize("label,expected", [
    ("Клиенты", "klienty"), ("Дата рождения", "data_rozhdeniia"), ("E-mail", "e_mail"),
    ("2024 plan", "field_2024_plan"), ("!!!", "field"), ("ID", "id_field"), ("Straße", "strasse"),
])
def test_api_names_from_labels(label, expected):
    assert make_api_name(label, set(), "field") == expected


def test_api_names_avoid_taken_ones():
    assert make_api_name("Name", {"name", "name_2"}, "field") == "name_3"
    assert make_api_name("Id", set(), "field") == "id_field"


@pytest.mark.parametrize("bad", ["", "Name", "1st", "a-b", "a b", "id", "deleted_at", "class", "x" * 64, None, 5])
def test_invalid_api_names(bad):
    with pytest.raises(InvalidDefinition):
        check_api_name(bad)


def test_labels_are_cleaned():
    assert clean_label("  Счёт   на\tоплату ") == "Счёт на оплату"
    for bad in ("", "   ", None, "x" * 201):
        with pytest.raises(InvalidDefinition):
            clean_label(bad)


def test_physical_names_come_from_ids_only():
    assert names.table_name(17) == "t_17"
    assert names.column_name(203) == "f_203" and names.column_name(203, "cur") == "f_203_cur"
    assert names.index_name(1, 2, "uq") == "uq_1_2"
    with pytest.raises(ValueError):
        names.table_name("17; DROP TABLE x")


def test_counter_patterns():
    day = dt.date(2026, 3, 7)
    assert render("INV-{YYYY}-{####}", 12, day) == "INV-2026-0012"
    assert render("{YY}{MM}{DD}/{##}", 123, day) == "260307/123"
    assert period_of("INV-{YYYY}-{####}", day) == "2026"
    assert period_of("{YY}{MM}/{##}", day) == "26-03"
    assert period_of("N{#}", day) == ""
    validate_pattern("A{#}B")
    for bad in ("INV", "{#}{#}", "{YYYY}-{Q}-{#}", "{####"):
        with pytest.raises(FieldValueError):
            validate_pattern(bad)


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_exact_decimal_round_trips_without_floats(dialect):
    col = ExactDecimal(2)
    bind = col.process_bind_param(Decimal("-12.34"), dialect)
    back = col.process_result_value(bind, dialect)
    assert back == Decimal("-12.34") and str(back) == "-12.34"
    if dialect.name == "sqlite":
        assert bind == -1234
        assert col.process_result_value(1234.0, dialect) == Decimal("12.34")
    assert repr(ExactDecimal(2)) != repr(ExactDecimal(3))


def test_registry_fails_fast():
    registry = default_registry()
    with pytest.raises(UnknownFieldType) as info:
        registry.get("colour")
    assert "Known types" in info.value.message
    from cardfile.metamodel.fieldtypes.builtin.text import TextType
    with pytest.raises(DuplicateFieldType) as info:
        registry.register(TextType, source="a-plugin")
    assert "cardfile.builtin" in info.value.message and "a-plugin" in info.value.message
