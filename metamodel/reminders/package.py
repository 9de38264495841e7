"""Reminder rules in configuration packages: ``reminders.yaml`` next to ``package.yaml``.

    reminders:
      - table: events
        name: Planned event
        field: starts_at
        offset: {amount: 15, unit: minutes, direction: before}
        condition: status == "planned"
        recipients: [{type: field, field: responsible}]
        message: "{kind}: {subject} with {client} at {starts_at}"
        channels: [inbox, email]

The file is checked against ``reminders.schema.json`` (problems name the file and the JSON
path); applying the package creates the rules it names and updates those it changed
(a rule is known by its table and name), like saved reports. Each rule is then checked
like one saved in the designer (condition, fields, recipients, placeholders).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import jsonschema

from ..packages.loader import Problem, read_document, raise_problems

FILE_NAMES = ("reminders.yaml", "reminders.yml", "reminders.json")
SCHEMA = Path(__file__).with_name("reminders.schema.json")


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


def load_rules(root: Path, package_name: str = "package") -> list[dict] | None:
    """The package's rules, or None when it has no reminders file."""
    for name in FILE_NAMES:
        path = Path(root) / name
        if path.is_file():
            document = read_document(path, name)
            validator = jsonschema.Draft202012Validator(schema())
            problems = [Problem(name, "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}"
                                                     for p in error.absolute_path), error.message)
                        for error in validator.iter_errors(document)]
            raise_problems(problems, f"Package {package_name!r}")
            return document["reminders"]
    return None


def apply_rules(runtime, actor, pkg) -> dict | None:
    """Create or update the rules of ``pkg`` (a loaded ``Package``); None when it has none."""
    rules = load_rules(pkg.root, pkg.name)
    if rules is None:
        return None
    from .rules import RuleService

    return RuleService(runtime).apply_package(actor, pkg.name, rules)
