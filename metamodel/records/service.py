"""RecordService: the one gate for records. See the package docstring for the map."""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from sqlalchemy import and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..access import Access
from ..actors import Actor
from ..catalog import Catalog, Snapshot
from ..errors import BadQuery, RecordNotFound, StaleVersion, ValidationFailed
from ..files import attachable, mark_attached
from ..fieldtypes.registry import FieldTypeRegistry
from ..model import TableDef
from ..storage import names
from ..storage.engine import bulk_cache, reading
from ..storage.platform_tables import cf_users
from . import aggregate, audit, ownership, batch, counters, preview, purge, stream
from ..formulas import Computed
from .bulk_create import BulkCreate
from .fill import fill_from_links
from .output import RecordReader
from .query import ListQuery, build_where, order_by, page_bounds
from .side_count import SideCounter
from .validate import parse_input

BULK_BATCH = 2000


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class RecordService:
    def __init__(self, engine, catalog: Catalog, registry: FieldTypeRegistry, access: Access,
                 clock=utcnow):
        self.engine = engine
        self.catalog = catalog
        self.registry = registry
        self.access = access
        self.clock = clock
        self.computed = Computed(registry)  # defaults, computed fields, rules
        self.side_count = SideCounter(engine)  # a list's total beside its page

    # --- reading --------------------------------------------------------------------
    def get(self, actor: Actor, table_name: str, record_id: int, trashed: bool = False,
            action: str = "read") -> dict:
        """One record's readable fields; ``action="print"`` also needs the print right (and
        the record within its row scope), checked here like read."""
        with reading(self.engine) as conn, conn.begin():
            snap, table = self._table(conn, table_name)
            view = self.access.view(actor, snap, conn)
            view.check(table, "read")
            sql = snap.sql_table(table)
            scope = view.where(table, sql)
            if action != "read":
                view.check(table, action)
                scope += view.where(table, sql, action)
            if not trashed:  # a line of a record in the trash is gone with it
                scope.append(snap.live(table, sql))
            row = conn.execute(select(sql).where(sql.c.id == _as_id(record_id, table), *scope)).mappings().first()
            if row is None or (row["deleted_at"] is not None) != trashed:
                raise RecordNotFound(table.api_name, record_id)
            return RecordReader(self.registry, snap, view.readable, view.scope).to_json(conn, table, [row])[0]

    def list(self, actor: Actor, table_name: str, q: ListQuery | None = None) -> dict:
        q = q or ListQuery()
        with reading(self.engine) as conn, conn.begin():
            snap, table = self._table(conn, table_name)
            view = self.access.view(actor, snap, conn)
            view.check(table, "read")
            sql = snap.sql_table(table)
            seen = view.snapshot()  # filters, search, sort and where= see only readable fields
            where = build_where(self.registry, seen, seen.tables[table.id], sql, q,
                                scope=view.scope) + view.where(table, sql)
            offset, limit = page_bounds(q)
            stmt = order_by(self.registry, seen, seen.tables[table.id], sql, q.sort,
                            select(sql).where(and_(*where)), view.scope)
            total = self.side_count.start(sql, where)
            rows = conn.execute(stmt.offset(offset).limit(limit)).mappings().all()
            records = RecordReader(self.registry, snap, view.readable, view.scope).to_json(conn, table, rows)
            return {"records": records, "total": total(conn), "page": q.page, "per_page": limit}

    def history(self, actor: Actor, table_name: str, record_id: int) -> list[dict]:
        with self.engine.connect().execution_options(cf_readonly=True) as conn, conn.begin():
            snap, table = self._table(conn, table_name)
            view = self.access.view(actor, snap, conn)
            view.check(table, "read")
            row = self._existing(conn, snap, table, record_id, any_state=True)
            view.require_reach(conn, table, row["id"], "read")
            entries = [self._name_changes(table, e, view) for e in audit.history(conn, table.id, row["id"])]
            reader = RecordReader(self.registry, snap, view.readable, view.scope)
            return reader.resolve_changes(conn, table, entries)  # links and users by name

    # --- writing --------------------------------------------------------------------
    def create(self, actor: Actor, table_name: str, data: dict) -> dict:
        with self.engine.begin() as conn:
            snap, table = self._table(conn, table_name)
            view = self.access.view(actor, snap, conn)
            view.check(table, "create")
            view.check_values(table, data, "create")
            record_id = self._insert(conn, snap, table, actor, data)
            self.computed.after_create(conn, snap, table, record_id, actor)
            view.require_created_in_scope(conn, table, [record_id], "create")
            return self._read_back(conn, snap, table, record_id, view)

    def update(self, actor: Actor, table_name: str, record_id: int, data: dict,
               version: int | None = None) -> dict:
        if version is None and isinstance(data, dict):
            version = data.get("version")
        if version is None:
            raise BadQuery("An update needs the record's version (optimistic locking).", {"field": "version"})
        with self.engine.begin() as conn:
            snap, table = self._table(conn, table_name)
            view = self.access.view(actor, snap, conn)
            view.check(table, "update")
            row = self._existing(conn, snap, table, record_id)
            view.require_reach(conn, table, row["id"], "update")
            view.check_values(table, data, "update")
            reader = RecordReader(self.registry, snap)
            current = reader.values(table, row)
            values, errors = parse_input(self.registry, table, data, partial=True, current=current)
            fill_from_links(conn, snap, self.registry, view, table, data, values, errors, current)
            lines_in = {k: v for k, v in values.items() if table.field(k).type == "lines"}
            for k in lines_in:
                values.pop(k)
            self._check_refs(conn, snap, table, values, errors, actor, exclude_id=row["id"], current=current)
            if errors:
                raise ValidationFailed(errors)
            self._check_version(conn, snap, table, row, version, view)
            changes = self._diff(table, current, values)
            now = self.clock()
            db_values = self._to_db(table, values)
            if "owner" in data and actor.is_admin:
                owner = data["owner"]
                if isinstance(owner, bool) or not isinstance(owner, int) or conn.execute(
                        select(cf_users.c.id).where(cf_users.c.id == owner)).first() is None:
                    raise ValidationFailed({"owner": [f"expected the id of a user, got {owner!r}"]})
                db_values["owner"] = owner
            sql = snap.sql_table(table)
            result = conn.execute(update(sql).where(sql.c.id == row["id"], sql.c.version == int(version))
                                  .values(**db_values, version=sql.c.version + 1, updated_at=now,
                                          updated_by=actor.id))
            if result.rowcount != 1:
                self._check_version(conn, snap, table, self._existing(conn, snap, table, record_id), version, view)
            for name, lines in lines_in.items():
                changes.update(self._write_lines(conn, snap, table, table.field(name), row["id"], lines, actor, now))
            self.computed.after_update(conn, snap, table, row, changes, actor)
            audit.record(conn, table.id, row["id"], "update", actor.id, changes, int(version) + 1, now)
            view.require_created_in_scope(conn, table, [row["id"]], "update")
            return self._read_back(conn, snap, table, row["id"], view)

    def delete(self, actor: Actor, table_name: str, record_id: int, version: int | None = None) -> dict:
        return self._set_trashed(actor, table_name, record_id, True, version)

    def restore(self, actor: Actor, table_name: str, record_id: int) -> dict:
        return self._set_trashed(actor, table_name, record_id, False, None)

    def bulk_create(self, actor: Actor, table_name: str, rows: Iterable[dict],
                    batch_size: int = BULK_BATCH) -> dict:
        """Validate and insert many records in one transaction: all or nothing.

        Errors are collected for every row (``details.fields``: "row N.field" -> messages).
        Line items and counters are not set through this path's input; counters are filled.
        """
        now = self.clock()
        with self.engine.begin() as conn, bulk_cache(conn):
            snap, table = self._table(conn, table_name)
            view = self.access.view(actor, snap, conn)
            view.check(table, "create")
            return {"created": BulkCreate(self, conn, snap, table, view, now).run(rows, batch_size)}

    # --- aggregates, streams and imports (aggregate.py, stream.py, batch.py) -----------
    def aggregate(self, actor: Actor, table_name: str, spec: "aggregate.AggregateSpec") -> "aggregate.AggregateResult":
        """One GROUP BY over the rows ``actor`` may read (pivot reports)."""
        return aggregate.aggregate(self, actor, table_name, spec)

    def iter_rows(self, actor: Actor, table_name: str, q: ListQuery | None = None,
                  batch: int = stream.DEFAULT_BATCH, action: str = "read") -> "stream.RowStream":
        """Readable fields of every matching row, in batches, in constant memory (exports)."""
        return stream.open_stream(self, actor, table_name, q or ListQuery(), batch, action)

    def lookup(self, actor: Actor, table_name: str, field_name: str | None, texts: list) -> dict:
        """Folded text -> ids of records whose key field (default: display field) matches."""
        return stream.lookup(self, actor, table_name, field_name, texts)

    def reassign_owner(self, actor: Actor, from_user: str, to_user: str, tables: list[str] | None = None,
                       filters: list | None = None, field: str | None = None) -> dict:
        """Move the records of one user to another (their owner, or the user ``field`` of one
        table) in one transaction, audited (administrators)."""
        return ownership.reassign_owner(self, actor, from_user, to_user, tables, filters, field)

    def write_many(self, actor: Actor, table_name: str, rows, **options) -> "batch.WriteReport":
        """Creates and updates all together or not at all, journaled for revert (imports)."""
        return batch.write_many(self, actor, table_name, rows, **options)

    def get_import(self, actor: Actor, import_id: int) -> dict:
        return batch.get_import(self, actor, import_id)

    def revert_import(self, actor: Actor, import_id: int, force: bool = False) -> dict:
        return batch.revert_import(self, actor, import_id, force=force)

    # --- emptying the trash (purge.py) ----------------------------------------------------
    def purge(self, actor: Actor, table_name: str, record_id: int | None = None,
              before: dt.datetime | None = None) -> dict:
        """Delete for good one trashed record, or the table's trash (what was trashed before
        ``before``, or all of it), with line items; needs the ``purge`` permission."""
        return purge.purge(self, actor, table_name, record_id, before)

    def purge_expired(self, days: int, now: dt.datetime | None = None) -> dict:
        """The scheduled purge: records trashed more than ``days`` days ago, in every table."""
        return purge.purge_expired(self, days, now)

    def preview(self, actor: Actor, table_name: str, data: dict, record_id: int | None = None) -> dict:
        """What saving ``data`` (a new record, or changes to ``record_id``) would compute:
        defaults, formula fields, visibility, problems and broken rules; nothing is written."""
        return preview.preview(self, actor, table_name, data, record_id)

    # --- internals ------------------------------------------------------------------
    def _table(self, conn, name: str) -> tuple[Snapshot, TableDef]:
        snap = self.catalog.current(conn)
        return snap, snap.table(name)

    def _existing(self, conn, snap: Snapshot, table: TableDef, record_id, any_state: bool = False):
        sql = snap.sql_table(table)
        live = [] if any_state or not table.is_child else [snap.live(table, sql)]
        row = conn.execute(select(sql).where(sql.c.id == _as_id(record_id, table), *live)).mappings().first()
        if row is None or (row["deleted_at"] is not None and not any_state):
            raise RecordNotFound(table.api_name, record_id)
        return row

    def _read_back(self, conn, snap, table, record_id, view) -> dict:
        sql = snap.sql_table(table)
        row = conn.execute(select(sql).where(sql.c.id == record_id)).mappings().one()
        return RecordReader(self.registry, snap, view.readable, view.scope).to_json(conn, table, [row])[0]

    def _insert(self, conn, snap: Snapshot, table: TableDef, actor: Actor, data: dict,
                parent_id: int | None = None, position: int | None = None) -> int:
        view = self.access.view(actor, snap, conn)
        values, errors = parse_input(self.registry, table, data, partial=False, exempt=view.unrequired(table))
        lines_in = {k: values.pop(k) for k in [k for k in values if table.field(k).type == "lines"]}
        fill_from_links(conn, snap, self.registry, view, table, data, values, errors)
        self.computed.fill_defaults(conn, snap, table, data, values, errors, actor)
        self._check_refs(conn, snap, table, values, errors, actor)
        if errors:
            raise ValidationFailed(errors)
        now = self.clock()
        self._fill_counters(conn, table, [values], now)
        db_values = self._to_db(table, values)
        owner = data.get("owner") if actor.is_admin and isinstance(data.get("owner"), int) else actor.id
        system = dict(version=1, created_at=now, updated_at=now, created_by=actor.id,
                      updated_by=actor.id, owner=owner)
        if parent_id is not None:
            system.update(parent_id=parent_id, position=position or 0)
        sql = snap.sql_table(table)
        try:
            record_id = conn.execute(insert(sql).values(**db_values, **system).returning(sql.c.id)).scalar_one()
        except IntegrityError as exc:
            raise self._integrity(table, exc) from None
        changes = {k: [None, self._json(table, k, v)] for k, v in values.items() if v is not None}
        for name, lines in lines_in.items():
            changes.update(self._write_lines(conn, snap, table, table.field(name), record_id, lines, actor, now))
        if parent_id is None:
            audit.record(conn, table.id, record_id, "create", actor.id, changes, 1, now)
        return record_id

    def _fill_counters(self, conn, table: TableDef, batch: list[dict], now: dt.datetime) -> None:
        for f in table.fields:
            if f.type == "counter":
                allocated = counters.allocate(conn, f, len(batch), now.date())
                for values, value in zip(batch, allocated):
                    values[f.api_name] = value

    def _to_db(self, table: TableDef, values: dict) -> dict:
        db: dict[str, Any] = {}
        for name, value in values.items():
            f = table.field(name)
            db.update(self.registry.get(f.type).to_db(value, f))
        return db

    def _json(self, table: TableDef, name: str, value):
        f = table.field(name)
        return self.registry.get(f.type).to_json(value, f)

    def _diff(self, table: TableDef, current: dict, values: dict) -> dict:
        changes = {}
        for name, value in values.items():
            old, new = self._json(table, name, current.get(name)), self._json(table, name, value)
            if old != new:
                changes[name] = [old, new]
        return changes

    def _check_version(self, conn, snap, table, row, version, view) -> None:
        try:
            version = int(version)
        except (TypeError, ValueError):
            raise BadQuery("version must be a whole number.", {"field": "version"}) from None
        if row["version"] == version:
            return
        since = [self._name_changes(table, e, view) for e in audit.history(conn, table.id, row["id"], version)]
        who = since[-1]["user"]["display"] if since and since[-1]["user"] else "someone"
        raise StaleVersion(
            f"This record was changed by {who} since you opened it (your version {version}, "
            f"now {row['version']}). Reload it, or reapply your change.",
            {"id": row["id"], "your_version": version, "current_version": row["version"], "changes": since})

    def _name_changes(self, table: TableDef, entry: dict, view) -> dict:
        """An audit entry as ``view``'s actor may see it: hidden fields' values left out."""
        if view.admin:
            return entry
        shown = {f.api_name for f in view.readable(table)} | {"owner"}
        changes = entry.get("changes") or {}
        kept = {k: v for k, v in changes.items() if k in shown}
        if isinstance(changes.get("_conversion"), dict) and changes["_conversion"].get("field") in shown:
            kept["_conversion"] = changes["_conversion"]  # a retype's note goes with its field
        if isinstance(changes.get("_reminder"), dict):
            kept["_reminder"] = changes["_reminder"]  # a reminder: its rule and recipients, no field's value
        return {**entry, "changes": kept}

    def _check_refs(self, conn, snap: Snapshot, table: TableDef, values: dict, errors: dict,
                    actor: Actor, exclude_id: int | None = None, current: dict | None = None) -> None:
        """Links point at live records the actor may read, files are the actor's own uploads
        (or already in this field: ``current``), unique values are unique."""
        for name, value in values.items():
            if value is None:
                continue
            f = table.field(name)
            if f.type == "link":
                target = snap.table_by_id(int(f.options["target_id"]))
                tsql = snap.sql_table(target)
                reach = self.access.view(actor, snap, conn).where(target, tsql)
                found = conn.execute(select(tsql.c.id).where(tsql.c.id == value, tsql.c.deleted_at.is_(None),
                                                             *reach)).first()
                if found is None:
                    errors.setdefault(name, []).append(f"{target.label} #{value} does not exist")
            elif f.type in ("file", "image"):
                held = (current or {}).get(name)
                unchanged = isinstance(held, dict) and held.get("sha256") == value["sha256"]
                if not unchanged and not attachable(conn, actor, [value["sha256"]]):
                    errors.setdefault(name, []).append("no uploaded file with this sha256; upload it first")
                elif not unchanged:
                    mark_attached(conn, actor, [value["sha256"]], self.clock())  # undone if the save fails
            elif f.type == "user":
                if conn.execute(select(cf_users.c.id).where(cf_users.c.id == value)).first() is None:
                    errors.setdefault(name, []).append(f"user #{value} does not exist")
            if f.opt("unique"):
                sql = snap.sql_table(table)
                col = sql.c[names.column_name(f.id)]
                db_value = self.registry.get(f.type).to_db(value, f)[names.column_name(f.id)]
                stmt = select(sql.c.id).where(col == db_value, sql.c.deleted_at.is_(None))
                if exclude_id is not None:
                    stmt = stmt.where(sql.c.id != exclude_id)
                other = conn.execute(stmt).first()
                if other is not None:
                    errors.setdefault(name, []).append(f"must be unique; record #{other[0]} already has this value")

    def _write_lines(self, conn, snap, parent: TableDef, field, parent_id: int, lines: list,
                     actor: Actor, now) -> dict:
        """Replace the parent's lines with ``lines``: update by id, insert new, trash missing."""
        child = snap.child_table(field)
        sql = snap.sql_table(child)
        existing = {r["id"]: r for r in conn.execute(
            select(sql).where(sql.c.parent_id == parent_id, sql.c.deleted_at.is_(None))).mappings()}
        reader = RecordReader(self.registry, snap)
        errors: dict = {}
        kept = set()
        for position, line in enumerate(lines, 1):
            line_id = line.get("id")
            if line_id is not None and line_id in existing:
                kept.add(line_id)
                current = reader.values(child, existing[line_id])
                values, errs = parse_input(self.registry, child, line, partial=True, current=current)
                fill_from_links(conn, snap, self.registry, self.access.view(actor, snap, conn), child, line,
                                values, errs, current)
                self._check_refs(conn, snap, child, values, errs, actor, current=current)
                if errs:
                    errors.update({f"{field.api_name}[{position}].{k}": v for k, v in errs.items()})
                    continue
                conn.execute(update(sql).where(sql.c.id == line_id).values(
                    **self._to_db(child, values), position=position, version=sql.c.version + 1,
                    updated_at=now, updated_by=actor.id))
            elif line_id is not None:
                errors[f"{field.api_name}[{position}].id"] = [f"line #{line_id} does not belong to this record"]
            else:
                try:
                    self._insert(conn, snap, child, actor, line, parent_id=parent_id, position=position)
                except ValidationFailed as exc:
                    errors.update({f"{field.api_name}[{position}].{k}": v for k, v in exc.errors.items()})
        removed = [i for i in existing if i not in kept]
        if removed:
            conn.execute(update(sql).where(sql.c.id.in_(removed)).values(deleted_at=now, updated_at=now,
                                                                          updated_by=actor.id))
        if errors:
            raise ValidationFailed(errors)
        return {field.api_name: [len(existing), len(lines)]} if (removed or lines) else {}

    def _set_trashed(self, actor, table_name, record_id, trashed: bool, version) -> dict:
        with self.engine.begin() as conn:
            snap, table = self._table(conn, table_name)
            view = self.access.view(actor, snap, conn)
            view.check(table, "delete" if trashed else "update")
            row = self._existing(conn, snap, table, record_id, any_state=True)
            view.require_reach(conn, table, row["id"], "delete" if trashed else "update")
            if (row["deleted_at"] is not None) == trashed:
                raise RecordNotFound(table.api_name, record_id)
            if version is not None:
                self._check_version(conn, snap, table, row, version, view)
            now = self.clock()
            sql = snap.sql_table(table)
            try:
                conn.execute(update(sql).where(sql.c.id == row["id"]).values(
                    deleted_at=now if trashed else None, version=sql.c.version + 1,
                    updated_at=now, updated_by=actor.id))
            except IntegrityError as exc:  # restored: a live record took its unique value since
                raise self._integrity(table, exc, " (a record that is not in the trash has it now)") from None
            self.computed.after_trash(conn, snap, table, row, actor)
            audit.record(conn, table.id, row["id"], "delete" if trashed else "restore", actor.id, {},
                         row["version"] + 1, now)
            return {"id": row["id"], "trashed": trashed, "version": row["version"] + 1}

    def _integrity(self, table: TableDef, exc: IntegrityError, why: str = "") -> ValidationFailed:
        text = str(exc.orig)
        for f in table.fields:
            if names.index_name(table.id, f.id, "uq") in text or names.column_name(f.id) in text:
                return ValidationFailed({f.api_name: [f"must be unique; another record already has this value{why}"]})
        return ValidationFailed({"_record": ["the values conflict with another record (a unique field)"]})


def _as_id(record_id, table: TableDef) -> int:
    try:
        value = int(record_id)
    except (TypeError, ValueError):
        raise RecordNotFound(table.api_name, record_id) from None
    if value <= 0 or value > 2**62:
        raise RecordNotFound(table.api_name, record_id)
    return value
