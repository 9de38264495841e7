"""Saved list views: which columns, in what order and width, which filters and sort.

A view belongs to a table (by id). Three kinds, one table ``cf_views``:

* **personal** — ``owner_id`` set, ``shared`` false: only its owner sees it;
* **shared** — ``shared`` true: everyone who may read the table sees it;
* **the table's default** — ``is_default`` true, no owner: what the list shows before a
  view is chosen (set in the list-view designer).

The definition is ``{"columns": [api_name…], "widths": {api_name: px}, "filters":
[[field, operator, value]…], "sort": ["-field"…], "search": str, "where": str}``; field
names that no longer exist are dropped when a view is read (``clean``). A view is shown as
a list unless its ``display`` says ``calendar`` or ``kanban``; their settings sit beside it
under that name (``boards.py``). Anyone may keep
personal views; shared views and the default need the design right. Only a view's owner
or an administrator changes or deletes it.
"""

from __future__ import annotations

import datetime as dt

import jsonschema
from sqlalchemy import and_, delete, insert, or_, select, update

from .access import Access
from .actors import Actor
from .boards import CALENDAR_SCHEMA, DISPLAYS, KANBAN_SCHEMA, check_board
from .catalog import Catalog
from .errors import AccessDenied, InvalidDefinition, NotFound
from .model import TableDef
from .storage.platform_tables import cf_views

NAME = {"type": "string", "pattern": "^-?[a-z][a-z0-9_]{0,62}$"}
VIEW_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "columns": {"type": "array", "maxItems": 200, "items": NAME},
        "widths": {"type": "object", "maxProperties": 200,
                   "additionalProperties": {"type": "integer", "minimum": 40, "maximum": 2000}},
        "filters": {"type": "array", "maxItems": 50, "items": {
            "type": "array", "minItems": 2, "maxItems": 3,
            "items": {"type": "string", "maxLength": 1000}}},
        "sort": {"type": "array", "maxItems": 10, "items": NAME},
        "search": {"type": "string", "maxLength": 200},
        "where": {"type": "string", "maxLength": 10000},
        "per_page": {"type": "integer", "minimum": 1, "maximum": 500},
        "display": {"enum": list(DISPLAYS)},
        "calendar": CALENDAR_SCHEMA,
        "kanban": KANBAN_SCHEMA,
    },
}
SYSTEM_NAMES = {"id", "created_at", "updated_at", "version", "owner"}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def clean(definition: dict, table: TableDef) -> dict:
    """The definition with references to fields that are gone left out."""
    def known(name: str) -> bool:
        name = name.lstrip("-")
        return name in SYSTEM_NAMES or table.field(name.split(".")[0]) is not None

    out = dict(definition)
    out["columns"] = [c for c in definition.get("columns") or [] if known(c)]
    out["widths"] = {k: v for k, v in (definition.get("widths") or {}).items() if known(k)}
    out["filters"] = [list(f) for f in definition.get("filters") or [] if known(f[0])]
    out["sort"] = [s for s in definition.get("sort") or [] if known(s)]
    return out


def check_definition(definition, table: TableDef) -> dict:
    try:
        jsonschema.validate(definition, VIEW_SCHEMA)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "view"
        raise InvalidDefinition(f"The view is not valid at {where}: {exc.message}.", {"path": where}) from None
    for name in [*definition.get("columns", []), *definition.get("sort", []),
                 *(f[0] for f in definition.get("filters", []))]:
        base = name.lstrip("-").split(".")[0]
        if base not in SYSTEM_NAMES and table.field(base) is None:
            raise InvalidDefinition(f"Table {table.label!r} has no field {base!r}.", {"field": base})
    check_board(definition, table)
    return definition


def _out(row, table: TableDef) -> dict:
    kind = "default" if row["is_default"] else "shared" if row["shared"] else "personal"
    return {"id": row["id"], "table": table.api_name, "name": row["name"], "kind": kind,
            "owner": row["owner_id"], "definition": clean(row["definition"], table),
            "updated_at": row["updated_at"].isoformat().replace("+00:00", "Z")}


