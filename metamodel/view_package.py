"""Saved views in configuration packages: ``views.yaml`` next to ``package.yaml``.

    views:
      - table: events
        name: Events calendar
        definition:
          display: calendar
          calendar: {date: starts_at, color: kind, person: responsible}
      - table: orders
        name: Orders by status
        definition: {display: kanban, kanban: {field: status, fields: [client, date]}}

Each entry becomes a **shared** view (``kind: default`` makes it the table's default list
view instead) owned by nobody in particular: whoever may read the table sees it. A shared
view of that name on that table is left as it is, so edits made in the browser are kept.
Definitions are checked like any saved view (``views.VIEW_SCHEMA`` and the table's fields).
"""

from __future__ import annotations

from pathlib import Path

import jsonschema
from sqlalchemy import select

from .packages.loader import Problem, raise_problems, read_document
from .storage.platform_tables import cf_views
from .views import VIEW_SCHEMA, ViewService

FILE_NAMES = ("views.yaml", "views.yml", "views.json")
SCHEMA = {
    "type": "object", "required": ["views"], "additionalProperties": False,
    "properties": {"views": {"type": "array", "items": {
        "type": "object", "required": ["table", "name", "definition"], "additionalProperties": False,
        "properties": {"table": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"},
                       "name": {"type": "string", "minLength": 1, "maxLength": 200},
                       "kind": {"enum": ["shared", "default"]},
                       "definition": VIEW_SCHEMA}}}},
}


def load_views(root: Path, package_name: str = "package") -> list[dict] | None:
    """The package's views, or None when it has no views file."""
    for name in FILE_NAMES:
        path = Path(root) / name
        if path.is_file():
            document = read_document(path, name)
            validator = jsonschema.Draft202012Validator(SCHEMA)
            problems = [Problem(name, "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}"
                                                     for p in error.absolute_path), error.message)
                        for error in validator.iter_errors(document)]
            raise_problems(problems, f"Package {package_name!r}")
            return document["views"]
    return None


def apply_views(runtime, actor, pkg) -> dict | None:
    """Create the package's shared views that do not exist yet; None when it has none."""
    specs = load_views(pkg.root, pkg.name)
    if specs is None:
        return None
    service = ViewService(runtime.engine, runtime.catalog, runtime.access)
    snap = runtime.schema.snapshot()
    with runtime.engine.connect() as conn:
        existing = {(row.table_id, row.name) for row in conn.execute(
            select(cf_views.c.table_id, cf_views.c.name).where(
                cf_views.c.shared.is_(True) | cf_views.c.is_default.is_(True)))}
    counts = {"created": 0, "kept": 0}
    for spec in specs:
        table = snap.table(spec["table"])
        if (table.id, spec["name"]) in existing:
            counts["kept"] += 1
            continue
        service.create_view(actor, table.api_name, spec["name"], spec["definition"],
                            kind=spec.get("kind") or "shared")
        counts["created"] += 1
    return counts
