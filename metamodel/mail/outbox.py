"""The outbox: every outgoing message is a row of ``cf_mail_outbox``, sent by the scheduler.

States::

    queued ──claim──> claimed ──> sending ──> sent
       ^                 │           │  └───> queued (temporary failure: retry later, with backoff)
       └── lease expired ┘           │  └───> failed (permanent failure, or too many attempts)
                                     └──────> unknown (the sender died while the server had it)

``queue`` adds a message (a ``key`` makes queueing idempotent: a second message with the
same key is not added). ``send_due(now)`` claims a batch (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL; SQLite's single writer serializes claims), then for each message commits
``sending`` before talking to the server and ``sent`` after it accepted, each in its own
transaction. So two senders never send one message, and a sender killed at any point leaves
its claimed messages to be claimed again once the lease ends — except the one message it
was handing to the server at that instant: whether the server got it cannot be known, so
it becomes ``unknown`` instead of being sent twice, and an administrator can send it again
from the admin page. Every attempt is written to ``cf_mail_log``.

Temporary failures (the server down, a 4xx answer, a dropped connection) are retried after
1, 2, 5, 10, 30 minutes, then hourly, up to ``MAX_ATTEMPTS``; a 5xx answer for a recipient
fails at once.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid

from sqlalchemy import and_, func, insert, select, update

from ..actors import Actor
from ..errors import BadQuery, NotFound
from ..ids import as_id
from ..storage.inserts import insert_ignoring_duplicates
from ..storage.messaging_tables import cf_mail_log, cf_mail_outbox, cf_mailing_recipients
from . import settings as mail_settings
from .transport import SendError, SmtpTransport, build_message

UTC = dt.timezone.utc
LEASE = dt.timedelta(minutes=10)
BACKOFF_MINUTES = (1, 2, 5, 10, 30, 60, 60, 120, 240)
MAX_ATTEMPTS = len(BACKOFF_MINUTES) + 1
BATCH = 100
STATES = ("queued", "claimed", "sending", "sent", "failed", "unknown", "cancelled")


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


def _ts(value):
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1])


class MessageNotFound(NotFound):
    code = "MAIL_NOT_FOUND"

    def __init__(self, message_id):
        super().__init__(f"No outgoing message #{message_id}.", {"message": message_id})


def queue(conn, now: dt.datetime, to: str, subject: str, text: str, *, html: str | None = None,
          key: str | None = None, source: str = "document", headers: dict | None = None, priority: int = 0,
          mailing_id: int | None = None) -> int | None:
    """Add a message in the caller's transaction; None when ``key`` was queued before."""
    values = dict(key=key, to_addr=to, subject=subject[:500], text=text, html=html, headers=headers, source=source,
                  mailing_id=mailing_id, priority=priority, state="queued", attempts=0, next_attempt_at=now,
                  created_at=now)
    if key is None:
        return conn.execute(insert(cf_mail_outbox).values(**values).returning(cf_mail_outbox.c.id)).scalar_one()
    return insert_ignoring_duplicates(conn, cf_mail_outbox, values)


