"""The platform is generic: no platform code names a table of a shipped sample.

Every table ``api_name`` of every sample in ``config-samples/`` (line-item tables too, such
as ``invoices_lines``) is looked for in the code of ``formula/``, ``metamodel/``,
``reports/``, ``platform/`` and ``plugins/``: as a whole Python string constant (docstrings
are prose and are left out) or, in page templates and scripts, as a quoted name or an API
path (``/tables/invoices``). Behaviour that belongs to a trade lives in its package, as
formulas, rules, reports and templates."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from cardfile.metamodel.packages import load_package
from cardfile.metamodel.packages.samples import sample_names, sample_path

ROOT = Path(__file__).resolve().parents[2]
PLATFORM = ("formula", "metamodel", "reports", "platform", "plugins")
TEMPLATE_SUFFIXES = (".html", ".jinja", ".j2", ".js", ".txt", ".xml", ".svg")

#: Files that may name such a table, and why.
ALLOWED = {
    # the formula reference's own in-memory example schema (no database, no package): the
    # doctests and docs/formulas.md show `sum(lines.amount)` on an "invoices" table
    "formula/examples.py",
}


def sample_tables() -> dict[str, str]:
    """Table api_name -> the sample that has it."""
    names = {}
    for sample in sample_names():
        for table in load_package(sample_path(sample)).tables:
            names[table.api_name] = sample
            for field in table.spec["fields"]:
                if field["type"] == "lines":
                    names[f"{table.api_name}_{field['api_name']}"] = sample
    return names


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def python_hits(path: Path, names: dict[str, str]) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            text = node.value
            found = [n for n in names if text == n or re.search(rf"/tables/{n}(?![\w])", text)]
            hits += [f"{path.relative_to(ROOT)}:{node.lineno}: {n!r} ({names[n]})" for n in found]
    return hits


def template_hits(path: Path, pattern: re.Pattern, names: dict[str, str]) -> list[str]:
    hits = []
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        for match in pattern.finditer(line):
            name = match.group("name")
            hits.append(f"{path.relative_to(ROOT)}:{number}: {name!r} ({names[name]})")
    return hits


def platform_files():
    for folder in PLATFORM:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                yield path


def test_every_sample_has_tables_to_look_for():
    names = sample_tables()
    assert {"customer-accounting", "retail-shop"} <= set(names.values())
    assert {"invoices", "invoices_lines", "receipts", "receipts_lines", "loyalty_tiers"} <= set(names)


def test_no_platform_code_names_a_sample_table():
    names = sample_tables()
    alternatives = "|".join(sorted(map(re.escape, names), key=len, reverse=True))
    pattern = re.compile(rf"""(?:['"]|/tables/)(?P<name>{alternatives})(?=['"/?#\s]|$)""")
    hits, looked_at = [], 0
    for path in platform_files():
        rel = str(path.relative_to(ROOT))
        if rel in ALLOWED:
            continue
        if path.suffix == ".py":
            hits += python_hits(path, names)
            looked_at += 1
        elif path.suffix in TEMPLATE_SUFFIXES:
            hits += template_hits(path, pattern, names)
            looked_at += 1
    assert looked_at > 100
    assert not hits, "platform code names tables of a sample:\n" + "\n".join(hits)


def test_the_check_finds_a_planted_name(tmp_path, monkeypatch):
    """The search itself works: a constant, an API path and a template quote are found;
    a docstring and a longer word are not."""
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    names = {"invoices": "customer-accounting", "receipts": "retail-shop"}
    code = tmp_path / "planted.py"
    code.write_text('"""About invoices and receipts."""\n'
                    'TABLE = "invoices"\nURL = "/api/v1/tables/receipts/records"\nWORD = "invoices_total"\n')
    assert python_hits(code, names) == ["planted.py:2: 'invoices' (customer-accounting)",
                                        "planted.py:3: 'receipts' (retail-shop)"]
    page = tmp_path / "page.html"
    page.write_text('<a href="/tables/receipts?x=1">x</a>\n<p>{{ t("invoices") }}</p>\n<p>receipts</p>\n')
    pattern = re.compile(r"""(?:['"]|/tables/)(?P<name>invoices|receipts)(?=['"/?#\s]|$)""")
    assert template_hits(page, pattern, names) == ["page.html:1: 'receipts' (retail-shop)",
                                                   "page.html:2: 'invoices' (customer-accounting)"]
