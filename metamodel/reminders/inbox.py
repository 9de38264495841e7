"""The inbox: reminders delivered to one user (``cf_inbox``).

``unread_count`` (the bell), ``list`` (unread or all; snoozed items come back when their
time is up), ``mark_read`` / ``mark_unread``, ``snooze`` (until a time: the item leaves the
unread list and the count until then) and ``mark_all_read``. A user sees and changes only
their own items. An item links to its record; opening it goes through the record service
like any other page, so access is checked again then.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, func, or_, select, update

from ..actors import Actor
from ..errors import BadQuery, NotFound
from ..ids import as_id
from ..storage.messaging_tables import cf_inbox

UTC = dt.timezone.utc
MAX_SNOOZE = dt.timedelta(days=366)


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


def _ts(value):
    return None if value is None else value.isoformat().replace("+00:00", "Z")


class ItemNotFound(NotFound):
    code = "INBOX_ITEM_NOT_FOUND"

    def __init__(self, item_id):
        super().__init__(f"No inbox item #{item_id}.", {"item": item_id})


class Inbox:
    def __init__(self, runtime, clock=utcnow):
        self.rt = runtime
        self.clock = clock

    def _unread(self, now):
        return and_(cf_inbox.c.read_at.is_(None),
                    or_(cf_inbox.c.snoozed_until.is_(None), cf_inbox.c.snoozed_until <= now))

    def unread_count(self, actor: Actor) -> int:
        self.rt.access.require_active(actor)
        with self.rt.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(cf_inbox).where(
                cf_inbox.c.user_id == actor.id, self._unread(self.clock()))).scalar_one()

    def list(self, actor: Actor, show: str = "unread", page: int = 1, per_page: int = 50) -> dict:
        """``show``: ``unread`` (not read, not snoozed), ``snoozed`` or ``all``; newest first."""
        self.rt.access.require_active(actor)
        if show not in ("unread", "snoozed", "all"):
            raise BadQuery("show is one of: unread, snoozed, all.", {"show": show})
        if page < 1 or not 1 <= per_page <= 200:
            raise BadQuery("page must be ≥ 1 and per_page between 1 and 200.", {})
        now = self.clock()
        where = [cf_inbox.c.user_id == actor.id]
        if show == "unread":
            where.append(self._unread(now))
        elif show == "snoozed":
            where += [cf_inbox.c.read_at.is_(None), cf_inbox.c.snoozed_until > now]
        with self.rt.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(cf_inbox).where(*where)).scalar_one()
            rows = conn.execute(select(cf_inbox).where(*where)
                                .order_by(func.coalesce(cf_inbox.c.due_at, cf_inbox.c.created_at).desc(),
                                          cf_inbox.c.id.desc())
                                .offset((page - 1) * per_page).limit(per_page)).mappings().all()
            unread = conn.execute(select(func.count()).select_from(cf_inbox).where(
                cf_inbox.c.user_id == actor.id, self._unread(now))).scalar_one()
        snap = self.rt.schema.snapshot()
        return {"items": [self.describe(r, snap, now) for r in rows], "total": total, "unread": unread,
                "page": page, "per_page": per_page}

    def describe(self, row, snap, now) -> dict:
        table = snap.tables.get(row["table_id"]) if row["table_id"] else None
        return {"id": row["id"], "title": row["title"], "body": row["body"],
                "table": table.api_name if table is not None and table.live else None,
                "table_label": table.label if table is not None else None,
                "record": row["record_id"], "items": row["items"], "due_at": _ts(row["due_at"]),
                "late": bool(row["late"]), "created_at": _ts(row["created_at"]), "read_at": _ts(row["read_at"]),
                "snoozed_until": _ts(row["snoozed_until"]) if row["snoozed_until"] and row["snoozed_until"] > now
                else None, "rule": row["rule_id"]}

    def mark(self, actor: Actor, item_id, read: bool = True) -> dict:
        return self._change(actor, item_id, read_at=self.clock() if read else None, snoozed_until=None)

    def snooze(self, actor: Actor, item_id, until: dt.datetime) -> dict:
        now = self.clock()
        if until.tzinfo is None:
            raise BadQuery("Give the time with its zone, e.g. 2026-05-12T09:00:00Z.", {"field": "until"})
        if until <= now or until - now > MAX_SNOOZE:
            raise BadQuery("Snooze until a time in the future (within a year).", {"field": "until"})
        return self._change(actor, item_id, read_at=None, snoozed_until=until)

    def mark_all_read(self, actor: Actor) -> dict:
        self.rt.access.require_active(actor)
        now = self.clock()
        with self.rt.engine.begin() as conn:
            done = conn.execute(update(cf_inbox).where(cf_inbox.c.user_id == actor.id, self._unread(now))
                                .values(read_at=now)).rowcount
        return {"marked": done}

    def _change(self, actor: Actor, item_id, **values) -> dict:
        self.rt.access.require_active(actor)
        iid = as_id(item_id)
        if iid is None:
            raise ItemNotFound(item_id)
        with self.rt.engine.begin() as conn:
            changed = conn.execute(update(cf_inbox).where(cf_inbox.c.id == iid, cf_inbox.c.user_id == actor.id)
                                   .values(**values)).rowcount
            if not changed:
                raise ItemNotFound(item_id)
            row = conn.execute(select(cf_inbox).where(cf_inbox.c.id == iid)).mappings().one()
        return self.describe(row, self.rt.schema.snapshot(), self.clock())