class MailOutbox:
    def __init__(self, runtime, clock=utcnow, transport=SmtpTransport, holder: str | None = None):
        self.rt = runtime
        self.clock = clock
        self.transport = transport
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        #: tests set this to stop the process at a chosen point (see tests/mail)
        self.crash_hook = None

    # --- settings ------------------------------------------------------------------
    def settings(self) -> mail_settings.MailSettings:
        with self.rt.engine.connect() as conn:
            return mail_settings.load(conn, self.rt.settings)

    def save_settings(self, actor: Actor, changes: dict) -> dict:
        self.rt.access.check_admin(actor)
        with self.rt.engine.begin() as conn:
            return mail_settings.save(conn, self.rt.settings, changes).public()

    def send_test(self, actor: Actor, to: str) -> dict:
        """Send one message now (not queued), so the admin page can show what happened."""
        self.rt.access.check_admin(actor)
        from .addresses import normalized

        address = normalized(to)
        if address is None:
            raise BadQuery(f"{to!r} is not an email address.", {"field": "to"})
        settings = self.settings()
        message = build_message(settings, address, "Cardfile: test message",
                                "This is a test message from Cardfile. Mail works.")
        try:
            with self.transport(settings) as smtp:
                smtp.send(message)
        except SendError as exc:
            return {"ok": False, "error": str(exc)}
        return {"ok": True, "to": address}

    # --- queueing ------------------------------------------------------------------------
    def queue(self, to: str, subject: str, text: str, **kwargs) -> int | None:
        with self.rt.engine.begin() as conn:
            return queue(conn, self.clock(), to, subject, text, **kwargs)

    # --- sending ---------------------------------------------------------------------------
    def send_due(self, now: dt.datetime | None = None, limit: int = BATCH) -> dict:
        """Send what is due; returns counts (``sent``, ``retry``, ``failed``, ``unknown``)."""
        now = now or self.clock()
        report = {"sent": 0, "retry": 0, "failed": 0, "unknown": self.expire(now)}
        claimed = self._claim(now, limit)
        if not claimed:
            return report
        settings = self.settings()
        try:
            smtp = self.transport(settings).__enter__()
        except SendError as exc:  # the server is down: every claimed message waits and retries
            for row in claimed:
                report[self._failed(row, now, exc)] += 1
            return report
        try:
            for row in claimed:
                self._mark(row["id"], "claimed", state="sending", lease_until=now + LEASE)
                if self.crash_hook:
                    self.crash_hook("sending", row)
                message = build_message(settings, row["to_addr"], row["subject"], row["text"], row["html"],
                                        row["headers"])
                try:
                    smtp.send(message)
                except SendError as exc:
                    report[self._failed(row, now, exc, state="sending")] += 1
                    if smtp.smtp is None:  # the connection is gone: the rest go back to the queue
                        rest = [r for r in claimed if r["id"] > row["id"]]
                        for other in rest:
                            self._mark(other["id"], "claimed", state="queued", lease_until=None, holder=None)
                        break
                    continue
                if self.crash_hook:
                    self.crash_hook("accepted", row)
                with self.rt.engine.begin() as conn:
                    conn.execute(update(cf_mail_outbox).where(cf_mail_outbox.c.id == row["id"]).values(
                        state="sent", sent_at=now, lease_until=None, message_id=message["Message-ID"],
                        last_error=None))
                    conn.execute(update(cf_mailing_recipients).where(cf_mailing_recipients.c.outbox_id == row["id"])
                                 .values(state="sent", at=now))
                    conn.execute(insert(cf_mail_log).values(outbox_id=row["id"], at=now, event="sent",
                                                            detail=message["Message-ID"]))
                report["sent"] += 1
                if self.crash_hook:
                    self.crash_hook("sent", row)
        finally:
            smtp.close()
        return report

    def expire(self, now: dt.datetime) -> int:
        """Claims whose lease ended go back to the queue; a message left ``sending`` is unknown."""
        with self.rt.engine.begin() as conn:
            conn.execute(update(cf_mail_outbox).where(cf_mail_outbox.c.state == "claimed",
                                                      cf_mail_outbox.c.lease_until < now)
                         .values(state="queued", lease_until=None, holder=None))
            lost = conn.execute(select(cf_mail_outbox.c.id).where(cf_mail_outbox.c.state == "sending",
                                                                  cf_mail_outbox.c.lease_until < now)).scalars().all()
            if lost:
                conn.execute(update(cf_mail_outbox).where(cf_mail_outbox.c.id.in_(lost)).values(
                    state="unknown", lease_until=None,
                    last_error="The sender stopped while handing this message to the server; it may or may "
                               "not have been sent. Send it again if the recipient did not get it."))
                conn.execute(update(cf_mailing_recipients).where(cf_mailing_recipients.c.outbox_id.in_(lost))
                             .values(state="unknown", at=now))
                conn.execute(insert(cf_mail_log), [dict(outbox_id=i, at=now, event="unknown",
                                                        detail="the sender stopped while sending") for i in lost])
        return len(lost)

    def _claim(self, now: dt.datetime, limit: int) -> list:
        with self.rt.engine.begin() as conn:
            stmt = (select(cf_mail_outbox.c.id).where(cf_mail_outbox.c.state == "queued",
                                                      cf_mail_outbox.c.next_attempt_at <= now)
                    .order_by(cf_mail_outbox.c.priority, cf_mail_outbox.c.id).limit(limit))
            if conn.dialect.name == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            ids = conn.execute(stmt).scalars().all()
            if not ids:
                return []
            conn.execute(update(cf_mail_outbox).where(cf_mail_outbox.c.id.in_(ids), cf_mail_outbox.c.state == "queued")
                         .values(state="claimed", holder=self.holder, lease_until=now + LEASE,
                                 attempts=cf_mail_outbox.c.attempts + 1))
            return conn.execute(select(cf_mail_outbox).where(cf_mail_outbox.c.id.in_(ids),
                                                             cf_mail_outbox.c.holder == self.holder,
                                                             cf_mail_outbox.c.state == "claimed")
                                .order_by(cf_mail_outbox.c.id)).mappings().all()

    def _mark(self, outbox_id: int, expected: str, **values) -> None:
        with self.rt.engine.begin() as conn:
            conn.execute(update(cf_mail_outbox).where(cf_mail_outbox.c.id == outbox_id,
                                                      cf_mail_outbox.c.state == expected).values(**values))

    def _failed(self, row, now: dt.datetime, exc: SendError, state: str = "claimed") -> str:
        attempts = row["attempts"]
        final = exc.permanent or attempts >= MAX_ATTEMPTS
        outcome = "failed" if final else "retry"
        with self.rt.engine.begin() as conn:
            conn.execute(update(cf_mail_outbox).where(cf_mail_outbox.c.id == row["id"],
                                                      cf_mail_outbox.c.state == state).values(
                state="failed" if final else "queued", lease_until=None, holder=None, last_error=str(exc),
                next_attempt_at=now if final else now + backoff(attempts)))
            if final:
                conn.execute(update(cf_mailing_recipients).where(cf_mailing_recipients.c.outbox_id == row["id"])
                             .values(state="failed", reason=str(exc)[:500], at=now))
            conn.execute(insert(cf_mail_log).values(outbox_id=row["id"], at=now, event=outcome, detail=str(exc)))
        return outcome

    # --- the admin pages ------------------------------------------------------------------
    def counts(self, actor: Actor) -> dict:
        self.rt.access.check_admin(actor)
        with self.rt.engine.connect() as conn:
            rows = conn.execute(select(cf_mail_outbox.c.state, func.count()).group_by(cf_mail_outbox.c.state)).all()
        return {state: 0 for state in STATES} | dict(rows)

    def list(self, actor: Actor, state: str | None = None, page: int = 1, per_page: int = 50) -> dict:
        self.rt.access.check_admin(actor)
        if state is not None and state not in STATES + ("problems",):
            raise BadQuery(f"state is one of: {', '.join(STATES)}, problems.", {"state": state})
        where = []
        if state == "problems":
            where.append(cf_mail_outbox.c.state.in_(("failed", "unknown")) |
                         and_(cf_mail_outbox.c.state == "queued", cf_mail_outbox.c.attempts > 0))
        elif state is not None:
            where.append(cf_mail_outbox.c.state == state)
        with self.rt.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(cf_mail_outbox).where(*where)).scalar_one()
            rows = conn.execute(select(cf_mail_outbox).where(*where).order_by(cf_mail_outbox.c.id.desc())
                                .offset((page - 1) * per_page).limit(per_page)).mappings().all()
        return {"messages": [self.describe(r) for r in rows], "total": total, "page": page, "per_page": per_page}

    def log(self, actor: Actor, outbox_id) -> list[dict]:
        self.rt.access.check_admin(actor)
        oid = as_id(outbox_id)
        with self.rt.engine.connect() as conn:
            rows = conn.execute(select(cf_mail_log).where(cf_mail_log.c.outbox_id == oid)
                                .order_by(cf_mail_log.c.id)).mappings().all()
        return [{"at": _ts(r["at"]), "event": r["event"], "detail": r["detail"]} for r in rows]

    def resend(self, actor: Actor, outbox_id) -> dict:
        """Queue a failed or unknown message again (an administrator decided to)."""
        self.rt.access.check_admin(actor)
        oid = as_id(outbox_id)
        now = self.clock()
        with self.rt.engine.begin() as conn:
            done = conn.execute(update(cf_mail_outbox).where(cf_mail_outbox.c.id == oid,
                                                             cf_mail_outbox.c.state.in_(("failed", "unknown")))
                                .values(state="queued", attempts=0, next_attempt_at=now, last_error=None)).rowcount
            if not done:
                raise MessageNotFound(outbox_id)
            conn.execute(update(cf_mailing_recipients).where(cf_mailing_recipients.c.outbox_id == oid)
                         .values(state="queued", reason=None, at=now))
            conn.execute(insert(cf_mail_log).values(outbox_id=oid, at=now, event="resend",
                                                    detail=f"queued again by {actor.username}"))
        return {"id": oid, "state": "queued"}

    @staticmethod
    def describe(row) -> dict:
        return {"id": row["id"], "to": row["to_addr"], "subject": row["subject"], "source": row["source"],
                "mailing": row["mailing_id"], "state": row["state"], "attempts": row["attempts"],
                "next_attempt_at": _ts(row["next_attempt_at"]) if row["state"] == "queued" else None,
                "last_error": row["last_error"], "created_at": _ts(row["created_at"]),
                "sent_at": _ts(row["sent_at"])}
