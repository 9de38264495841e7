"""Card layouts, list views and navigation sections in a package.

    layouts.yaml    layouts: {<table>: {tabs: [...]}}            (metamodel/layouts.py)
    views.yaml      views: [{table, name, kind, definition}]     (metamodel/views.py)
    sections.yaml   sections: [{name, hidden}]                   the navigation's order

Each file is checked against ``schemas/<file>.schema.json``; layouts and view definitions are
then checked by the services that keep them, so whatever kinds of view ``views.py`` knows
travel in packages too. A view or layout is written only when the base holds what the
previous package left (or nothing): one edited here is kept and reported.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..layouts import LayoutService
from ..views import ViewService, clean
from .loader import Problem, raise_problems, read_document, schema_problems

FILES = {"layouts": "layouts", "views": "views", "sections": "sections"}
SUFFIXES = (".yaml", ".yml", ".json")
SHARED_KINDS = ("shared", "default")


def digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def load_extras(root: Path, package: str) -> dict:
    """``{"layouts": {...} | None, "views": [...] | None, "sections": [...] | None}``."""
    found: dict = {key: None for key in FILES}
    problems: list[Problem] = []
    for key, schema_name in FILES.items():
        for suffix in SUFFIXES:
            path = Path(root) / f"{key}{suffix}"
            if path.is_file():
                shown = path.name
                document = read_document(path, shown)
                errors = schema_problems(document, schema_name, shown)
                if errors:
                    problems += errors
                else:
                    found[key] = document[key]
                break
    if found["views"]:
        seen = set()
        for i, view in enumerate(found["views"]):
            key = (view["table"], view["name"])
            if key in seen:
                problems.append(Problem("views.yaml", f"$.views[{i}].name",
                                        f"table {view['table']!r} has two views named {view['name']!r}"))
            seen.add(key)
    raise_problems(problems, f"Package {package!r}")
    return found


def extra_problems(extras: dict, tables: dict) -> list[Problem]:
    """Layouts and views name tables of the package or the base, and fields those tables have
    (``tables``: name -> field names, or None for a table of the base, checked when applied)."""
    from ..views import SYSTEM_NAMES

    problems = []
    for name, layout in (extras.get("layouts") or {}).items():
        if name not in tables:
            problems.append(Problem("layouts.yaml", f"$.layouts.{name}", f"there is no table {name!r}"))
            continue
        for t, tab in enumerate(layout["tabs"]):
            for s_, section in enumerate(tab["sections"]):
                for c, column in enumerate(section["fields"]):
                    for i, field in enumerate(column):
                        if tables[name] is not None and field not in tables[name]:
                            problems.append(Problem(
                                "layouts.yaml", f"$.layouts.{name}.tabs[{t}].sections[{s_}].fields[{c}][{i}]",
                                f"table {name!r} has no field {field!r}"))
    for i, view in enumerate(extras.get("views") or []):
        fields = tables.get(view["table"], ())
        if view["table"] not in tables:
            problems.append(Problem("views.yaml", f"$.views[{i}].table", f"there is no table {view['table']!r}"))
            continue
        definition = view["definition"]
        named = [("columns", c) for c in definition.get("columns") or []] + \
            [("sort", s_) for s_ in definition.get("sort") or []] + \
            [("filters", f[0]) for f in definition.get("filters") or [] if isinstance(f, list) and f]
        for key, name in named:
            base = str(name).lstrip("-").split(".")[0]
            if fields is not None and base not in fields and base not in SYSTEM_NAMES:
                problems.append(Problem("views.yaml", f"$.views[{i}].definition.{key}",
                                        f"table {view['table']!r} has no field {base!r}"))
    return problems


# --- reading the base -----------------------------------------------------------------------
def stored_layouts(runtime, actor) -> dict:
    """Stored layouts by table name (tables without one show the default and are left out)."""
    service = LayoutService(runtime.engine, runtime.catalog, runtime.access)
    snap = runtime.schema.snapshot()
    out = {}
    for table in snap.live_tables():
        if table.is_child:
            continue
        got = service.get_layout(actor, table.api_name)
        if got["stored"]:
            out[table.api_name] = got["layout"]
    return out


def shared_views(runtime, actor) -> list[dict]:
    """The shared views and each table's default, in table order then by name."""
    service = ViewService(runtime.engine, runtime.catalog, runtime.access)
    out = []
    for table in runtime.schema.snapshot().live_tables():
        if table.is_child:
            continue
        for view in service.list_views(actor, table.api_name):
            if view["kind"] in SHARED_KINDS:
                out.append({"table": table.api_name, "name": view["name"], "kind": view["kind"],
                            "definition": view["definition"], "id": view["id"]})
    return out


