"""ReportService: saved pivot reports (``cf_reports``), running them, exporting them.

Who may do what:

* a report is seen by its owner, by everyone when it is shared, and by administrators;
* only its owner or an administrator changes or deletes it;
* creating, running or previewing needs read access to the report's table (the record
  service checks it again, and counts only the rows the user may read); exporting
  also needs the table's export permission.

``cf_reports`` is a platform table, written here with SQLAlchemy Core; records are
only ever read through ``RecordService.aggregate``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, or_, select, update

from cardfile.metamodel.errors import AccessDenied, InvalidDefinition, NotFound
from cardfile.metamodel.ids import as_id
from cardfile.metamodel.storage.platform_tables import cf_reports

from .definition import validate_definition
from .pivot import Pivot, drill_filters, run_pivot

NAME_MAX = 200


class ReportNotFound(NotFound):
    code = "REPORT_NOT_FOUND"

    def __init__(self, report_id):
        super().__init__(f"No report #{report_id}.", {"report": report_id})


def _ts(value):
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def describe(row) -> dict:
    return {"id": row["id"], "name": row["name"], "table": row["table_name"],
            "description": row["description"], "definition": row["definition"],
            "owner": row["owner_id"], "shared": row["shared"], "package": row["package"],
            "created_at": _ts(row["created_at"]), "updated_at": _ts(row["updated_at"])}


class ReportService:
    def __init__(self, runtime, clock=None):
        self.rt = runtime
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))

    # --- reading --------------------------------------------------------------------
    def list(self, actor, table: str | None = None) -> list[dict]:
        actor = self.rt.access.require_active(actor)
        stmt = select(cf_reports).order_by(cf_reports.c.name, cf_reports.c.id)
        if not actor.is_admin:
            stmt = stmt.where(or_(cf_reports.c.owner_id == actor.id, cf_reports.c.shared.is_(True)))
        if table is not None:
            stmt = stmt.where(cf_reports.c.table_name == table)
        with self.rt.engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        view = self.rt.access.view(actor)
        return [describe(row) for row in rows if self._usable(view, row)]

    def _usable(self, view, row) -> bool:
        """Whether the reader may see this saved report at all: its table is readable and every
        field it names (groupings, values, filters, ``where``) is one they may read. A report
        of others naming a hidden field is not shown: its definition would reveal the name."""
        try:
            table = view.snap.table(row["table_name"])
            view.check(table, "read")
        except (AccessDenied, NotFound):
            return False
        if view.admin or row["owner_id"] == view.actor.id:
            return True
        seen = view.snapshot()
        doc = row["definition"] or {}
        paths = [g.get("field") for g in (doc.get("rows") or []) + (doc.get("columns") or [])]
        paths += [v.get("field") for v in doc.get("values") or []] + [v.get("weight") for v in doc.get("values") or []]
        paths += [f.get("field") for f in doc.get("filter") or []]
        if not all(_readable_path(seen, seen.tables[table.id], p) for p in paths if p and p != "*"):
            return False
        if doc.get("where"):
            from cardfile.metamodel.formulas.filters import check_expression
            return check_expression(seen, self.rt.registry, seen.tables[table.id], doc["where"])["ok"]
        return True

    def get(self, actor, report_id) -> dict:
        return describe(self._row(actor, report_id))

    # --- writing --------------------------------------------------------------------
    def create(self, actor, data: dict) -> dict:
        actor = self.rt.access.require_active(actor)
        name, table, definition = self._checked(actor, data, None)
        now = self.clock()
        with self.rt.engine.begin() as conn:
            report_id = conn.execute(insert(cf_reports).values(
                name=name, table_name=table, definition=definition, description=data.get("description"),
                owner_id=actor.id, shared=bool(data.get("shared", False)), package=data.get("package"),
                created_at=now, updated_at=now).returning(cf_reports.c.id)).scalar_one()
        return self.get(actor, report_id)

    def update(self, actor, report_id, changes: dict) -> dict:
        row = self._row(actor, report_id, write=True)
        unknown = set(changes) - {"name", "table", "definition", "description", "shared"}
        if unknown:
            raise InvalidDefinition(f"Unknown report key(s): {', '.join(sorted(unknown))}.", {"keys": sorted(unknown)})
        merged = {"name": row["name"], "table": row["table_name"], "definition": row["definition"], **changes}
        name, table, definition = self._checked(actor, merged, row["id"])
        values = dict(name=name, table_name=table, definition=definition, updated_at=self.clock())
        if "description" in changes:
            values["description"] = changes["description"]
        if "shared" in changes:
            values["shared"] = bool(changes["shared"])
        with self.rt.engine.begin() as conn:
            conn.execute(update(cf_reports).where(cf_reports.c.id == row["id"]).values(**values))
        return self.get(actor, row["id"])

    def delete(self, actor, report_id) -> dict:
        row = self._row(actor, report_id, write=True)
        with self.rt.engine.begin() as conn:
            conn.execute(delete(cf_reports).where(cf_reports.c.id == row["id"]))
        return {"id": row["id"], "deleted": True}

    def apply_package(self, actor, package: str, reports: list[dict]) -> dict:
        """Install a configuration package's reports (``reports.yaml``), idempotently.

        A report is known by its package and name: a new one is created (owned by ``actor``,
        shared unless the package says otherwise), a changed one is updated, an unchanged one
        is left alone. Reports of the package that are no longer listed are kept, like tables.
        """
        actor = self.rt.access.require_active(actor)
        if not actor.is_admin:
            raise AccessDenied("Only an administrator installs a package's reports.", {"package": package})
        with self.rt.engine.connect() as conn:
            existing = {row["name"]: row for row in conn.execute(
                select(cf_reports).where(cf_reports.c.package == package)).mappings()}
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        for item in reports:
            definition = item["definition"]
            if item.get("translations"):  # names in other languages travel with the definition
                definition = {**definition, "translations": item["translations"]}
            data = {"name": item["name"], "table": item["table"], "definition": definition,
                    "description": item.get("description"), "shared": item.get("shared", True)}
            row = existing.get(item["name"])
            if row is None:
                self.create(actor, {**data, "package": package})
                counts["created"] += 1
                continue
            stored = {"name": row["name"], "table": row["table_name"], "definition": row["definition"],
                      "description": row["description"], "shared": row["shared"]}
            if stored == {**data, "definition": validate_definition(data["definition"])}:
                counts["unchanged"] += 1
            else:
                self.update(actor, row["id"], data)
                counts["updated"] += 1
        return counts

    # --- running --------------------------------------------------------------------
    def run(self, actor, report_id) -> Pivot:
        row = self._row(actor, report_id)
        return run_pivot(self.rt.records, actor, row["table_name"], row["definition"])

    def preview(self, actor, table: str, definition: dict) -> Pivot:
        """Run an unsaved definition (the designer's live preview)."""
        return run_pivot(self.rt.records, actor, table, definition)

    def check_export(self, actor, table: str) -> None:
        self.rt.access.check_table(actor, self.rt.schema.snapshot().table(table), "export")

    def drill(self, actor, table: str, definition: dict, row_keys: list, column_keys: list) -> dict:
        """The records list filter behind a cell: ``{"table", "filter": ["field:op:value", …]}``."""
        doc = validate_definition(definition)
        snap = self.rt.schema.snapshot()
        t = snap.table(table)
        self.rt.access.check_table(actor, t, "read")
        if len(row_keys) > len(doc["rows"]) or len(column_keys) > len(doc["columns"]):
            raise InvalidDefinition("More keys than the report has row or column groupings.",
                                    {"rows": len(doc["rows"]), "columns": len(doc["columns"])})
        types = {}
        for g in doc["rows"] + doc["columns"]:
            f = _path_field(snap, t, g["field"])
            if f is not None:
                ftype = self.rt.registry.get(f.type)
                types[g["field"]] = ftype.delegate(f)[1].type if hasattr(ftype, "delegate") else f.type
        return {"table": table, "filter": drill_filters(doc, row_keys, column_keys, types)}

    # --- internals ------------------------------------------------------------------
    def _row(self, actor, report_id, write: bool = False):
        actor = self.rt.access.require_active(actor)
        key = as_id(report_id)
        if key is None:
            raise ReportNotFound(report_id)
        with self.rt.engine.connect() as conn:
            row = conn.execute(select(cf_reports).where(cf_reports.c.id == key)).mappings().first()
        if row is None:
            raise ReportNotFound(report_id)
        mine = row["owner_id"] == actor.id or actor.is_admin
        if not mine and not row["shared"]:
            raise ReportNotFound(report_id)
        if not mine and not self._usable(self.rt.access.view(actor), row):
            raise ReportNotFound(report_id)  # its table or a field it names is out of sight
        if write and not mine:
            raise AccessDenied("Only the report's owner or an administrator may change it.", {"report": key})
        return row

    def _checked(self, actor, data: dict, report_id) -> tuple[str, str, dict]:
        name = str(data.get("name") or "").strip()
        if not name or len(name) > NAME_MAX:
            raise InvalidDefinition(f"A report needs a name of 1 to {NAME_MAX} characters.", {"field": "name"})
        table = data.get("table")
        if not isinstance(table, str):
            raise InvalidDefinition("A report needs the API name of its table.", {"field": "table"})
        definition = validate_definition(data.get("definition"))
        run_pivot(self.rt.records, actor, table, {**definition, "limit": 1})  # paths, types, read access
        return name, table, definition


def _path_field(snap, table, path: str):
    hop, _, name = path.partition(".")
    if not name:
        return table.field(hop)
    if hop == "parent" and table.is_child:
        return snap.parent_of(table)[0].field(name)
    link = table.field(hop)
    if link is None or link.type != "link":
        return None
    return snap.table_by_id(int(link.options["target_id"])).field(name)


def _readable_path(seen, table, path: str) -> bool:
    """``field``, ``link.field`` or ``parent.field`` resolves among the reader's fields."""
    first, _, rest = str(path).partition(".")
    if first == "parent" and table.is_child:
        target = seen.parent_of(table)[0]
    else:
        f = table.field(first)
        if f is None:
            return False
        if not rest:
            return True
        if f.type != "link":
            return False
        target = seen.tables.get(int(f.options["target_id"]))
    return target is not None and (not rest or target.field(rest.split(".")[0]) is not None)
