"""Checking: names, paths, calls, types, inferred result types and dependencies."""

from __future__ import annotations

import pytest

from cardfile.formula import (BOOL, DATE, NUMBER, TEXT, Dependency, FormulaError, FormulaErrors,
                              check)
from cardfile.formula.types import money_type


@pytest.fixture
def invoices(memory_schema):
    return memory_schema.table("invoices")


def errors_of(source, table, schema, **kwargs) -> list[FormulaError]:
    with pytest.raises(FormulaErrors) as info:
        check(source, table, schema, **kwargs)
    return info.value.errors


def test_unknown_field_with_did_you_mean_and_position(invoices, memory_schema):
    [error] = errors_of("round(totl * 2, 2)", invoices, memory_schema, field="gross")
    assert error.code == "FORMULA_UNKNOWN_NAME"
    assert "did you mean 'total'" in error.message
    assert error.position == {"start": 6, "end": 10, "line": 1, "column": 7}
    assert error.field == "gross"


def test_unknown_field_deep_in_a_path(invoices, memory_schema):
    [error] = errors_of("client.category.discont", invoices, memory_schema)
    assert "in categories" in error.message and "'discount'" in error.message
    assert (error.position["start"], error.position["end"]) == (16, 23)


def test_unknown_function_with_did_you_mean(invoices, memory_schema):
    [error] = errors_of("rund(total, 2)", invoices, memory_schema)
    assert error.code == "FORMULA_UNKNOWN_NAME"
    assert "did you mean round" in error.message
    assert error.position["end"] == 4


def test_all_errors_at_once(invoices, memory_schema):
    errors = errors_of('totl + "a" * upper(1) + round(1, 2, 3)', invoices, memory_schema)
    assert [e.code for e in errors] == ["FORMULA_UNKNOWN_NAME", "FORMULA_TYPE", "FORMULA_ARGS"]


@pytest.mark.parametrize("source, code, words", [
    ("round()", "FORMULA_ARGS", "1 to 2 arguments, got 0"),
    ("round(1, 2, 3)", "FORMULA_ARGS", "got 3"),
    ("today(1)", "FORMULA_ARGS", "takes 0 arguments"),
    ("upper(number, 1)", "FORMULA_ARGS", "takes 1 argument, got 2"),
    ("sum(lines.amount, when=lines.vat > 0)", "FORMULA_ARGS", "where="),
    ("round(total, places=2)", "FORMULA_ARGS", "no argument places="),
    ('status + 1', "FORMULA_TYPE", "use concat()"),
    ('1 + "a"', "FORMULA_TYPE", "cannot add NUMBER and TEXT"),
    ("upper(total)", "FORMULA_TYPE", "must be TEXT"),
    ("round(status, 2)", "FORMULA_TYPE", "must be NUMBER or MONEY"),
    ("sum(total, where=total > 1)", "FORMULA_TYPE", "needs a collection"),
    ("sum(status)", "FORMULA_TYPE", "must be NUMBER or MONEY, not TEXT"),
    ("lines", "FORMULA_TYPE", "a collection: use an aggregate"),
    ("lines.amount + 1", "FORMULA_TYPE", "sum(lines.amount)"),
    ("total.amount", "FORMULA_TYPE", "not a link"),
    ("due_date < now()", "FORMULA_TYPE", "date-time"),
    ("status < 3", "FORMULA_TYPE", "cannot compare TEXT with NUMBER"),
    ("price * price", "FORMULA_TYPE", "multiply"),
    ("1 if paid else \"x\"", "FORMULA_TYPE", "same type"),
    ('IF(paid, 1, "x")', "FORMULA_TYPE", "same type"),
    ("status in total", "FORMULA_TYPE", "needs a list"),
    ("9 ** 9 ** 9", "FORMULA_LIMIT", "exponent"),
    ('"a" * 10 ** 9', "FORMULA_LIMIT", "100000"),
    ("10 ** 100", "FORMULA_LIMIT", "larger"),
    ("1 / 0", "FORMULA_RUNTIME", "division by zero"),
    ("me.group.name", "FORMULA_TYPE", "no links"),
    ("date(2026, 2)", "FORMULA_TYPE", "date(year, month, day)"),
    ('convert(total, "USD")', "FORMULA_TYPE", "must be MONEY, not NUMBER"),
    ('money(1, "EURO")', "FORMULA_TYPE", "currency code"),
])
def test_check_errors(invoices, memory_schema, source, code, words):
    errors = errors_of(source, invoices, memory_schema)
    assert errors[0].code == code, errors
    assert words in errors[0].message
    assert errors[0].position is not None


