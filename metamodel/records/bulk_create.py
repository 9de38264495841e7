"""Bulk create: many records validated and inserted in one transaction, all or nothing
(``RecordService.bulk_create``; imports have their own driver in batch.py).

Rows arrive in batches. Each batch is parsed column by column (``RowParser``; decimals
and money on SQLite go from input to their stored integers in one step), its links
and files are checked with one query per field — ids already found in an earlier batch
of the same load are not asked for again —, counters are filled, the rows go to the
driver in one call (``RowInserter``); at the end one audit entry is written for each run
of consecutive new ids (one for the whole load on SQLite, where the load holds the write
lock). A batch with a problem stops the writing, but the remaining rows are still
validated, so the error lists every bad row (up to a limit). Last, the table's planner
statistics are refreshed (``storage.statistics``).
"""

from __future__ import annotations

import datetime as dt
from itertools import islice
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..errors import ValidationFailed
from ..files import attachable, mark_attached
from ..storage.platform_tables import cf_users
from ..storage.statistics import refresh_statistics
from . import audit, bulk, counters
from .validate import RowParser

#: rows with problems a failed bulk create remembers (the error shows the first 50)
MAX_ROW_ERRORS = 1000
#: the field types whose values name other rows, checked per batch
REFERENCE_TYPES = ("link", "user", "file", "image")


class BulkCreate:
    """One bulk create inside ``conn``'s transaction, for ``view``'s actor."""

    def __init__(self, service, conn, snap, table, view, now: dt.datetime):
        self.service, self.conn, self.snap, self.table, self.view, self.now = service, conn, snap, table, view, now
        self.parser = RowParser(service.registry, table)
        system = dict(version=1, created_at=now, updated_at=now, created_by=view.actor.id,
                      updated_by=view.actor.id, owner=view.actor.id)
        self.sql = snap.sql_table(table)
        self.inserter = bulk.RowInserter(conn, self.sql, self.parser.columns + counters.columns(table), system)
        # values that are not checked against other rows go from input to the driver's form
        # in one step where their types can (decimals and money on SQLite)
        keep = {f.api_name for f in table.fields if f.type in REFERENCE_TYPES}
        self.inserter.take_ready(self.parser.encode_with(conn.dialect.name, self.inserter.converters(), keep))
        self.row_errors: dict[int, dict] = {}
        self.found: dict[str, set] = {}  # field -> values checked to exist in an earlier batch
        self.runs: list[list[int]] = []  # the new ids, as runs of consecutive ids (audit.runs_of)

    def run(self, rows: Iterable[dict], batch_size: int) -> int:
        """Validate and insert every row; returns how many were created, or raises
        ``ValidationFailed`` naming the bad rows (and then nothing is kept)."""
        first_id = self.service.computed.bulk_marker(self.conn, self.snap, self.table)
        indexes = bulk.DeferredIndexes(self.conn, self.sql)
        inserted, n = 0, 0
        source = iter(rows)
        while batch := list(islice(source, batch_size)):
            self.view.check_values_many(self.table, batch, "create")
            n += len(batch)
            inserted += self._batch(batch, n)
            indexes.inserted(inserted)
        if self.row_errors:
            first = min(self.row_errors)
            field, messages = next(iter(self.row_errors[first].items()))
            raise ValidationFailed(
                {f"row {r}.{k}": v for r, errs in list(self.row_errors.items())[:50] for k, v in errs.items()},
                message=f"{len(self.row_errors)} row(s) are not valid; nothing was saved. "
                        f"First: row {first}, {field}: {messages[0]}")
        audit.record_created(self.conn, self.table.id, self.runs, self.view.actor.id, {}, self.now)
        indexes.restore()  # before computed fields, which may look rows up by them
        self.service.computed.after_bulk(self.conn, self.snap, self.table, first_id, self.view.actor)
        refresh_statistics(self.conn, self.sql, inserted)  # the next list plans with the new rows
        return inserted

    def _batch(self, batch: list, n: int) -> int:
        """Parse, check and insert one batch; ``n`` is the number of its last row."""
        parsed = self.parser.parse_batch(batch)
        first = n - len(batch) + 1
        for k, errors in parsed.errors.items():
            if len(self.row_errors) < MAX_ROW_ERRORS:
                self.row_errors[first + k] = errors
        errors = self._check_refs(parsed.values)
        if errors:
            self.row_errors.setdefault(n, errors)
        if self.row_errors:
            return 0  # a failed row means nothing is written; keep validating the rest
        count = len(parsed.rows)
        counters.fill(self.conn, self.table, parsed.db, count, self.now.date())
        try:
            ids = self.inserter.insert(parsed.db, count)
        except IntegrityError as exc:
            raise self.service._integrity(self.table, exc) from None
        self.view.require_created_in_scope(self.conn, self.table, ids, "create")
        audit.runs_of(ids, self.runs)
        return len(ids)

    def _check_refs(self, values: dict[str, list]) -> dict:
        """The batch's links, users and files exist (links: records the actor may read);
        ``values``: api name -> the batch's values. One query per field for the values not
        found before in this load."""
        errors: dict = {}
        for f in self.table.fields:
            if f.type not in REFERENCE_TYPES or f.api_name not in values:
                continue
            column = values[f.api_name]
            wanted = (set(column) if f.type in ("link", "user") else {v["sha256"] for v in column if v is not None})
            wanted.discard(None)
            found = self.found.setdefault(f.api_name, set())
            wanted -= found
            if not wanted:
                continue
            if f.type == "link":
                target = self.snap.table_by_id(int(f.options["target_id"]))
                tsql = self.snap.sql_table(target)
                stmt = select(tsql.c.id).where(tsql.c.id.in_(sorted(wanted)), tsql.c.deleted_at.is_(None),
                                               *self.view.where(target, tsql))  # only records the actor may read
                label = target.label
            elif f.type == "user":
                stmt = select(cf_users.c.id).where(cf_users.c.id.in_(sorted(wanted)))
                label = "user"
            else:
                stmt, label = None, "file"  # the actor's own uploads (files.attachable)
            if stmt is None:
                present = attachable(self.conn, self.view.actor, wanted)
                mark_attached(self.conn, self.view.actor, present, self.now)  # undone if the load fails
            else:
                present = set(self.conn.execute(stmt).scalars())
            found |= present
            missing = wanted - present
            if missing:
                errors[f.api_name] = [f"{label} {', '.join(map(str, sorted(missing)[:10]))} does not exist"]
        return errors
