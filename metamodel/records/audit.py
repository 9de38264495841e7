"""The audit log: one entry per change, with field-level ``old -> new`` in JSON form (a bulk
create or import writes one "create" entry per run of consecutive new ids; a forced retype
writes a "convert" entry for each record whose value it emptied)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, insert, or_, select

from ..storage.platform_tables import cf_audit, cf_users


def record(conn, table_id: int, record_id: int | None, action: str, user_id: int | None,
           changes: dict, version: int | None, at: dt.datetime) -> None:
    conn.execute(insert(cf_audit).values(table_id=table_id, record_id=record_id, action=action,
                                         user_id=user_id, changes=changes, version=version, at=at))


def record_many(conn, entries: list[dict]) -> None:
    if entries:
        conn.execute(insert(cf_audit), entries)


def runs_of(ids: list[int], runs: list[list[int]] | None = None) -> list[list[int]]:
    """The ids as runs of consecutive numbers, ``[first, last]`` each, appended to ``runs``
    (joined to its last run where they continue it)."""
    runs = [] if runs is None else runs
    if not ids:
        return runs
    first, last = min(ids), max(ids)
    pieces = [[first, last]] if last - first + 1 == len(ids) else [[i, i] for i in sorted(ids)]
    for piece in pieces:
        if runs and piece[0] == runs[-1][1] + 1:
            runs[-1][1] = piece[1]
        else:
            runs.append(piece)
    return runs


def record_created(conn, table_id: int, runs: list[list[int]], user_id: int | None, changes: dict,
                   at: dt.datetime) -> None:
    """The "create" entries (version 1) of records inserted in bulk: one entry per run of
    consecutive ids (``record_id`` to ``last_record_id``, see ``runs_of``), which each
    record's history reads like an entry of its own."""
    record_many(conn, [dict(table_id=table_id, record_id=first, last_record_id=last if last > first else None,
                            action="create", user_id=user_id, changes=changes, version=1, at=at)
                       for first, last in runs])


def history(conn, table_id: int, record_id: int, since_version: int | None = None) -> list[dict]:
    stmt = (select(cf_audit, cf_users.c.username, cf_users.c.name)
            .join(cf_users, cf_users.c.id == cf_audit.c.user_id, isouter=True)
            .where(cf_audit.c.table_id == table_id,
                   or_(cf_audit.c.record_id == record_id,  # its own entries, or a run that covers it
                       and_(cf_audit.c.last_record_id >= record_id, cf_audit.c.record_id < record_id)))
            .order_by(cf_audit.c.id))
    if since_version is not None:
        stmt = stmt.where(cf_audit.c.version > since_version)
    result = []
    for row in conn.execute(stmt).mappings():
        if row["action"] == "purge":  # an earlier record of this id, deleted for good
            result = []
            continue
        result.append({
            "at": row["at"].isoformat().replace("+00:00", "Z"), "action": row["action"],
            "version": row["version"],
            "user": None if row["user_id"] is None else {
                "id": row["user_id"], "display": row["name"] or row["username"]},
            "changes": row["changes"],
        })
    return result


def record_losses(conn, sql_table, table, old, new, losses: list[dict], actor) -> None:
    """A forced retype that emptied values: one "convert" entry per record that lost its
    value, with the value as it was, the reason and the two types (under ``_conversion``),
    so the record's history says what happened to it. The record's version is unchanged."""
    if not losses:
        return
    ids = [loss["id"] for loss in losses]
    versions: dict[int, int] = {}
    for start in range(0, len(ids), 500):
        rows = conn.execute(select(sql_table.c.id, sql_table.c.version)
                            .where(sql_table.c.id.in_(ids[start:start + 500])))
        versions.update({row[0]: row[1] for row in rows})
    at = dt.datetime.now(dt.timezone.utc)
    record_many(conn, [dict(
        table_id=table.id, record_id=loss["id"], action="convert", user_id=getattr(actor, "id", None),
        changes={old.api_name: [loss["value"], None],
                 "_conversion": {"field": old.api_name, "from": old.type, "to": new.type,
                                 "reason": loss["reason"]}},
        version=versions.get(loss["id"]), at=at) for loss in losses])
