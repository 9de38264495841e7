"""The size bound: a text that can grow past MAX_TEXT_SIZE is refused when it is checked."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cardfile.formula import FormulaErrors, check
from cardfile.formula import size
from cardfile.formula.size import FIELD_TEXT, MAX_TEXT_SIZE
from cardfile.formula.types import TEXT

GROW = '"a", "aaaaaaaaaa"'


def nested_replace(levels: int, inner: str = "number") -> str:
    source = inner
    for _ in range(levels):
        source = f"replace({source}, {GROW})"
    return source


@pytest.fixture
def invoices(memory_schema):
    return memory_schema.table("invoices")


def refused(source, table, schema):
    with pytest.raises(FormulaErrors) as info:
        check(source, table, schema)
    [error] = info.value.errors
    assert error.code == "FORMULA_TOO_LARGE"
    return error


def test_eight_nested_replacements_are_refused_at_the_innermost_too_large_call(invoices,
                                                                               memory_schema):
    source = nested_replace(8) + ' != ""'
    error = refused(source, invoices, memory_schema)
    # a field of FIELD_TEXT characters times ten per level passes ten million at level 3
    levels_allowed = 2
    assert FIELD_TEXT * 10 ** levels_allowed <= MAX_TEXT_SIZE < FIELD_TEXT * 10 ** 3
    inner = nested_replace(levels_allowed + 1)
    start = source.index(inner)
    assert (error.position["start"], error.position["end"]) == (start, start + len(inner))
    assert "characters" in error.message and f"{MAX_TEXT_SIZE:,}" in error.message


@pytest.mark.parametrize("source", [
    nested_replace(2),
    'replace(replace(number, " ", ""), "-", "")',
    'concat(number, " / ", status, " ", total)',
    'upper(trim(number)) + "-" + lower(status)',
    'left(number, 3) * 100',
    'IF(paid, number, status) + "x"',
    'max(lines.label) + ""',
    '"-" * qty',
    'format(total, ",.2f") + words(total, "en", "EUR")',
])
def test_everyday_text_formulas_pass(source, invoices, memory_schema):
    check(source, invoices, memory_schema)


@pytest.mark.parametrize("source", [
    'number * 101',
    'concat(' + ", ".join(["number"] * 101) + ')',
    'number * 100 + upper(number)',
    'replace(number, "a", number)',
    'replace(number, status, "' + "x" * 200 + '")',
    'len(' + nested_replace(4) + ') > 3',
    'left(' + nested_replace(4) + ', 10) == ""',
    'IF(paid, ' + nested_replace(4) + ', "")',
])
def test_growing_text_is_refused_whatever_wraps_it(source, invoices, memory_schema):
    refused(source, invoices, memory_schema)


def test_a_field_that_states_its_length_is_bounded_by_it(invoices, memory_schema, monkeypatch):
    short = replace(memory_schema.table("invoices").fields["number"])
    short.max_length = 20
    monkeypatch.setitem(invoices.fields, "number", short)
    # 20 characters grow to 2 000 000 over five levels: fine; six levels are not
    check(nested_replace(5), invoices, memory_schema)
    refused(nested_replace(6), invoices, memory_schema)


def test_a_constant_repetition_counts_and_an_unknown_one_is_bounded_by_the_runtime_limit(
        invoices, memory_schema):
    check('"ab" * 1000', invoices, memory_schema)
    refused('("ab" * 1000 + number) * 1000', invoices, memory_schema)
    check('number * qty', invoices, memory_schema)


def test_every_builtin_text_function_has_a_size_rule_or_a_fixed_bound():
    from cardfile.formula import default_registry

    text_functions = {spec.key for spec in default_registry()
                      if spec.category == "text" or spec.returns == TEXT}
    fixed = {"format", "words", "currency"}     # their inputs plus ops.MAX_TEXT
    assert text_functions - fixed - {"len", "contains"} <= size.RULES.keys()
    assert {"if", "switch", "coalesce", "min", "max"} <= size.RULES.keys()
