"""docs/formulas.md is generated from the registry and must match it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cardfile.formula.docs import render_markdown
from cardfile.formula.functions import default_registry

DOC = Path(__file__).resolve().parents[3] / "docs" / "formulas.md"


def test_committed_reference_equals_the_generated_one():
    assert DOC.read_text(encoding="utf-8") == render_markdown(), (
        "regenerate: python -m cardfile.formula.docs > docs/formulas.md")


def test_every_function_is_documented_with_signature_and_examples():
    text = render_markdown()
    for spec in default_registry():
        assert f"#### `{spec.signature()}`" in text
        for expression, _ in spec.examples:
            assert f"`{expression}`" in text


def test_rules_are_documented():
    text = render_markdown()
    for words in ("use == to compare", "## Empty values", "where=", "`me`", "Money",
                  "half away from zero", "today()"):
        assert words in text


def test_module_entry_point_prints_the_reference():
    result = subprocess.run([sys.executable, "-m", "cardfile.formula.docs"], capture_output=True,
                            text=True, check=True, encoding="utf-8")
    assert result.stdout == render_markdown()
