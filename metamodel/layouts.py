"""Card layouts and navigation sections: the metadata the generated pages are drawn from.

A **layout** belongs to one table (kept by table id, so renames do not matter) and is a
document ``{"tabs": [{"title", "sections": [{"title", "columns": n,
"fields": [[api_name, …] per column]}]}]}``. ``resolve()`` reconciles a stored layout with
the live fields: names of fields that no longer exist are dropped, and fields not placed
anywhere are appended to the last section, so a new field always shows on the card. A
table without a stored layout gets ``default_layout()``.

**Sections** group tables in the navigation: a table names its section (``cf_tables.section``);
``cf_sections`` gives the owner's order and the hidden flag. Sections used by tables but not
listed come after the listed ones, by name.

Reading needs an active user and the read right on the table; the layout read names only
the fields the reader may see. Saving needs the design right (``Access.check_design``).
"""

from __future__ import annotations

import copy
import datetime as dt

import jsonschema
from sqlalchemy import delete, insert, select, update

from .access import Access
from .actors import Actor
from .catalog import Catalog
from .errors import InvalidDefinition
from .model import TableDef
from .storage.platform_tables import cf_layouts, cf_sections

MAX_COLUMNS = 4
#: Field types that need the card's full width in the default layout.
WIDE_TYPES = ("lines", "long_text", "image")

