"""Reassign owner: move every record of one user to another, in one transaction, audited.

``RecordService.reassign_owner`` (administrators only). Each moved record gets a new version
and an audit entry ``owner: [old, new]``; the security log gets one entry with the counts.
Without filters, trashed records move too (a restore gives them to the new owner); with
``filters`` (one table only), the live records that match them move.
"""

from __future__ import annotations

from sqlalchemy import and_, select, update

from ..errors import BadQuery, InvalidDefinition, NotFound
from ..security_log import SecurityLog
from ..storage.platform_tables import cf_users
from . import bulk
from .query import ListQuery, build_where
from ..storage.platform_tables import cf_audit


def reassign_owner(service, actor, from_user: str, to_user: str, tables: list[str] | None = None,
                   filters: list | None = None) -> dict:
    service.access.check_admin(actor)
    if filters and (not tables or len(tables) != 1):
        raise BadQuery("Filters need exactly one table.", {"tables": tables or []})
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
        for table in chosen:
            sql = snap.sql_table(table)
            where = [sql.c.owner == source["id"]]
            if filters:
                where += build_where(service.registry, snap, table, sql, ListQuery(filters=list(filters)))
            rows = conn.execute(select(sql.c.id, sql.c.version).where(and_(*where)).order_by(sql.c.id)).all()
            if not rows:
                continue
            ids = [r[0] for r in rows]
            for start in range(0, len(ids), 1000):
                chunk = ids[start:start + 1000]
                conn.execute(update(sql).where(sql.c.id.in_(chunk)).values(
                    owner=target["id"], version=sql.c.version + 1, updated_at=now, updated_by=actor.id))
            bulk.executemany(conn, cf_audit, [dict(
                table_id=table.id, record_id=record_id, action="update", user_id=actor.id,
                changes={"owner": [source["id"], target["id"]]}, version=version + 1, at=now)
                for record_id, version in rows])
            moved[table.api_name] = len(ids)
        total = sum(moved.values())
        SecurityLog.write(conn, "owner_reassigned", user_id=source["id"], username=source["username"],
                          actor_id=actor.id, details={"to": target["username"], "to_id": target["id"],
                                                      "moved": moved, "filters": [list(f) for f in filters or []]})
    return {"from": source["username"], "to": target["username"], "moved": moved, "total": total}


def _user(conn, username: str):
    row = conn.execute(select(cf_users).where(cf_users.c.username == username)).mappings().first()
    if row is None:
        raise NotFound(f"No user {username!r}.", {"username": username})
    return row
