"""Helpers for package tests: write small packages into a temporary directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml


def write_package(root: Path, tables: list[dict], *, name: str = "shop", version: str = "1.0.0",
                  demo: dict | None = None, order: bool = True, suffix: str = ".yaml") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "tables").mkdir(exist_ok=True)
    for old in (root / "tables").iterdir():
        old.unlink()
    manifest = {"name": name, "version": version, "title": name.title()}
    if order:
        manifest["tables"] = [t["api_name"] for t in tables]
    (root / "package.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    for table in tables:
        path = root / "tables" / f"{table['api_name']}{suffix}"
        path.write_text(json.dumps(table, indent=2) if suffix == ".json" else yaml.safe_dump(table, sort_keys=False))
    if demo is not None:
        (root / "demo.yaml").write_text(yaml.safe_dump(demo, sort_keys=False))
    return root


def shop_tables() -> list[dict]:
    """Two tables; ``orders`` links forward to ``customers`` and has line items."""
    return [
        {"api_name": "orders", "label": "Orders", "section": "Sales", "display_field": "number", "fields": [
            {"api_name": "number", "label": "Number", "type": "counter", "options": {"pattern": "O-{###}"}},
            {"api_name": "customer", "label": "Customer", "type": "link",
             "options": {"target": "customers", "required": True}},
            {"api_name": "status", "label": "Status", "type": "choice", "options": {"choices": [
                {"value": "new", "label": "New", "color": "#3498db"}, {"value": "done", "label": "Done"}]}},
            {"api_name": "items", "label": "Items", "type": "lines", "options": {"fields": [
                {"api_name": "article", "label": "Article", "type": "text"},
                {"api_name": "qty", "label": "Quantity", "type": "integer", "options": {"min": 1}},
            ]}},
        ]},
        {"api_name": "customers", "label": "Customers", "section": "Sales", "display_field": "name", "fields": [
            {"api_name": "name", "label": "Name", "type": "text", "options": {"required": True}},
            {"api_name": "code", "label": "Code", "type": "text", "options": {"unique": True}},
            {"api_name": "parent", "label": "Parent", "type": "link", "options": {"target": "customers"}},
        ]},
    ]


@pytest.fixture
def shop(tmp_path) -> Path:
    return write_package(tmp_path / "shop", shop_tables())


@pytest.fixture
def write_pkg():
    """``write_pkg(root, tables, name=…, demo=…)`` writes a package and returns its path."""
    return write_package


@pytest.fixture
def shop_spec() -> list[dict]:
    return shop_tables()
