"""Many creates and updates in one transaction (imports), journaled so they can be reverted.

    write_many     rows of (row number, id or None, data): validate every row (types, options,
                   required, links, unique values), collect EVERY row error, then either write
                   all of it or nothing. ``dry_run`` validates only and returns a preview of
                   the first rows as they would be stored. A written batch is journaled in
                   ``cf_imports``: created ids (as ranges) and the previous values of updates,
                   and the table's planner statistics are refreshed (``storage.statistics``).
    revert_import  trash the created records and restore the updated ones, in one
                   transaction; refused with the list of records changed since, unless forced.

Memory stays flat for creates: rows are parsed and inserted in batches; only unique-field
values already seen are remembered. Creates go through the table's compiled ``RowParser``
(the rules of ``parse_input``, each row costing only its field parsers).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field as dc_field
from typing import Callable, Iterable

from sqlalchemy import insert, select, update

from ..errors import AccessDenied, BadQuery, CardfileError, NotFound, ValidationFailed
from ..model import TableDef
from ..storage import names
from ..storage.engine import bulk_cache
from ..files import attachable, mark_attached
from ..storage.platform_tables import cf_imports, cf_users
from ..storage.statistics import refresh_statistics
from . import audit, bulk, counters
from .output import RecordReader
from .validate import RowParser, parse_input

BATCH = 2000
MAX_ERRORS = 10_000
PREVIEW_ROWS = 20
MODES = ("create", "update", "upsert")


class ImportNotRevertible(CardfileError):
    code = "IMPORT_NOT_REVERTIBLE"


@dataclass
class RowError:
    row: int
    field: str
    message: str

    def to_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass
class WriteReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = dc_field(default_factory=list)
    error_count: int = 0
    preview: list[dict] = dc_field(default_factory=list)
    import_id: int | None = None
    written: bool = False

    def error(self, row: int, field: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(row, field, message))


class _Rollback(Exception):
    pass


class Lookups:
    """What an import looks up while it writes, read on the import's own connection: on
    SQLite a second connection would wait for the write lock the import holds."""

    def __init__(self, service, conn, actor):
        self.service, self.conn, self.actor = service, conn, actor

    def records(self, table_name: str, field_name: str | None, texts: list) -> dict[str, list[int]]:
        """As ``RecordService.lookup``: folded text -> ids of live, readable records."""
        from .stream import lookup_on
        return lookup_on(self.conn, self.service, self.actor, table_name, field_name, texts)

    def displays(self, table_name: str, ids: list[int]) -> dict[int, str]:
        """Display values of the records ``ids`` the importer may read (others left out)."""
        snap, table = self.service._table(self.conn, table_name)
        view = self.service.access.view(self.actor, snap, self.conn)
        if not view.allows(table, "read"):
            return {}
        sql = snap.sql_table(table)
        found = set(self.conn.execute(select(sql.c.id).where(sql.c.id.in_(list(ids)), snap.live(table, sql),
                                                             *view.where(table, sql))).scalars())
        reader = RecordReader(self.service.registry, snap, view.readable, view.scope)
        return reader.display_values(self.conn, table, found)

    def users(self) -> list[dict]:
        """Every user: id, username and name."""
        rows = self.conn.execute(select(cf_users.c.id, cf_users.c.username, cf_users.c.name)
                                 .order_by(cf_users.c.id)).mappings()
        return [dict(row) for row in rows]


def write_many(service, actor, table_name: str, rows: Iterable[tuple[int, int | None, dict]], *,
               mode: str = "create", dry_run: bool = False, source: str = "",
               progress: Callable[[int], None] | None = None,
               veto: Callable[[], bool] | None = None, keep_ids: bool = False) -> WriteReport:
    """``veto()`` is asked before committing: True (the caller found problems of its own
    in the rows, e.g. unknown link names) rolls everything back. ``rows`` may be a function
    of a :class:`Lookups` giving the rows: its lookups then run in this transaction.
    ``keep_ids``: each created row's ``id`` (in its data) is the id it gets — a table
    restored from an export keeps its ids, so links to it by id hold; an id the table
    already has (in the trash too) is an error on that row."""
    if mode not in MODES:
        raise BadQuery(f"Import mode must be one of {', '.join(MODES)}; got {mode!r}.", {"mode": mode})
    report = WriteReport()
    try:
        with service.engine.begin() as conn, bulk_cache(conn):
            snap, table = service._table(conn, table_name)
            view = service.access.view(actor, snap, conn)  # on this connection: no second one
            if mode in ("create", "upsert"):
                view.check(table, "create")
            if mode in ("update", "upsert"):
                view.check(table, "update")
            writer = _Writer(service, conn, snap, table, actor, report, dry_run, keep_ids)
            first_id = service.computed.bulk_marker(conn, snap, table)
            if callable(rows):  # rows that look up links, keys and users as they are read
                rows = rows(Lookups(service, conn, actor))
            for item in rows:
                writer.add(*item)
                if progress is not None and report.rows % BATCH == 0:
                    progress(report.rows)
            writer.flush()
            if progress is not None:
                progress(report.rows)
            if dry_run or report.error_count or (veto is not None and veto()):
                raise _Rollback()
            if writer.created_ranges:
                first_id = min(first_id, writer.created_ranges[0][0], *(r[0] for r in writer.created_ranges))
                for child, marker in writer.lines_markers.values():  # line amounts before totals
                    service.computed.after_bulk(conn, snap, child, marker, actor)
                service.computed.after_bulk(conn, snap, table, first_id, actor)
                # lines that read their record (a discount from the receipt's rate, itself from
                # the lines' amounts) once more, with the record's values, then its totals again
                again = [(child, marker) for child, marker in writer.lines_markers.values()
                         if service.computed.reads_table(conn, snap, child, table)]
                for child, marker in again:
                    service.computed.after_bulk(conn, snap, child, marker, actor)
                if again:
                    service.computed.after_bulk(conn, snap, table, first_id, actor)
            report.import_id = _journal(conn, table, actor, mode, source, writer)
            refresh_statistics(conn, writer.sql, report.created + len(writer.updated))
            report.written = True
    except _Rollback:
        pass
    return report


class _Writer:
    def __init__(self, service, conn, snap, table: TableDef, actor, report: WriteReport, dry_run: bool,
                 keep_ids: bool = False):
        self.service, self.conn, self.snap, self.table, self.actor = service, conn, snap, table, actor
        self.report, self.dry_run, self.keep_ids = report, dry_run, keep_ids
        self.kept_ids: set[int] = set()
        self.registry = service.registry
        self.sql = snap.sql_table(table)
        self.now = service.clock()
        self.system = dict(version=1, created_at=self.now, updated_at=self.now, created_by=actor.id,
                           updated_by=actor.id, owner=actor.id)
        self.creates: list[tuple[int, dict, dict, dict]] = []  # (row, data, line items, kept counters)
        self.updates: list[tuple[int, int, dict]] = []
        self.created_ranges: list[list[int]] = []
        self.updated: dict[str, dict] = {}
        self.unique = [f for f in table.fields if f.opt("unique") and self.registry.get(f.type).has_column]
        self.seen: dict[str, set] = {f.api_name: set() for f in self.unique}
        self.reader = RecordReader(self.registry, snap)
        self.view = service.access.view(actor, snap, conn)  # field rules and row scopes
        self.parser = RowParser(self.registry, table, refuse_read_only=True)
        self.inserter = bulk.RowInserter(conn, self.sql, self.parser.columns + counters.columns(table), self.system)
        self.lines_fields = {f.api_name: f for f in table.fields if f.type == "lines"}
        self.counter_fields = {f.api_name for f in table.fields if f.type == "counter"}
        self.lines_markers: dict[int, tuple] = {}  # line-item table id -> (table, its first new id)
        self.with_lines = False  # some row has line items: a dry run then writes too (rolled back)

    # --- rows ---------------------------------------------------------------------
    def add(self, row: int, record_id: int | None, data: dict) -> None:
        self.report.rows += 1
        if record_id is None:
            self._create(row, data)
        else:
            self.view.check_values(self.table, data, "update")
            self.view.require_reach(self.conn, self.table, record_id, "update")
            self.updates.append((row, record_id, data))
            if len(self.updates) >= BATCH:
                self._flush_updates()

    def _create(self, row: int, data: dict) -> None:
        """``data`` may give a lines field a list of (file row, line) pairs."""
        lines = {k: data.pop(k) for k in [k for k in data if k in self.lines_fields]} if self.lines_fields else {}
        if any(lines.values()):
            self.with_lines = True
        kept = {k: data.pop(k) for k in [k for k in data if k in self.counter_fields]} if self.keep_ids else {}
        self.creates.append((row, data, lines, kept))
        if len(self.creates) >= BATCH:
            self._flush_creates()

    def flush(self) -> None:
        self._flush_creates()
        self._flush_updates()

    def _errors(self, row: int, errors: dict) -> None:
        for name, messages in errors.items():
            for message in messages:
                self.report.error(row, name, message)

    def _preview(self, row: int, action: str, record_id, values: dict) -> None:
        if len(self.report.preview) < PREVIEW_ROWS:
            shown = {k: self.registry.get(self.table.field(k).type).to_json(v, self.table.field(k))
                     for k, v in values.items() if self.table.field(k) is not None}
            self.report.preview.append({"row": row, "action": action, "id": record_id, "values": shown})

    # --- creates ------------------------------------------------------------------
    def _flush_creates(self) -> None:
        batch, self.creates = self.creates, []
        if not batch:
            return
        rows = [data for _, data, _, _ in batch]
        self.view.check_values_many(self.table, rows, "create")  # field rules, as one save checks them
        parsed = self.parser.parse_batch(rows)
        for k, errors in parsed.errors.items():
            self._errors(batch[k][0], errors)
        count = len(parsed.rows)
        bad = self._ref_errors(parsed.values)
        if self.keep_ids:
            for j, messages in self._id_errors([batch[k][1].get("id") for k in parsed.rows]).items():
                bad.setdefault(j, {}).update(messages)
        for j, messages in self._unique_errors(parsed.values).items():
            bad.setdefault(j, {}).update(messages)
        for j, k in enumerate(parsed.rows):
            row, data, _, _ = batch[k]
            if j in bad:
                self._errors(row, bad[j])
            elif len(self.report.preview) < PREVIEW_ROWS:  # as parse_input gives them: sent or defaulted
                self._preview(row, "create", None, {name: v for name, v in parsed.record(j).items()
                                                    if name in data or v is not None})
        if self.report.error_count or (self.dry_run and not self.with_lines):
            self.report.created += count - len(bad)
            return
        counters.fill(self.conn, self.table, parsed.db, count, self.now.date(),
                      kept=[batch[k][3] for k in parsed.rows] if self.keep_ids else None)
        wanted = [batch[k][1].get("id") for k in parsed.rows] if self.keep_ids else None
        ids = self.inserter.insert(parsed.db, count, ids=wanted)
        self._insert_lines([(ids[j], batch[k][2]) for j, k in enumerate(parsed.rows)])
        self.view.require_created_in_scope(self.conn, self.table, ids, "create")
        audit.record_created(self.conn, self.table.id, audit.runs_of(ids), self.actor.id, {"import": [None, True]},
                             self.now)
        self._remember_ids(ids)
        self.report.created += len(ids)

    def _insert_lines(self, parents: list[tuple[int, dict]]) -> None:
        """Line items of the records just inserted, each through the record service's own
        insert (its checks, fill from links, defaults, counters); a line's problem is
        reported with its row in the line items' sheet or file, as ``<lines field>.<field>``."""
        for parent_id, lines in parents:
            for name, items in lines.items():
                if not items:
                    continue
                child = self.snap.child_table(self.lines_fields[name])
                if child.id not in self.lines_markers:
                    self.lines_markers[child.id] = (child, self.service.computed.bulk_marker(self.conn, self.snap, child))
                for position, (line_row, line) in enumerate(items, 1):
                    try:
                        with self.conn.begin_nested():  # a refused line leaves the transaction usable
                            self.service._insert(self.conn, self.snap, child, self.actor, line,
                                                 parent_id=parent_id, position=position)
                    except ValidationFailed as exc:
                        for field, messages in exc.errors.items():
                            for message in messages:
                                self.report.error(line_row, f"{name}.{field}", message)

    def _id_errors(self, wanted: list) -> dict[int, dict]:
        """Rows whose kept id is missing, repeated, or already a record's (in the trash too)."""
        bad: dict[int, dict] = {}
        good = sorted({i for i in wanted if isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2 ** 62})
        taken = set()
        for start in range(0, len(good), BATCH):
            taken.update(self.conn.execute(select(self.sql.c.id).where(self.sql.c.id.in_(good[start:start + BATCH])))
                         .scalars())
        for j, record_id in enumerate(wanted):
            if not isinstance(record_id, int) or isinstance(record_id, bool) or not 0 < record_id < 2 ** 62:
                bad[j] = {"id": ["the ID is needed to keep it (a whole number from 1)"]}
            elif record_id in taken:
                bad[j] = {"id": [f"record #{record_id} already exists (the table must not have this ID)"]}
            elif record_id in self.kept_ids:
                bad[j] = {"id": [f"ID {record_id} is in the file twice"]}
            self.kept_ids.add(record_id) if isinstance(record_id, int) else None
        return bad

    def _remember_ids(self, ids: list[int]) -> None:
        for i in ids:
            if self.created_ranges and self.created_ranges[-1][1] == i - 1:
                self.created_ranges[-1][1] = i
            else:
                self.created_ranges.append([i, i])

    def _ref_errors(self, values: dict[str, list]) -> dict[int, dict]:
        """Per-row errors (by position in ``values``' columns) for links, users and files
        that do not exist — or, for links, that the importer may not read (one query per
        field)."""
        bad: dict[int, dict] = {}
        for f in self.table.fields:
            if f.type not in ("link", "user", "file", "image") or f.api_name not in values:
                continue
            key = (lambda v: v["sha256"]) if f.type in ("file", "image") else (lambda v: v)
            column = values[f.api_name]
            wanted = {key(v) for v in column if v is not None}
            if not wanted:
                continue
            if f.type == "link":  # only records the importer may read (the same rule as one save)
                target = self.snap.table_by_id(int(f.options["target_id"]))
                tsql = self.snap.sql_table(target)
                stmt = select(tsql.c.id).where(tsql.c.id.in_(sorted(wanted)), tsql.c.deleted_at.is_(None),
                                               *self.view.where(target, tsql))
            elif f.type == "user":
                stmt = select(cf_users.c.id).where(cf_users.c.id.in_(sorted(wanted)))
            else:
                stmt = None  # the importer's own uploads (files.attachable)
            if stmt is None:
                found = attachable(self.conn, self.view.actor, wanted)
                mark_attached(self.conn, self.view.actor, found, self.now)  # undone if the import fails
            else:
                found = set(self.conn.execute(stmt).scalars())
            for i, value in enumerate(column):
                if value is not None and key(value) not in found:
                    bad.setdefault(i, {})[f.api_name] = [f"{key(value)} does not exist"]
        return bad

    def _unique_errors(self, values: dict[str, list], exclude: list[int] | None = None) -> dict[int, dict]:
        bad: dict[int, dict] = {}
        for f in self.unique:
            ftype = self.registry.get(f.type)
            column = names.column_name(f.id)
            db_values = {}
            for i, value in enumerate(values.get(f.api_name) or ()):
                if value is None:
                    continue
                db_value = ftype.to_db(value, f)[column]
                if db_value in self.seen[f.api_name]:
                    bad.setdefault(i, {})[f.api_name] = ["must be unique; an earlier row has this value"]
                self.seen[f.api_name].add(db_value)
                db_values[i] = db_value
            if not db_values:
                continue
            col = self.sql.c[column]
            stmt = select(self.sql.c.id, col).where(col.in_(sorted(set(db_values.values()), key=str)),
                                                    self.sql.c.deleted_at.is_(None))  # live records only
            if exclude:
                stmt = stmt.where(self.sql.c.id.not_in(exclude))
            taken = {value: record_id for record_id, value in self.conn.execute(stmt)}
            for i, db_value in db_values.items():
                if db_value in taken and (exclude is None or taken[db_value] != exclude[i]):
                    bad.setdefault(i, {})[f.api_name] = [
                        f"must be unique; record #{taken[db_value]} already has this value"]
        return bad

    # --- updates ------------------------------------------------------------------
    def _flush_updates(self) -> None:
        batch, self.updates = self.updates, []
        if not batch:
            return
        ids = [record_id for _, record_id, _ in batch]
        current = {r["id"]: r for r in self.conn.execute(
            select(self.sql).where(self.sql.c.id.in_(ids), self.sql.c.deleted_at.is_(None))).mappings()}
        parsed = []
        for row, record_id, data in batch:
            existing = current.get(record_id)
            if existing is None:
                self.report.error(row, "id", f"record #{record_id} does not exist")
                continue
            values, errors = parse_input(self.registry, self.table, data, partial=True,
                                         current=self.reader.values(self.table, existing))
            if errors:
                self._errors(row, errors)
                continue
            parsed.append((row, existing, values))
        columns = _columns([values for _, _, values in parsed])
        bad = self._ref_errors(columns)
        unique = self._unique_errors(columns, [e["id"] for _, e, _ in parsed])
        for i, messages in unique.items():
            bad.setdefault(i, {}).update(messages)
        for i, (row, existing, values) in enumerate(parsed):
            if i in bad:
                self._errors(row, bad[i])
                continue
            self._preview(row, "update", existing["id"], values)
            self.report.updated += 1
            if not (self.report.error_count or self.dry_run):
                self._update(existing, values)

    def _update(self, existing, values: dict) -> None:
        old = self.reader.values(self.table, existing)
        changes = {}
        for name, value in values.items():
            f = self.table.field(name)
            ftype = self.registry.get(f.type)
            before, after = ftype.to_json(old.get(name), f), ftype.to_json(value, f)
            if before != after:
                changes[name] = [before, after]
        if not changes:
            return
        db_values = {}
        for name in changes:
            f = self.table.field(name)
            db_values.update(self.registry.get(f.type).to_db(values[name], f))
        version = existing["version"] + 1
        self.conn.execute(update(self.sql).where(self.sql.c.id == existing["id"]).values(
            **db_values, version=version, updated_at=self.now, updated_by=self.actor.id))
        # an update may not move a record out of the importer's reach (as one save)
        self.view.require_created_in_scope(self.conn, self.table, [existing["id"]], "update")
        audit.record(self.conn, self.table.id, existing["id"], "update", self.actor.id,
                     {**changes, "import": [None, True]}, version, self.now)
        self.service.computed.after_update(self.conn, self.snap, self.table, existing, changes, self.actor)
        self.updated[str(existing["id"])] = {"version": version,
                                             "previous": {k: v[0] for k, v in changes.items()}}


