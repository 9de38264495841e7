"""One rounding rule: half away from zero, through ``cardfile.formula.rounding`` only."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from cardfile.formula import check, evaluate
from cardfile.formula.rounding import format_number, quantize
from cardfile.formula.schema import DictRecord
from cardfile.formula.types import NUMBER, Money

ROOT = Path(__file__).resolve().parents[3]
SOURCES = ("formula", "metamodel", "reports", "platform", "plugins")
HELPER = ROOT / "formula" / "rounding.py"
BARE = re.compile(r"\.quantize\(")


def test_no_bare_quantize_outside_the_helper():
    found = []
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == HELPER:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if BARE.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "round through cardfile.formula.rounding.quantize, not .quantize():\n" + \
        "\n".join(found)


def test_the_grep_sees_the_source_tree():
    assert HELPER.exists() and BARE.search(HELPER.read_text(encoding="utf-8"))
    assert sum(1 for _ in (ROOT / "formula").rglob("*.py")) > 10


@pytest.mark.parametrize("value, places, expected", [
    ("1.005", 2, "1.01"), ("-1.005", 2, "-1.01"), ("2.5", 0, "3"), ("-2.5", 0, "-3"),
    ("0.125", 2, "0.13"), ("1.0049", 2, "1.00"), ("1250", -2, "1.3E+3"), ("2.675", 2, "2.68"),
])
def test_half_away_from_zero(value, places, expected):
    assert quantize(Decimal(value), places) == Decimal(expected)
    assert str(quantize(Decimal(value), places)) == expected


def test_formatting_rounds_the_same_way():
    assert format_number(Decimal("1.005"), ",.2f") == "1.01"
    assert format_number(Decimal("-0.125"), ".2f") == "-0.13"
    assert format_number(Decimal("0.125"), ".0%") == "13%"


class _Table:
    name = "t"

    def field(self, name):
        return None

    def field_names(self):
        return []


def _value(source: str, **record):
    compiled = check(source, _Table(), None)
    return evaluate(compiled, DictRecord(record))


def test_formula_round_and_format():
    assert _value("round(1.005, 2)") == Decimal("1.01")
    assert _value('round(money(1.005, "EUR"), 2)') == Money(Decimal("1.01"), "EUR")
    assert _value('format(1.005, ",.2f")') == "1.01"
    assert _value('format(money(2.675, "USD"), ".2f")') == "2.68 USD"
    assert NUMBER.kind == "NUMBER"


def test_pivot_average_rounds_half_away_from_zero():
    from cardfile.reports.pivot import _divide

    assert _divide(Decimal("2.01"), 2) == Decimal("1.01")
    assert _divide(Decimal("-2.01"), 2) == Decimal("-1.01")
    assert _divide(Decimal("3.00"), 2) == Decimal("1.50")


def test_documents_round_half_away_from_zero():
    from cardfile.reports.documents.formatting import Formatter

    english = Formatter("en")
    assert english.number(Decimal("1.005"), 2) == "1.01"
    assert english.money(Decimal("1.005"), "EUR") == "€1.01"
    assert english.money(Decimal("0.125"), "USD", symbol=False) == "0.13 USD"