def stored_sections(runtime, actor) -> list[dict] | None:
    from sqlalchemy import select

    from ..storage.platform_tables import cf_sections

    with runtime.engine.connect() as conn:
        rows = conn.execute(select(cf_sections).order_by(cf_sections.c.position, cf_sections.c.id)).mappings().all()
    return [{"name": r["name"], "hidden": bool(r["hidden"])} for r in rows] or None


# --- applying -------------------------------------------------------------------------------
def apply_extras(runtime, actor, extras: dict, previous: dict) -> dict:
    """Write layouts, views and sections; ``previous`` holds the digests the last apply of this
    package left (``layout:<table>``, ``view:<table>/<name>``). Returns counts and what was kept."""
    report = {"layouts": 0, "views": 0, "sections": 0, "kept": []}
    layouts = LayoutService(runtime.engine, runtime.catalog, runtime.access)
    current = stored_layouts(runtime, actor)
    for table, layout in (extras.get("layouts") or {}).items():
        have = current.get(table)
        if have == layout:
            continue
        if have is not None and previous.get(f"layout:{table}") not in (None, digest(have)):
            report["kept"].append(f"layout of {table} (edited here)")
            continue
        layouts.save_layout(actor, table, layout)
        report["layouts"] += 1
    views = ViewService(runtime.engine, runtime.catalog, runtime.access)
    existing = {(v["table"], v["name"]): v for v in shared_views(runtime, actor)}
    for view in extras.get("views") or []:
        have = existing.get((view["table"], view["name"]))
        if have is None:
            views.create_view(actor, view["table"], view["name"], view["definition"], kind=view.get("kind", "shared"))
            report["views"] += 1
            continue
        wanted = clean(view["definition"], runtime.schema.snapshot().table(view["table"]))
        if have["definition"] == wanted and have["kind"] == view.get("kind", "shared"):
            continue
        key = f"view:{view['table']}/{view['name']}"
        if previous.get(key) not in (None, digest(have["definition"])):
            report["kept"].append(f"view {view['table']}/{view['name']} (edited here)")
            continue
        if view.get("kind", "shared") != have["kind"]:
            views.delete_view(actor, view["table"], have["id"])
            views.create_view(actor, view["table"], view["name"], view["definition"], kind=view.get("kind", "shared"))
        else:
            views.update_view(actor, view["table"], have["id"], {"definition": view["definition"]})
        report["views"] += 1
    if extras.get("sections") is not None and extras["sections"] != stored_sections(runtime, actor):
        wanted = [s["name"] for s in extras["sections"]]
        kept = [s for s in stored_sections(runtime, actor) or [] if s["name"] not in wanted]
        layouts.save_sections(actor, [*extras["sections"], *kept])
        report["sections"] = len(extras["sections"])
    return report


def extra_objects(runtime, actor, extras: dict) -> dict:
    """What the package's layouts and views look like in the base once applied, for the history:
    ``layout:<table>`` and ``view:<table>/<name>`` -> digest."""
    layouts = stored_layouts(runtime, actor)
    views = {(v["table"], v["name"]): v for v in shared_views(runtime, actor)}
    out = {f"layout:{t}": digest(layouts.get(t)) for t in extras.get("layouts") or {}}
    for v in extras.get("views") or []:
        have = views.get((v["table"], v["name"]))
        out[f"view:{v['table']}/{v['name']}"] = digest(have["definition"] if have else None)
    return out
