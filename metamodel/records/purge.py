"""Emptying the trash: records deleted for good.

    purge          one table's trash (every trashed record, or those trashed before a time),
                   or one trashed record; needs the table's ``purge`` permission and takes
                   only the records within its row scope
    purge_expired  the scheduled purge: every table's records trashed more than N days ago

What goes with a record: its line items (all of them), and the links other records hold
to it (emptied: a link to a record in the trash already reads as empty in formulas, so no
computed value changes; each such record gets a new version and an audit entry naming the
emptied link). The audit log keeps every entry of a purged record and gains a ``purge``
entry (one per run of consecutive ids), so what happened stays on record; a record's
history reads only entries after the last ``purge`` of its id. On SQLite user tables are
created with AUTOINCREMENT, so an id is never given out again; PostgreSQL's sequences never
repeat one. Line items removed from a record (trashed on their own) go with the table's
trash too.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update

from ..actors import Actor
from ..catalog import Snapshot
from ..errors import BadQuery, RecordNotFound
from ..model import TableDef
from ..storage import names
from . import audit

CHUNK = 1000


def purge(service, actor: Actor, table_name: str, record_id: int | None = None,
          before: dt.datetime | None = None) -> dict:
    """``RecordService.purge``: one trashed record (``record_id``) or the table's trash
    (everything, or what was trashed before ``before``)."""
    with service.engine.begin() as conn:
        snap, table = service._table(conn, table_name)
        if table.is_child:
            raise BadQuery("Line items leave the trash with their record: empty the trash of "
                           f"{snap.parent_of(table)[0].label!r}.", {"table": table.api_name})
        view = service.access.view(actor, snap, conn)
        view.check(table, "purge")
        sql = snap.sql_table(table)
        where = [sql.c.deleted_at.is_not(None), *view.where(table, sql, "purge")]
        if before is not None:
            where.append(sql.c.deleted_at < before)
        if record_id is not None:
            from .service import _as_id
            wanted = _as_id(record_id, table)
            row = conn.execute(select(sql.c.id, sql.c.deleted_at).where(sql.c.id == wanted)).first()
            if row is None or row.deleted_at is None:
                raise RecordNotFound(table.api_name, record_id)  # only a record in the trash
            view.require_reach(conn, table, wanted, "purge")
            where.append(sql.c.id == wanted)
        ids = list(conn.execute(select(sql.c.id).where(*where).order_by(sql.c.id)).scalars())
        now = service.clock()
        result = purge_rows(conn, snap, table, ids, actor.id, now)
        if record_id is None:
            result["lines"] += purge_removed_lines(conn, snap, table, before, view, now)
        return result


def purge_expired(service, days: int, now: dt.datetime | None = None) -> dict:
    """The scheduled purge: in every table, the records trashed more than ``days`` days ago
    (and line items removed from records that long ago). Nobody acts: the audit entries have
    no user. Returns table API name -> records purged (tables with none left out)."""
    if days is None or int(days) <= 0:
        return {}
    now = now or service.clock()
    before = now - dt.timedelta(days=int(days))
    done = {}
    with service.engine.begin() as conn:
        snap = service.catalog.current(conn)
        for table in snap.live_tables():
            sql = snap.sql_table(table)
            ids = list(conn.execute(select(sql.c.id).where(sql.c.deleted_at < before)
                                    .order_by(sql.c.id)).scalars())
            result = purge_rows(conn, snap, table, ids, None, now)
            result["lines"] += purge_removed_lines(conn, snap, table, before, now=now)
            if result["purged"] or result["lines"]:
                done[table.api_name] = result["purged"]
    return done


def purge_rows(conn, snap: Snapshot, table: TableDef, ids: list[int], user_id: int | None,
               now: dt.datetime) -> dict:
    """Delete ``ids`` of ``table`` for good with their line items, emptying links to them."""
    result = {"table": table.api_name, "purged": len(ids), "lines": 0, "links_emptied": 0}
    if not ids:
        return result
    sql = snap.sql_table(table)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        for f in table.all_fields:
            if f.type == "lines" and int(f.options.get("table_id") or 0) in snap.tables:
                child = snap.child_table(f)
                result["lines"] += _delete_lines(conn, snap, child, chunk, user_id, now)
        result["links_emptied"] += _empty_links(conn, snap, table, chunk, user_id, now)
        conn.execute(delete(sql).where(sql.c.id.in_(chunk)))
    audit.record_many(conn, [dict(table_id=table.id, record_id=first, last_record_id=last if last > first else None,
                                  action="purge", user_id=user_id, changes={}, version=None, at=now)
                             for first, last in audit.runs_of(ids)])
    return result


def purge_removed_lines(conn, snap: Snapshot, table: TableDef, before: dt.datetime | None = None,
                        view=None, now: dt.datetime | None = None) -> int:
    """Line items trashed on their own (removed from a record), for good."""
    count = 0
    for f in table.all_fields:
        if f.type != "lines" or int(f.options.get("table_id") or 0) not in snap.tables:
            continue
        child = snap.child_table(f)
        csql = snap.sql_table(child)
        where = [csql.c.deleted_at.is_not(None)]
        if before is not None:
            where.append(csql.c.deleted_at < before)
        if view is not None:
            where += view.where(child, csql, "purge")
        ids = list(conn.execute(select(csql.c.id).where(*where)).scalars())
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            _empty_links(conn, snap, child, chunk, None, now or dt.datetime.now(dt.timezone.utc))
            count += conn.execute(delete(csql).where(csql.c.id.in_(chunk))).rowcount
    return count


def _delete_lines(conn, snap: Snapshot, child: TableDef, parent_ids: list[int], user_id, now) -> int:
    """The line items of ``parent_ids`` (in any state), deleted."""
    csql = snap.sql_table(child)
    line_ids = list(conn.execute(select(csql.c.id).where(csql.c.parent_id.in_(parent_ids))).scalars())
    if line_ids:
        _empty_links(conn, snap, child, line_ids, user_id, now)
        conn.execute(delete(csql).where(csql.c.id.in_(line_ids)))
    return len(line_ids)


def _empty_links(conn, snap: Snapshot, target: TableDef, ids: list[int], user_id, now) -> int:
    """Links of any table (its trashed fields and records too) pointing at ``ids`` of
    ``target``: emptied, with a new version and, for records (not line items), an audit
    entry holding the emptied link."""
    emptied = 0
    for table in snap.tables.values():
        for f in table.all_fields:
            if f.type != "link" or int(f.options.get("target_id") or 0) != target.id:
                continue
            sql = snap.sql_table(table)
            column = sql.c[names.column_name(f.id)]
            rows = conn.execute(select(sql.c.id, sql.c.version, column).where(column.in_(ids))).all()
            if not rows:
                continue
            conn.execute(update(sql).where(sql.c.id.in_([r.id for r in rows])).values(
                {column.name: None, "version": sql.c.version + 1}))
            if not table.is_child:
                audit.record_many(conn, [dict(table_id=table.id, record_id=r.id, action="update",
                                              user_id=user_id, version=r.version + 1, at=now,
                                              changes={f.api_name: [r[2], None], "purged_link": [None, True]})
                                         for r in rows])
            emptied += len(rows)
    return emptied