def _columns(records: list[dict]) -> dict[str, list]:
    """api name -> the records' values (None where a record has no value for it)."""
    names_ = {name: None for record in records for name in record}
    return {name: [record.get(name) for record in records] for name in names_}


def _journal(conn, table: TableDef, actor, mode: str, source: str, writer: _Writer) -> int:
    return conn.execute(insert(cf_imports).values(
        table_id=table.id, user_id=actor.id, source=(source or "import")[:255], mode=mode,
        created_count=writer.report.created, updated_count=len(writer.updated),
        created_ids=writer.created_ranges, updated=writer.updated, created_at=writer.now,
    ).returning(cf_imports.c.id)).scalar_one()


# --- journal and revert -------------------------------------------------------------
def describe_import(row) -> dict:
    return {"id": row["id"], "table_id": row["table_id"], "user_id": row["user_id"],
            "source": row["source"], "mode": row["mode"], "created": row["created_count"],
            "updated": row["updated_count"],
            "created_at": row["created_at"].isoformat().replace("+00:00", "Z"),
            "reverted_at": row["reverted_at"].isoformat().replace("+00:00", "Z") if row["reverted_at"] else None}


def get_import(service, actor, import_id: int) -> dict:
    with service.engine.connect() as conn:
        row = _import_row(service, conn, actor, import_id)
        snap = service.catalog.current(conn)
        return {**describe_import(row), "table": snap.table_by_id(row["table_id"]).api_name}


