"""The imports journal as a list: the latest imports into one table (the browser's imports
history). Reading one import and reverting it stay in ``batch.py``."""

from __future__ import annotations

from sqlalchemy import select

from ..storage.platform_tables import cf_imports, cf_users
from .batch import describe_import


def list_imports(service, actor, table_name: str, limit: int = 100) -> list[dict]:
    """The latest imports into ``table_name``, newest first, with who ran them: all of
    them for an administrator, one's own for anyone else (as ``batch.get_import``)."""
    actor = service.access.require_active(actor)
    with service.engine.connect() as conn:
        snap, table = service._table(conn, table_name)
        service.access.check_table(actor, table, "read")
        q = (select(cf_imports, cf_users.c.username, cf_users.c.name.label("user_name"))
             .outerjoin(cf_users, cf_users.c.id == cf_imports.c.user_id)
             .where(cf_imports.c.table_id == table.id))
        if not actor.is_admin:
            q = q.where(cf_imports.c.user_id == actor.id)
        rows = conn.execute(q.order_by(cf_imports.c.id.desc()).limit(limit)).mappings().all()
    return [{**describe_import(r), "table": table.api_name,
             "user": {"id": r["user_id"], "display": r["user_name"] or r["username"]} if r["user_id"] else None}
            for r in rows]
