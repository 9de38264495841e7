"""Values -> JSON-ready records, with links, users and line items resolved in batches."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..catalog import Snapshot
from ..fieldtypes.registry import FieldTypeRegistry
from ..model import TableDef
from ..storage.platform_tables import cf_users

SYSTEM_OUT = ("id", "version", "created_at", "created_by", "updated_at", "updated_by", "owner")


def _ts(value):
    return None if value is None else value.isoformat().replace("+00:00", "Z")


class RecordReader:
    def __init__(self, registry: FieldTypeRegistry, snap: Snapshot, readable=None, scope=None):
        """``readable(table) -> fields`` limits what is written out and ``scope(table, sql)``
        which linked records may show their display value (the access rules)."""
        self.registry = registry
        self.snap = snap
        self.readable = readable
        self.scope = scope

    def fields(self, table: TableDef) -> list:
        return table.fields if self.readable is None else self.readable(table)

    def values(self, table: TableDef, row) -> dict[str, Any]:
        """Python values of a row's live fields (line items not included)."""
        return {f.api_name: self.registry.get(f.type).from_db(row, f)
                for f in table.fields if self.registry.get(f.type).has_column}

    def to_json(self, conn, table: TableDef, rows: list, with_lines: bool = True) -> list[dict]:
        records = []
        columns = []  # looked up once, not per row
        for f in self.fields(table):
            ftype = self.registry.get(f.type)
            if ftype.has_column:
                from_db, to_json = ftype.json_reader(f)
                columns.append((f.api_name, to_json, from_db, f))
        child = table.is_child
        for row in rows:
            rec = {"id": row["id"], "version": row["version"],
                   "created_at": _ts(row["created_at"]), "updated_at": _ts(row["updated_at"]),
                   "created_by": row["created_by"], "updated_by": row["updated_by"], "owner": row["owner"]}
            if row.get("deleted_at") is not None:
                rec["deleted_at"] = _ts(row["deleted_at"])
            if child:
                rec["position"] = row["position"]
            for name, to_json, from_db, f in columns:
                rec[name] = to_json(from_db(row, f), f)
            records.append(rec)
        self._resolve_links(conn, table, records)
        self._resolve_users(conn, table, records)
        if with_lines:
            self._attach_lines(conn, table, records)
        return records

    def display_values(self, conn, target: TableDef, ids: set[int]) -> dict[int, str]:
        if not ids:
            return {}
        sql = self.snap.sql_table(target)
        display = target.display_field
        if display is not None and display not in self.fields(target):
            display = None  # a hidden display field (or an unreadable table) shows only the id
        ftype = self.registry.get(display.type) if display else None
        cols = [sql.c.id] + ([sql.c[c.name] for c in ftype.columns(display)] if ftype and ftype.has_column else [])
        stmt = select(*cols).where(sql.c.id.in_(sorted(ids)))
        reach = self.scope(target, sql) if self.scope is not None else None
        if reach is not None:  # a linked record outside the reader's rows shows only its id
            stmt = stmt.where(reach)
        result = {}
        for row in conn.execute(stmt).mappings():
            text = ftype.display(ftype.from_db(row, display), display) if ftype and ftype.has_column else ""
            result[row["id"]] = text or f"#{row['id']}"
        return result

    def resolve_changes(self, conn, table: TableDef, entries: list[dict]) -> list[dict]:
        """Audit entries with the ids in their link and user changes shown as records are:
        ``{"id", "display"}`` (a linked record the reader may not see shows only its id)."""
        links = {f.api_name: f for f in table.fields if f.type in ("link", "user")}
        pairs = [(name, pair) for e in entries for name, pair in (e.get("changes") or {}).items()
                 if name in links and isinstance(pair, list)]
        if not pairs:
            return entries
        shown: dict[str, dict] = {}
        for name, f in links.items():
            ids = {v for n, pair in pairs if n == name for v in pair if isinstance(v, int) and not isinstance(v, bool)}
            if not ids:
                continue
            if f.type == "user":
                rows = conn.execute(select(cf_users.c.id, cf_users.c.username, cf_users.c.name)
                                    .where(cf_users.c.id.in_(sorted(ids)))).mappings()
                shown[name] = {row["id"]: row["name"] or row["username"] for row in rows}
            else:
                target = self.snap.tables.get(int(f.options["target_id"]))
                shown[name] = self.display_values(conn, target, ids) if target else {}

        def one(name, value):
            if not isinstance(value, int) or isinstance(value, bool):
                return value
            return {"id": value, "display": shown.get(name, {}).get(value, f"#{value}")}

        out = []
        for e in entries:
            changes = {name: [one(name, v) for v in pair] if name in links and isinstance(pair, list) else pair
                       for name, pair in (e.get("changes") or {}).items()}
            out.append({**e, "changes": changes})
        return out

    def _resolve_links(self, conn, table: TableDef, records: list[dict]) -> None:
        for f in table.fields:
            if f.type != "link":
                continue
            ids = {r[f.api_name] for r in records if r.get(f.api_name) is not None}
            target = self.snap.tables.get(int(f.options["target_id"]))
            shown = self.display_values(conn, target, ids) if target else {}
            for r in records:
                if r.get(f.api_name) is not None:
                    r[f.api_name] = {"id": r[f.api_name], "display": shown.get(r[f.api_name], f"#{r[f.api_name]}")}

    def _resolve_users(self, conn, table: TableDef, records: list[dict]) -> None:
        user_fields = [f.api_name for f in table.fields if f.type == "user"]
        ids = {r[k] for r in records for k in user_fields if r.get(k) is not None}
        if not ids:
            return
        rows = conn.execute(select(cf_users.c.id, cf_users.c.username, cf_users.c.name)
                            .where(cf_users.c.id.in_(sorted(ids)))).mappings()
        shown = {row["id"]: row["name"] or row["username"] for row in rows}
        for r in records:
            for k in user_fields:
                if r.get(k) is not None:
                    r[k] = {"id": r[k], "display": shown.get(r[k], f"#{r[k]}")}

    def _attach_lines(self, conn, table: TableDef, records: list[dict]) -> None:
        ids = [r["id"] for r in records]
        for f in self.fields(table):
            if f.type != "lines":
                continue
            child = self.snap.child_table(f)
            sql = self.snap.sql_table(child)
            rows = conn.execute(select(sql).where(sql.c.parent_id.in_(ids), sql.c.deleted_at.is_(None))
                                .order_by(sql.c.parent_id, sql.c.position, sql.c.id)).mappings().all()
            lines = self.to_json(conn, child, rows, with_lines=False)
            by_parent: dict[int, list] = {}
            for row, line in zip(rows, lines):
                line.pop("owner", None)
                by_parent.setdefault(row["parent_id"], []).append(line)
            for r in records:
                r[f.api_name] = by_parent.get(r["id"], [])