def _import_row(service, conn, actor, import_id):
    actor = service.access.require_active(actor)
    row = conn.execute(select(cf_imports).where(cf_imports.c.id == int(import_id))).mappings().first()
    if row is None:
        raise NotFound(f"No import #{import_id}.", {"import": import_id})
    if row["user_id"] != actor.id and not actor.is_admin:
        raise AccessDenied("Only the user who ran an import (or an administrator) may see or revert it.",
                           {"import": import_id})
    return row


def revert_import(service, actor, import_id: int, force: bool = False) -> dict:
    with service.engine.begin() as conn:
        row = _import_row(service, conn, actor, import_id)
        if row["reverted_at"] is not None:
            raise ImportNotRevertible(f"Import #{import_id} was already reverted.", {"import": import_id})
        snap = service.catalog.current(conn)
        table = snap.table_by_id(row["table_id"])
        view = service.access.view(actor, snap, conn)
        view.check(table, "delete")
        view.check(table, "update")
        sql = snap.sql_table(table)
        now = service.clock()
        created = [i for first, last in row["created_ids"] for i in range(first, last + 1)]
        created = _still_there(conn, sql, created, row["created_at"])  # not purged since
        changed = _changed_since(conn, sql, created, row["updated"])
        if changed and not force:
            raise ImportNotRevertible(
                f"{len(changed)} record(s) of import #{import_id} were changed since; nothing was reverted. "
                "Revert with force to undo the import anyway.", {"import": import_id, "records": changed[:100]})
        trashed = _trash(conn, sql, table, created, actor, now)
        for record_id in created:
            service.computed.after_trash(conn, snap, table, {"id": record_id}, actor)
        restored = _restore(service, conn, snap, table, sql, row["updated"], actor, now)
        conn.execute(update(cf_imports).where(cf_imports.c.id == row["id"]).values(reverted_at=now))
        return {"import": row["id"], "table": table.api_name, "trashed": trashed, "restored": restored}


