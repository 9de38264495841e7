"""Evaluation in Python: every function, rounding, empty values, money, runtime errors."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
import simpleeval

from cardfile.formula import DictRecord, FormulaError, check, evaluate
from cardfile.formula.examples import example_schema, run_example
from cardfile.formula.functions import (DuplicateFunctionError, FunctionSpec, Param,
                                        UnknownFunctionError, default_registry, new_registry)
from cardfile.formula.types import NUMBER, Money

EXAMPLES = [(spec.name, expression, expected) for spec in default_registry()
            for expression, expected in spec.examples]


@pytest.mark.parametrize("name, expression, expected", EXAMPLES,
                         ids=[f"{n}:{e}" for n, e, _ in EXAMPLES])
def test_every_documented_example(name, expression, expected):
    result = run_example(expression)
    assert result == expected
    assert type(result) is type(expected)


def test_every_function_has_examples_and_a_description():
    for spec in default_registry():
        assert spec.examples, spec.name
        assert spec.description.strip(), spec.name
        assert any(spec.name.lower() in e.lower() for e, _ in spec.examples), spec.name


def value(source: str, **data):
    schema = example_schema()
    compiled = check(source, schema.table("invoices"), schema)
    return evaluate(compiled, DictRecord(data), today=dt.date(2026, 3, 15))


@pytest.mark.parametrize("source, expected", [
    ("round(0.125, 2)", "0.13"), ("round(2.675, 2)", "2.68"), ("round(-0.125, 2)", "-0.13"),
    ("round(-2.675, 2)", "-2.68"), ("round(1.005, 2)", "1.01"), ("round(2.5)", "3"),
    ("round(-2.5)", "-3"), ("round(0.5)", "1"), ("round(1.4999, 0)", "1"),
    ("round(1234.5, -1)", "1230"), ("round(1235, -1)", "1240"), ("round(-1250, -2)", "-1300"),
    ("round(1/3, 4)", "0.3333"), ("round(2/3, 4)", "0.6667"), ("round(0.1 + 0.2, 20)", "0.3"),
])
def test_rounding_half_away_from_zero(source, expected):
    assert value(source) == Decimal(expected)


def test_decimal_arithmetic_is_exact():
    assert value("0.1 + 0.2 == 0.3") is True
    assert value("total * 3", total=Decimal("0.1")) == Decimal("0.3")
    assert value("total", total=0.1) == Decimal("0.1")       # stored floats are read exactly
    assert value("total + 1", total=2) == Decimal(3)


class TestEmptyValues:
    def test_arithmetic_counts_empty_as_zero(self):
        assert value("total + discount") == 0
        assert value("total * 2 - discount", total=Decimal(5)) == 10
        assert value("-discount") == 0
        assert value("round(discount, 2)") == 0

    def test_a_bare_empty_field_stays_empty(self):
        assert value("total") is None

    def test_text_counts_as_empty_string(self):
        assert value('status + "!"') == "!"
        assert value("upper(status)") == ""
        assert value("len(status)") == 0
        assert value("status + number") == ""

    def test_dates_stay_empty(self):
        assert value("due_date + 3") is None
        assert value("due_date - issued", issued=dt.date(2026, 1, 1)) is None
        assert value("year(due_date)") is None
        assert value("add_months(due_date, 1)") is None

    def test_comparisons_use_the_zero_of_the_type(self):
        assert value("total == 0") is True
        assert value("total < 1") is True
        assert value('status == ""') is True
        assert value("paid == False") is True
        assert value("not paid") is True

    def test_empty_dates_compare_only_as_equal_to_empty(self):
        assert value("due_date < today()") is False
        assert value("due_date >= today()") is False
        assert value("due_date == None") is True
        assert value("due_date != today()") is True
        assert value("due_date == issued") is True

    def test_aggregates_skip_empty_values(self):
        lines = [{"amount": Decimal(4)}, {"amount": None}, {"amount": Decimal(2)}]
        assert value("sum(lines.amount)", lines=lines) == 6
        assert value("count(lines.amount)", lines=lines) == 2
        assert value("count(lines)", lines=lines) == 3
        assert value("avg(lines.amount)", lines=lines) == 3
        assert value("avg(lines.amount)", lines=[]) is None
        assert value("min(lines.amount)", lines=[{"amount": None}]) is None
        assert value("sum(lines.amount)", lines=[]) == 0
        assert value("all(lines.qty > 0)", lines=[]) is True
        assert value("any(lines.qty > 0)", lines=[]) is False

    def test_is_empty_and_coalesce(self):
        assert value("is_empty(status)") is True
        assert value("is_empty(status)", status="") is True
        assert value("is_empty(client)") is True
        assert value("is_empty(client)", client={"name": "x"}) is False
        assert value('coalesce(status, "none")', status="") == "none"
        assert value("coalesce(discount, total, 1)", total=Decimal(7)) == 7

    def test_missing_links_read_empty_down_the_path(self):
        assert value("client.category.discount") is None
        assert value("client.category.discount + 1") == 1


class TestMoney:
    def test_rules(self):
        price = Money(Decimal("10.00"), "EUR")
        assert value("price * 3", price=price) == Money(Decimal("30.00"), "EUR")
        assert value("price / 4", price=price) == Money(Decimal("2.5"), "EUR")
        assert value("price / price", price=price) == 1
        assert value("price + 1", price=price) == Money(Decimal("11.00"), "EUR")
        assert value("price > 5", price=price) is True
        assert value("-price", price=price) == Money(Decimal("-10.00"), "EUR")

    def test_stored_amounts_are_wrapped_in_the_field_currency(self):
        assert value("price", price=Decimal("5")) == Money(Decimal(5), "EUR")
        assert value("price + price", price=None) == Money(Decimal(0), "EUR")

    def test_mixed_currencies_are_a_runtime_error_with_position(self):
        with pytest.raises(FormulaError) as info:     # stored in USD, declared EUR
            value('1 + (price + money(2, "EUR"))', price=Money(Decimal(1), "USD"))
        assert info.value.code == "FORMULA_RUNTIME"
        assert "USD and EUR" in info.value.message
        assert info.value.position["start"] == 5

    def test_declared_currencies_that_differ_are_refused_at_check(self):
        with pytest.raises(FormulaError) as info:
            value('price + money(2, "USD")')
        assert info.value.code == "FORMULA_TYPE"
        assert "cannot add EUR and USD money: use convert() first" in info.value.message

    def test_convert_uses_the_rates_provider(self):
        assert run_example('convert(price, "USD", on=date(2026, 1, 5))') == \
            Money(Decimal("108.0000"), "USD")
        assert run_example('convert(price, "EUR")') == Money(Decimal("100.00"), "EUR")
        with pytest.raises(FormulaError, match="no EUR→GBP rate"):
            run_example('convert(price, "GBP")')
        with pytest.raises(FormulaError, match="no currency rates"):
            value('convert(price, "USD")', price=Money(Decimal(1), "EUR"))


class TestRuntimeErrors:
    @pytest.mark.parametrize("source, start, words", [
        ("total / discount", 0, "division by zero"),
        ("1 + total % discount", 4, "division by zero"),
        ("round(total // discount, 2)", 6, "division by zero"),
        ("sqrt(5 - total)", 0, "negative"),
        ("total ** 101", 0, "exponent"),
        ("(total + 10) ** 40", 0, "larger"),
        ("date(2026, 2, total)", 0, "invalid date"),
        ('status * (total * 10000)', 0, "longer than"),
        ('format(total, "{0.__class__}")', 0, "unsupported number format"),
    ])
    def test_runtime_errors_have_code_and_position(self, source, start, words):
        with pytest.raises(FormulaError) as info:
            value(source, total=Decimal(30), status="ab")
        assert info.value.code in ("FORMULA_RUNTIME", "FORMULA_LIMIT")
        assert words in info.value.message
        assert info.value.position["start"] == start

    def test_time_budget_over_large_collections(self):
        lines = [{"amount": Decimal(1)}] * 5000
        with pytest.raises(FormulaError) as info:
            schema = example_schema()
            compiled = check("sum(lines.amount, where=lines.amount > avg(lines.amount))",
                             schema.table("invoices"), schema)
            evaluate(compiled, DictRecord({"lines": lines}), max_seconds=0.05)
        assert info.value.code == "FORMULA_LIMIT"


def test_me_today_now():
    schema = example_schema()
    compiled = check('concat(me.name, " ", me.team, " ", me == 3, " ", today())',
                     schema.table("invoices"), schema)
    result = evaluate(compiled, DictRecord({}), me={"id": 3, "name": "Anna", "team": "north"},
                      today=dt.date(2026, 1, 2))
    assert result == "Anna north TRUE 2026-01-02"

    class User:
        id, name = 5, "Bo"

        def secret(self):  # a method is never exposed
            return "x"

    compiled = check("is_empty(me.secret) and me.name == \"Bo\"", schema.table("invoices"),
                     schema)
    assert evaluate(compiled, DictRecord({}), me=User()) is True


def test_where_reads_outer_fields_and_nested_links():
    data = {"qty": Decimal(2), "lines": [
        {"qty": Decimal(1), "amount": Decimal(10)}, {"qty": Decimal(3), "amount": Decimal(5)}]}
    assert value("sum(lines.amount, where=lines.qty >= qty)", **data) == 5
    assert value("count(lines, where=lines.amount > avg(lines.amount))", **data) == 1


def test_registry_fails_fast_and_plugins_register_like_builtins():
    registry = new_registry()
    spec = FunctionSpec(name="double", params=(Param("x", ("NUMBER",)),), returns=NUMBER,
                        impl=lambda x: x * 2, description="Twice x.",
                        examples=(("double(2)", Decimal(4)),))
    registry.register(spec, source="tests.plugin")
    assert run_example("double(21)", functions=registry) == 42
    with pytest.raises(DuplicateFunctionError) as info:
        registry.register(spec, source="other.plugin")
    assert "tests.plugin" in str(info.value) and "other.plugin" in str(info.value)
    with pytest.raises(DuplicateFunctionError, match="cardfile.formula.functions.numbers"):
        registry.register(FunctionSpec("ROUND", (), NUMBER, lambda: 1, "x"), source="p")
    with pytest.raises(UnknownFunctionError):
        registry.get("nope")
    assert "double" not in default_registry()


def test_parse_once_evaluate_many_is_faster_than_simpleeval():
    schema = example_schema()
    source = "total * qty * (1 - discount / 100) + 5"
    compiled = check(source, schema.table("invoices"), schema)
    record = DictRecord({"total": Decimal("12.5"), "qty": Decimal(3), "discount": Decimal(10)})
    names = {"total": Decimal("12.5"), "qty": Decimal(3), "discount": Decimal(10)}
    assert evaluate(compiled, record) == simpleeval.simple_eval(source, names=names)

    def timed(run, rounds=2000):
        started = time.perf_counter()
        for _ in range(rounds):
            run()
        return time.perf_counter() - started

    ours = min(timed(lambda: evaluate(compiled, record)) for _ in range(3))
    theirs = min(timed(lambda: simpleeval.simple_eval(source, names=names)) for _ in range(3))
    assert theirs / ours > 1.5, (ours, theirs)