class ViewService:
    def __init__(self, engine, catalog: Catalog, access: Access):
        self.engine = engine
        self.catalog = catalog
        self.access = access

    def list_views(self, actor: Actor, table_name: str) -> list[dict]:
        """The table's default view first, then shared and the actor's personal views by name."""
        with self.engine.connect() as conn:
            table = self._readable(conn, actor, table_name)
            rows = conn.execute(select(cf_views).where(
                cf_views.c.table_id == table.id,
                or_(cf_views.c.shared.is_(True), cf_views.c.is_default.is_(True),
                    cf_views.c.owner_id == actor.id))).mappings().all()
        rows = sorted(rows, key=lambda r: (not r["is_default"], r["name"].casefold(), r["id"]))
        return [_out(r, table) for r in rows]

    def get_view(self, actor: Actor, table_name: str, view_id: int) -> dict:
        with self.engine.connect() as conn:
            table = self._readable(conn, actor, table_name)
            return _out(self._visible_row(conn, actor, table, view_id), table)

    def default_view(self, actor: Actor, table_name: str) -> dict | None:
        return next((v for v in self.list_views(actor, table_name) if v["kind"] == "default"), None)

    def create_view(self, actor: Actor, table_name: str, name: str, definition: dict,
                    kind: str = "personal") -> dict:
        with self.engine.begin() as conn:
            table = self._readable(conn, actor, table_name)
            name = self._name(name)
            self._check_kind(actor, kind)
            check_definition(definition, table)
            now = utcnow()
            if kind == "default":  # one default per table: replace it
                conn.execute(delete(cf_views).where(cf_views.c.table_id == table.id,
                                                    cf_views.c.is_default.is_(True)))
            view_id = conn.execute(insert(cf_views).values(
                table_id=table.id, name=name, owner_id=None if kind == "default" else actor.id,
                shared=kind == "shared", is_default=kind == "default", definition=definition,
                created_at=now, updated_at=now).returning(cf_views.c.id)).scalar_one()
            row = conn.execute(select(cf_views).where(cf_views.c.id == view_id)).mappings().one()
            return _out(row, table)

    def update_view(self, actor: Actor, table_name: str, view_id: int, changes: dict) -> dict:
        unknown = set(changes) - {"name", "definition", "kind"}
        if unknown:
            raise InvalidDefinition(f"Unknown view properties: {', '.join(sorted(unknown))}.",
                                    {"unknown": sorted(unknown)})
        with self.engine.begin() as conn:
            table = self._readable(conn, actor, table_name)
            row = self._changeable_row(conn, actor, table, view_id)
            values: dict = {"updated_at": utcnow()}
            if "name" in changes:
                values["name"] = self._name(changes["name"])
            if "definition" in changes:
                values["definition"] = check_definition(changes["definition"], table)
            if "kind" in changes and not row["is_default"]:
                self._check_kind(actor, changes["kind"])
                if changes["kind"] == "default":
                    raise InvalidDefinition("Create the default view with kind 'default'.", {"kind": "default"})
                values["shared"] = changes["kind"] == "shared"
            conn.execute(update(cf_views).where(cf_views.c.id == row["id"]).values(**values))
            return _out(conn.execute(select(cf_views).where(cf_views.c.id == row["id"])).mappings().one(), table)

    def delete_view(self, actor: Actor, table_name: str, view_id: int) -> dict:
        with self.engine.begin() as conn:
            table = self._readable(conn, actor, table_name)
            row = self._changeable_row(conn, actor, table, view_id)
            conn.execute(delete(cf_views).where(cf_views.c.id == row["id"]))
            return {"id": row["id"], "deleted": True}

    # --- internals ----------------------------------------------------------------
    def _readable(self, conn, actor: Actor, table_name: str) -> TableDef:
        self.access.require_active(actor)
        table = self.catalog.current(conn).table(table_name)
        self.access.check_table(actor, table, "read")
        return table

    def _check_kind(self, actor: Actor, kind: str) -> None:
        if kind not in ("personal", "shared", "default"):
            raise InvalidDefinition("A view's kind is personal, shared or default.", {"kind": kind})
        if kind != "personal" and not actor.is_admin:
            raise AccessDenied("Only administrators share views or set a table's default view.",
                               {"action": "design"})

    @staticmethod
    def _name(name) -> str:
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > 200:
            raise InvalidDefinition("A view needs a name of 1 to 200 characters.", {"field": "name"})
        return name.strip()

    def _visible_row(self, conn, actor: Actor, table: TableDef, view_id: int):
        row = conn.execute(select(cf_views).where(and_(cf_views.c.id == view_id,
                                                       cf_views.c.table_id == table.id))).mappings().first()
        if row is None or not (row["shared"] or row["is_default"] or row["owner_id"] == actor.id):
            raise NotFound(f"Table {table.api_name!r} has no view {view_id}.", {"view": view_id})
        return row

    def _changeable_row(self, conn, actor: Actor, table: TableDef, view_id: int):
        row = self._visible_row(conn, actor, table, view_id)
        if row["owner_id"] != actor.id and not actor.is_admin:
            raise AccessDenied("Only the view's owner or an administrator may change it.", {"view": view_id})
        return row
