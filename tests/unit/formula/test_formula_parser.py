"""Parsing: what is allowed, what is refused (with where), and the limits."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from cardfile.formula import FormulaError, FormulaErrors, parse
from cardfile.formula.nodes import BinOp, Call, Compare, IfExp, ListNode, Literal, Path, walk


def refuse(source: str) -> FormulaError:
    started = time.perf_counter()
    with pytest.raises(FormulaError) as info:
        parse(source)
    assert time.perf_counter() - started < 0.5, "refusal must be quick"
    return info.value


@pytest.mark.parametrize("source, kind", [
    ("1 + 2 * 3", BinOp), ("client.category.discount", Path), ("round(x, 2)", Call),
    ("sum(lines.amount, where=lines.vat > 0)", Call), ("a < b <= c", Compare),
    ('"x" if ok else "y"', IfExp), ('status in ["a", "b"]', Compare),
    ("(((1)))", Literal), ("not a and b or c", object), ("-x", object),
])
def test_allowed_constructs(source, kind):
    assert isinstance(parse(source).tree, kind)


def test_numbers_are_decimals_never_floats():
    tree = parse("0.1 + 2.675 + 1_000 + 1e3").tree
    literals = [node.value for node in walk(tree) if isinstance(node, Literal)]
    assert literals == [Decimal("0.1"), Decimal("2.675"), Decimal(1000), Decimal("1e3")]
    assert all(type(value) is Decimal for value in literals)


def test_paths_keep_every_part_and_span():
    path = parse("client.category.discount").tree
    assert path.parts == ("client", "category", "discount")
    assert [(s.start, s.end) for s in path.spans] == [(0, 6), (7, 15), (16, 24)]


PAYLOADS = [
    ("().__class__.__bases__", "FORMULA_UNSAFE", "record paths"),
    ('__import__("os")', "FORMULA_UNSAFE", "'_'"),
    ("x.__class__", "FORMULA_UNSAFE", "'_'"),
    ("_private", "FORMULA_UNSAFE", "'_'"),
    ("lambda: 1", "FORMULA_UNSAFE", "lambda"),
    ("[x for x in lines]", "FORMULA_UNSAFE", "comprehension"),
    ("{x: 1 for x in y}", "FORMULA_UNSAFE", "comprehension"),
    ("(x for x in y)", "FORMULA_UNSAFE", "generator"),
    ("(y := 1)", "FORMULA_UNSAFE", ":="),
    ('f"{total}"', "FORMULA_UNSAFE", "f-string"),
    ("lines[0]", "FORMULA_UNSAFE", "indexing"),
    ("round(*args)", "FORMULA_UNSAFE", "*"),
    ("round(**kw)", "FORMULA_UNSAFE", "**"),
    ("x.y()", "FORMULA_UNSAFE", "by name"),
    ("round(1)(2)", "FORMULA_UNSAFE", "by name"),
    ('"abc".upper()', "FORMULA_UNSAFE", "by name"),
    ("{1: 2}", "FORMULA_UNSAFE", "dictionar"),
    ("(1, 2)", "FORMULA_UNSAFE", "tuple"),
    ("[1, 2]", "FORMULA_SYNTAX", "list"),
    ("import os", "FORMULA_SYNTAX", ""),
    ("x = 1; y", "FORMULA_SYNTAX", ""),
    ("1 ^ 2", "FORMULA_SYNTAX", "**"),
    ("a is None", "FORMULA_SYNTAX", "is_empty"),
    ("b'bytes'", "FORMULA_SYNTAX", "bytes"),
    ("1j", "FORMULA_SYNTAX", "complex"),
    ("(" * 10000 + "1" + ")" * 10000, "FORMULA_LIMIT", "longer"),
    ("(" * 1500 + "1" + ")" * 1500, "FORMULA_LIMIT", "nested"),
    ("-" * 3000 + "1", "FORMULA_LIMIT", "nested"),
    ("not " * 900 + "x", "FORMULA_LIMIT", "nested"),
    ("round(" * 150 + "1" + ")" * 150, "FORMULA_LIMIT", "nested"),
    ('"' + "a" * 1500 + '"', "FORMULA_LIMIT", "longer than 1000"),
    ("x" * 5000, "FORMULA_LIMIT", "longer than 4000"),
    ("", "FORMULA_SYNTAX", "empty"),
    ("   ", "FORMULA_SYNTAX", "empty"),
]


@pytest.mark.parametrize("source, code, words", PAYLOADS, ids=lambda v: str(v)[:30])
def test_payloads_are_refused_quickly_with_a_position(source, code, words):
    error = refuse(source)
    assert error.code == code
    assert words in error.message
    assert set(error.position) == {"start", "end", "line", "column"}
    assert 0 <= error.position["start"] <= len(source)
    assert isinstance(error, FormulaErrors)


def test_all_errors_are_reported_in_source_order():
    error = refuse("a.__x__ + (lambda: 1) + b[0]")
    assert [e.code for e in error.errors] == ["FORMULA_UNSAFE"] * 3
    starts = [e.position["start"] for e in error.errors]
    assert starts == sorted(starts)
    assert error.to_dict()["errors"][0]["position"]["start"] == 2


@pytest.mark.parametrize("source, column", [
    ('status = "paid"', 8),
    ('IF(status = "paid", 1, 2)', 11),
    ('a == 1 and b = 2', 14),
    ("total =", 7),
])
def test_single_equals_says_use_double_equals(source, column):
    error = refuse(source)
    assert error.code == "FORMULA_SYNTAX"
    assert "use == to compare" in error.message
    assert error.position["column"] == column
    assert source[error.position["start"]] == "="


def test_equals_is_fine_for_keyword_arguments():
    call = parse("sum(lines.amount, where = lines.vat > 0)").tree
    assert set(call.kwargs) == {"where"}


@pytest.mark.parametrize("source, words", [("1 <> 2", "!="), ("a && b", "and")])
def test_spreadsheet_and_c_habits_get_hints(source, words):
    assert words in refuse(source).message


@pytest.mark.parametrize("source, column, token", [
    ("a +", 3, "+"), ("price * ", 7, "*"), ("x ==", 3, "=="), ("x and", 3, "and"),
    ("a + b -", 7, "-"), ("f(x)+", 5, "+"), ("x if y else", 8, "else"), ("a +\n", 3, "+"),
    ('"привет" +', 10, "+"), ("not", 1, "not"),
])
def test_a_missing_operand_at_the_end_points_at_the_last_token(source, column, token):
    error = refuse(source)
    assert error.code == "FORMULA_SYNTAX"
    assert error.position["column"] == column
    assert source[error.position["start"]:error.position["end"]] == token
    assert "ends too early" in error.message and repr(token) in error.message


@pytest.mark.parametrize("source, column", [("a b", 3), ("a + * b", 5), ("(a +)", 5)])
def test_errors_inside_the_text_keep_their_position(source, column):
    error = refuse(source)
    assert error.position["column"] == column
    assert "ends too early" not in error.message


def test_positions_on_later_lines_and_after_non_ascii_text():
    error = refuse('("привет" +\n  x.__y)')
    assert error.position["line"] == 2
    assert error.position["column"] == 5
    assert error.position["start"] == len('("привет" +\n  x.')
    error = refuse('"ü" + a[0]')
    assert error.position == {"start": 6, "end": 10, "line": 1, "column": 7}


def test_field_key_travels_with_the_error():
    with pytest.raises(FormulaError) as info:
        parse("a[0]", field="total")
    assert info.value.field == "total"
    assert info.value.to_dict()["field"] == "total"
    assert str(info.value).startswith("total: ")


def test_list_only_as_argument_or_after_in():
    assert isinstance(parse('x in [1, 2]').tree.operands[1], ListNode)
    assert isinstance(parse('coalesce([1], 2)').tree.args[0], ListNode)
    assert refuse("[1] + 2").code == "FORMULA_SYNTAX"
    assert refuse("x in [" + ", ".join(["1"] * 101) + "]").code == "FORMULA_LIMIT"