LAYOUT_SCHEMA = {
    "type": "object",
    "required": ["tabs"],
    "additionalProperties": False,
    "properties": {"tabs": {
        "type": "array", "minItems": 1, "maxItems": 30,
        "items": {
            "type": "object", "required": ["title", "sections"], "additionalProperties": False,
            "properties": {
                "title": {"type": "string", "minLength": 1, "maxLength": 100},
                "sections": {"type": "array", "maxItems": 50, "items": {
                    "type": "object", "required": ["columns", "fields"], "additionalProperties": False,
                    "properties": {
                        "title": {"type": "string", "maxLength": 100},
                        "columns": {"type": "integer", "minimum": 1, "maximum": MAX_COLUMNS},
                        "fields": {"type": "array", "maxItems": MAX_COLUMNS, "items": {
                            "type": "array", "maxItems": 500,
                            "items": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"}}},
                    }}},
            }}}},
}

SECTIONS_SCHEMA = {
    "type": "array", "maxItems": 200,
    "items": {"type": "object", "required": ["name"], "additionalProperties": False,
              "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 200},
                             "hidden": {"type": "boolean"}}},
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def default_layout(table: TableDef) -> dict:
    """One "General" tab: ordinary fields in two columns, wide fields full width below."""
    narrow = [f.api_name for f in table.fields if f.type not in WIDE_TYPES]
    wide = [f.api_name for f in table.fields if f.type in WIDE_TYPES]
    columns = [narrow[0::2], narrow[1::2]] if len(narrow) > 1 else [narrow]
    sections = [{"title": "", "columns": len(columns), "fields": columns}]
    if wide:
        sections.append({"title": "", "columns": 1, "fields": [wide]})
    return {"tabs": [{"title": "General", "sections": sections}]}


def resolve(layout: dict, table: TableDef) -> dict:
    """The layout with only live fields, each once, and every live field placed."""
    live = {f.api_name for f in table.fields}
    result = copy.deepcopy(layout)
    placed: set[str] = set()
    for tab in result["tabs"]:
        for section in tab["sections"]:
            columns: list[list[str]] = []
            for col in section.get("fields") or []:
                kept = [n for n in col if n in live and n not in placed]
                placed.update(kept)
                columns.append(kept)
            width = section["columns"]
            columns += [[] for _ in range(width - len(columns))]
            for extra in columns[width:]:
                columns[width - 1].extend(extra)
            section["fields"] = columns[:width]
    missing = [f.api_name for f in table.fields if f.api_name not in placed]
    if missing:
        sections = result["tabs"][-1]["sections"]
        if not sections:
            sections.append({"title": "", "columns": 1, "fields": [[]]})
        sections[-1]["fields"][-1].extend(missing)
    return result


def check_layout(layout, table: TableDef) -> dict:
    try:
        jsonschema.validate(layout, LAYOUT_SCHEMA)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "layout"
        raise InvalidDefinition(f"The layout is not valid at {where}: {exc.message}.",
                                {"path": where}) from None
    seen: set[str] = set()
    for tab in layout["tabs"]:
        for section in tab["sections"]:
            if len(section["fields"]) > section["columns"]:
                raise InvalidDefinition(
                    f"Section {section.get('title') or '(untitled)'!r} has {section['columns']} column(s) "
                    f"but fields for {len(section['fields'])}.", {"tab": tab["title"]})
            for name in (n for col in section["fields"] for n in col):
                if table.field(name) is None:
                    raise InvalidDefinition(f"Table {table.label!r} has no field {name!r}.",
                                            {"field": name})
                if name in seen:
                    raise InvalidDefinition(f"Field {name!r} is placed twice.", {"field": name})
                seen.add(name)
    return layout


class LayoutService:
    def __init__(self, engine, catalog: Catalog, access: Access):
        self.engine = engine
        self.catalog = catalog
        self.access = access

    # --- card layouts -------------------------------------------------------------
    def get_layout(self, actor: Actor, table_name: str) -> dict:
        """``{"table", "layout", "stored"}``: the resolved layout (default when none is stored)."""
        self.access.require_active(actor)
        with self.engine.connect() as conn:
            view = self.access.view(actor, None, conn)
            table = view.snap.table(table_name)
            view.check(table, "read")
            stored = conn.execute(select(cf_layouts.c.definition)
                                  .where(cf_layouts.c.table_id == table.id)).scalar_one_or_none()
        table = view.visible_table(table)  # a hidden field is in no one's card who may not read it
        layout = resolve(stored, table) if stored else default_layout(table)
        return {"table": table.api_name, "layout": layout, "stored": stored is not None}

    def save_layout(self, actor: Actor, table_name: str, layout) -> dict:
        self.access.check_design(actor)
        with self.engine.begin() as conn:
            table = self.catalog.current(conn).table(table_name)
            check_layout(layout, table)
            values = dict(definition=layout, updated_by=actor.id, updated_at=utcnow())
            done = conn.execute(update(cf_layouts).where(cf_layouts.c.table_id == table.id).values(**values))
            if done.rowcount == 0:
                conn.execute(insert(cf_layouts).values(table_id=table.id, **values))
        return {"table": table.api_name, "layout": resolve(layout, table), "stored": True}

    def reset_layout(self, actor: Actor, table_name: str) -> dict:
        """Forget the stored layout: the table shows the default again."""
        self.access.check_design(actor)
        with self.engine.begin() as conn:
            table = self.catalog.current(conn).table(table_name)
            conn.execute(delete(cf_layouts).where(cf_layouts.c.table_id == table.id))
        return {"table": table.api_name, "layout": default_layout(table), "stored": False}

    # --- navigation sections ------------------------------------------------------
    def list_sections(self, actor: Actor) -> list[dict]:
        """Every section, ordered: ``{"name", "hidden", "tables": [api_name, …]}``."""
        self.access.require_active(actor)
        with self.engine.connect() as conn:
            snap = self.catalog.current(conn)
            rows = conn.execute(select(cf_sections).order_by(cf_sections.c.position, cf_sections.c.id)).mappings().all()
        tables = sorted((t for t in snap.tables.values() if t.live and not t.is_child),
                        key=lambda t: (t.position, t.id))
        by_name: dict[str, list[str]] = {}
        for t in tables:
            by_name.setdefault(t.section or "", []).append(t.api_name)
        result = [{"name": r["name"], "hidden": bool(r["hidden"]), "tables": by_name.pop(r["name"], [])}
                  for r in rows]
        result += [{"name": name, "hidden": False, "tables": names_}
                   for name, names_ in sorted(by_name.items(), key=lambda kv: (kv[0] == "", kv[0].casefold()))]
        return result

    def save_sections(self, actor: Actor, sections) -> list[dict]:
        """Replace the order and the hidden flags (a table keeps naming its section)."""
        self.access.check_design(actor)
        try:
            jsonschema.validate(sections, SECTIONS_SCHEMA)
        except jsonschema.ValidationError as exc:
            raise InvalidDefinition(f"The sections are not valid: {exc.message}.", {}) from None
        names_ = [s["name"].strip() for s in sections]
        if len(set(n.casefold() for n in names_)) != len(names_) or "" in names_:
            raise InvalidDefinition("Section names must be filled in and different.", {"sections": names_})
        with self.engine.begin() as conn:
            conn.execute(delete(cf_sections))
            for position, (name, s) in enumerate(zip(names_, sections)):
                conn.execute(insert(cf_sections).values(name=name, position=position,
                                                        hidden=bool(s.get("hidden"))))
        return self.list_sections(actor)