def test_expected_type(invoices, memory_schema):
    [error] = errors_of("status", invoices, memory_schema, expected=NUMBER)
    assert "gives TEXT, but NUMBER is expected" in error.message
    assert check("total > 1", invoices, memory_schema, expected=BOOL).type == BOOL


@pytest.mark.parametrize("source, expected", [
    ("total", NUMBER.with_places(3)),
    ("total + 1.5", NUMBER.with_places(3)),
    ("total * 1.19", NUMBER.with_places(5)),
    ("round(total * 1.19, 2)", NUMBER.with_places(2)),
    ("total / 3", NUMBER),
    ("floor(total)", NUMBER.with_places(0)),
    ("count(lines)", NUMBER.with_places(0)),
    ("sum(lines.amount)", NUMBER.with_places(2)),
    ("price", money_type("EUR", 2)),
    ("round(price * 1.19, 2)", money_type("EUR", 2)),
    ("price / price", NUMBER),
    ("price + 1", money_type("EUR", 2)),
    ("upper(status)", TEXT),
    ("due_date + 3", DATE),
    ("due_date - issued", NUMBER.with_places(0)),
    ("client.category.discount", NUMBER.with_places(2)),
    ("IF(paid, total, None)", NUMBER.with_places(3)),
    ("status == 'paid'", BOOL),
    ("me.email", TEXT),
    ("me.anything", ...),
])
def test_result_type_is_inferred_with_places(invoices, memory_schema, source, expected):
    result = check(source, invoices, memory_schema).type
    if expected is ...:
        assert result.kind == "ANY"
    else:
        assert result == expected


def test_dependencies_cover_fields_links_and_collections(invoices, memory_schema):
    compiled = check("client.category.discount + sum(lines.amount, where=lines.vat > 0)"
                     " + total", invoices, memory_schema)
    assert compiled.dependencies == {
        Dependency("invoices", "client"),
        Dependency("clients", "category", (("invoices", "client"),)),
        Dependency("categories", "discount", (("invoices", "client"), ("clients", "category"))),
        Dependency("invoices", "lines"),
        Dependency("lines", "amount", (("invoices", "lines"),)),
        Dependency("lines", "vat", (("invoices", "lines"),)),
        Dependency("invoices", "total"),
    }
    assert ("lines", "vat") in compiled.fields()


def test_back_links_through_links_and_me(memory_schema):
    lines = memory_schema.table("lines")
    compiled = check("sum(invoice.client.invoices.total, where=invoice.client.invoices.paid)"
                     " + me.id", lines, memory_schema)
    assert Dependency("invoices", "total", (("lines", "invoice"), ("invoices", "client"),
                                            ("clients", "invoices"))) in compiled.dependencies
    assert compiled.uses_me and compiled.volatile


def test_two_collections_in_one_aggregate_are_refused(memory_schema):
    clients = memory_schema.table("clients")
    [error] = errors_of("sum(invoices.total + invoices.lines.amount)", clients, memory_schema)
    assert "second collection" in error.message


def test_nested_aggregates_bind_their_own_collection(invoices, memory_schema):
    compiled = check("count(lines, where=lines.amount > avg(lines.amount))", invoices,
                     memory_schema)
    assert compiled.bindings == 2


def test_flags_for_callers(invoices, memory_schema):
    assert check("total / qty", invoices, memory_schema).can_fail
    assert check("total % qty", invoices, memory_schema).can_fail
    assert not check("total % 2", invoices, memory_schema).can_fail
    assert check("total ** 2", invoices, memory_schema).can_fail
    assert check("total / (2 - 2)", invoices, memory_schema).can_fail
    assert not check("total / 2", invoices, memory_schema).can_fail  # by a constant other than 0
    assert not check("total // 100", invoices, memory_schema).can_fail
    assert not check("total * 2", invoices, memory_schema).can_fail
    assert check("due_date < today()", invoices, memory_schema).volatile
    assert not check("total", invoices, memory_schema).volatile


def test_function_names_are_case_insensitive(invoices, memory_schema):
    assert check('IF(paid, "a", "b")', invoices, memory_schema).type == TEXT
    assert check('If(paid, "a", "b")', invoices, memory_schema).type == TEXT
    [error] = errors_of('if(paid, "a", "b")', invoices, memory_schema)
    assert "write IF(condition, then, otherwise)" in error.message
    assert check("ROUND(total)", invoices, memory_schema).type == NUMBER.with_places(0)


def test_a_function_name_used_as_a_field_gets_a_hint(invoices, memory_schema):
    [error] = errors_of("today + 1", invoices, memory_schema)
    assert "today is a function" in error.message
