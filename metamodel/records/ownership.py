"""Reassign owner: move every record of one user to another, in one transaction, audited.

``RecordService.reassign_owner`` (administrators only). What moves is the records' owner, or
with ``field`` a user field of one table (the clients' account manager, say). Each moved
record gets a new version and an audit entry ``owner: [old, new]`` (or the field's name);
formulas that read the moved value are recomputed; the security log gets one entry with
the counts. Without filters, trashed records move too (a restore gives them to the new
user); with ``filters`` (one table only), the live records that match them move.
"""

from __future__ import annotations

from sqlalchemy import and_, select, update

from ..errors import BadQuery, InvalidDefinition, NotFound
from ..formulas.propagate import Pass
from ..storage import names
from ..security_log import SecurityLog
from ..storage.platform_tables import cf_users
from . import bulk
from .query import ListQuery, build_where
from ..storage.platform_tables import cf_audit


def reassign_owner(service, actor, from_user: str, to_user: str, tables: list[str] | None = None,
                   filters: list | None = None, field: str | None = None) -> dict:
    service.access.check_admin(actor)
    field = None if field in (None, "", "owner") else field
    if (filters or field) and (not tables or len(tables) != 1):
        raise BadQuery("Filters and a user field need exactly one table." if filters or not field
                       else f"Name the table of the user field {field!r}.", {"tables": tables or []})
    now = service.clock()
    with service.engine.begin() as conn:
        source, target = _user(conn, from_user), _user(conn, to_user)
        if source["id"] == target["id"]:
            raise InvalidDefinition("Choose two different users.", {"from": from_user, "to": to_user})
        if not target["is_active"]:
            raise InvalidDefinition(f"{to_user!r} is disabled; records can only go to an active user.",
                                    {"to": to_user})
        snap = service.catalog.current(conn)
        chosen = [snap.table(name) for name in tables] if tables else snap.live_tables()
        moved: dict[str, int] = {}
        fs = service.computed.formulas(conn, snap)
        for table in chosen:
            sql = snap.sql_table(table)
            key, column = _column(table, sql, field)
            where = [column == source["id"]]
            if filters:
                where += build_where(service.registry, snap, table, sql, ListQuery(filters=list(filters)))
            rows = conn.execute(select(sql.c.id, sql.c.version).where(and_(*where)).order_by(sql.c.id)).all()
            if not rows:
                continue
            ids = [r[0] for r in rows]
            for start in range(0, len(ids), 1000):
                chunk = ids[start:start + 1000]
                conn.execute(update(sql).where(sql.c.id.in_(chunk)).values(
                    {column.name: target["id"], "version": sql.c.version + 1, "updated_at": now,
                     "updated_by": actor.id}))
            bulk.executemany(conn, cf_audit, [dict(
                table_id=table.id, record_id=record_id, action="update", user_id=actor.id,
                changes={key: [source["id"], target["id"]]}, version=version + 1, at=now)
                for record_id, version in rows])
            moved[table.api_name] = len(ids)
            if fs.fields:  # formulas reading the moved value (``owner == me``, ``client.manager``)
                run = Pass(conn, fs, me=actor)
                for record_id in ids:
                    run.touched(table, record_id, fields=[key])
                run.run()
        total = sum(moved.values())
        SecurityLog.write(conn, "owner_reassigned", user_id=source["id"], username=source["username"],
                          actor_id=actor.id, details={"to": target["username"], "to_id": target["id"],
                                                      "field": field or "owner",
                                                      "moved": moved, "filters": [list(f) for f in filters or []]})
    return {"from": source["username"], "to": target["username"], "moved": moved, "total": total}


def _column(table, sql, field: str | None):
    """(the audit's name, the column) of what moves: ``owner`` or the table's user field."""
    if field is None:
        return "owner", sql.c.owner
    f = table.field(field)
    if f is None or f.type != "user":
        raise InvalidDefinition(f"{table.label!r} has no user field {field!r}; choose the owner or one of "
                                f"its user fields.", {"table": table.api_name, "field": field})
    return f.api_name, sql.c[names.column_name(f.id)]


def _user(conn, username: str):
    row = conn.execute(select(cf_users).where(cf_users.c.username == username)).mappings().first()
    if row is None:
        raise NotFound(f"No user {username!r}.", {"username": username})
    return row
