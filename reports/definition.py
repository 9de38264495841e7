"""Report definitions: JSON documents checked against ``schemas/report.schema.json``.

``validate_definition(doc)`` returns the document with defaults filled in, or raises
``InvalidDefinition`` listing every problem with its JSON path. ``list_query(doc)`` turns
the definition's filter into the record service's ``ListQuery``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import jsonschema

from cardfile.metamodel.errors import InvalidDefinition
from cardfile.metamodel.formulas.filters import where_filter
from cardfile.metamodel.records.aggregate import Group
from cardfile.metamodel.records.query import ListQuery

SCHEMA_FILE = Path(__file__).parent / "schemas" / "report.schema.json"
DEFAULTS = {"rows": [], "columns": [], "filter": [], "totals": True, "subtotals": False}


@lru_cache(maxsize=1)
def report_schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def definition_problems(doc) -> list[dict]:
    validator = jsonschema.Draft202012Validator(report_schema())
    problems = []
    for error in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        message = error.message.replace("Additional properties are not allowed", "unknown key(s)")
        problems.append({"path": path, "message": message})
    return problems


def validate_definition(doc) -> dict:
    problems = definition_problems(doc)
    if problems:
        first = problems[0]
        raise InvalidDefinition(f"The report definition is not valid: {first['path']}: {first['message']}",
                                {"problems": problems})
    result = {**DEFAULTS, **doc}
    paths = [g["field"] for g in result["rows"] + result["columns"]]
    seen = set()
    for g in result["rows"] + result["columns"]:
        key = (g["field"], g.get("date"))
        if key in seen:
            raise InvalidDefinition(f"{g['field']} is grouped on twice.", {"field": g["field"], "paths": paths})
        seen.add(key)
    return result


def groups(items: list[dict]) -> list[Group]:
    return [Group(g["field"], g.get("date")) for g in items]


def list_query(doc: dict, registry=None, actor=None) -> ListQuery:
    """The definition's filters (and its ``where`` expression, with ``me`` = the actor)."""
    filters = []
    for f in doc.get("filter") or []:
        value = f.get("value")
        filters.append((f["field"], f["op"], "" if value is None else value))
    where = where_filter(doc["where"], registry, me=actor) if doc.get("where") else None
    return ListQuery(filters=filters, search=doc.get("search") or None, where=where)