def _still_there(conn, sql, ids: list[int], at: dt.datetime) -> list[int]:
    """The records of ``ids`` that exist and were created by the import (at ``at``), not
    after it: a record deleted for good since is left alone."""
    found = []
    for start in range(0, len(ids), BATCH):
        found += conn.execute(select(sql.c.id).where(sql.c.id.in_(ids[start:start + BATCH]),
                                                     sql.c.created_at <= at)).scalars().all()
    return sorted(found)


def _changed_since(conn, sql, created: list[int], updated: dict) -> list[int]:
    changed = []
    for start in range(0, len(created), BATCH):
        chunk = created[start:start + BATCH]
        changed += conn.execute(select(sql.c.id).where(sql.c.id.in_(chunk), sql.c.version != 1)).scalars().all()
    ids = [int(i) for i in updated]
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        for record_id, version in conn.execute(select(sql.c.id, sql.c.version).where(sql.c.id.in_(chunk))):
            if version != updated[str(record_id)]["version"]:
                changed.append(record_id)
    return sorted(changed)


def _trash(conn, sql, table: TableDef, created: list[int], actor, now: dt.datetime) -> int:
    count = 0
    for start in range(0, len(created), BATCH):
        chunk = created[start:start + BATCH]
        live = conn.execute(select(sql.c.id, sql.c.version).where(
            sql.c.id.in_(chunk), sql.c.deleted_at.is_(None))).all()
        if not live:
            continue
        conn.execute(update(sql).where(sql.c.id.in_([i for i, _ in live])).values(
            deleted_at=now, version=sql.c.version + 1, updated_at=now, updated_by=actor.id))
        audit.record_many(conn, [dict(table_id=table.id, record_id=i, action="delete", user_id=actor.id,
                                      changes={"revert_import": [None, True]}, version=v + 1, at=now)
                                 for i, v in live])
        count += len(live)
    return count


def _restore(service, conn, snap, table: TableDef, sql, updated: dict, actor, now) -> int:
    registry = service.registry
    for key, entry in updated.items():
        values, errors = parse_input(registry, table, {k: v for k, v in entry["previous"].items()
                                                       if table.field(k) is not None}, partial=True)
        if errors:
            raise ImportNotRevertible(f"Record #{key} cannot get its previous values back: {errors}",
                                      {"record": int(key), "fields": errors})
        db_values = {}
        for name, value in values.items():
            f = table.field(name)
            db_values.update(registry.get(f.type).to_db(value, f))
        version = conn.execute(select(sql.c.version).where(sql.c.id == int(key))).scalar()
        if version is None:  # deleted for good since (an emptied trash): nothing to restore
            continue
        if db_values:
            conn.execute(update(sql).where(sql.c.id == int(key)).values(
                **db_values, version=version + 1, updated_at=now, updated_by=actor.id))
        changes = {k: [None, v] for k, v in entry["previous"].items()}
        audit.record(conn, table.id, int(key), "update", actor.id, changes, version + 1, now)
        service.computed.after_update(conn, snap, table, {"id": int(key)}, changes, actor)
    return len(updated)
