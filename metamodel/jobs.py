"""Scheduled jobs and the lock that lets one scheduler work at a time.

    reminders   every minute: ``ReminderEngine.tick``
    mailings    every minute: queue the next messages of running mailings (the rate)
    mail        every half minute: ``MailOutbox.send_due`` (retries, backoff)
    backup      nightly: ``backup.make_backup`` (kept: ``Settings.backup_keep``)
    trash       nightly: ``RecordService.purge_expired`` (records in the trash longer
                than ``Settings.trash_days`` days are deleted for good)

``Jobs.run(name, now)`` runs one job under its lock and records the run in ``cf_jobs``
(last start, last end, last error: the admin pages show them). The lock:

* **PostgreSQL**: a session advisory lock (``pg_try_advisory_lock``) held on a connection
  of its own for the length of the run; a process that dies loses its connection, and
  with it the lock, at once.
* **SQLite**: a lease in ``cf_jobs`` taken in a write transaction (SQLite has one writer at
  a time): the holder and until when; a lease left by a dead process ends by itself.

When the lock is taken, the run is skipped: the other scheduler is doing that job, and the
next run covers whatever it did not. The lock only saves work — correctness does not rest
on it: every job is safe to run twice at once (a reminder is claimed by a unique key, a
message by ``SKIP LOCKED`` and its state), which the exactly-once tests check by running
two schedulers without it.

Time comes from ``clock`` (tests move it; nothing sleeps).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import traceback
import uuid
import zlib

from sqlalchemy import insert, select, update

from .storage.messaging_tables import cf_jobs

UTC = dt.timezone.utc
LEASE = dt.timedelta(minutes=10)
JOB_NAMES = ("reminders", "mailings", "mail", "backup", "trash")


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


class JobLock:
    """``with JobLock(...) as held:`` — ``held`` is False when another process has the job."""

    def __init__(self, engine, name: str, holder: str, now: dt.datetime, schema: str | None = None):
        self.engine = engine
        self.name = name
        self.holder = holder
        self.now = now
        self.key = zlib.crc32(f"cardfile:{schema or ''}:{name}".encode())  # an int4, as PostgreSQL wants
        self.conn = None
        self.held = False

    def __enter__(self) -> bool:
        if self.engine.dialect.name == "postgresql":
            self.conn = self.engine.connect()
            self.held = bool(self.conn.exec_driver_sql("SELECT pg_try_advisory_lock(%s)", (self.key,)).scalar())
            self.conn.commit()
            if not self.held:
                self.conn.close()
                self.conn = None
            return self.held
        with self.engine.begin() as conn:  # BEGIN IMMEDIATE: one writer decides
            _ensure_row(conn, self.name)
            taken = conn.execute(update(cf_jobs).where(
                cf_jobs.c.name == self.name,
                (cf_jobs.c.holder.is_(None)) | (cf_jobs.c.lease_until < self.now) | (cf_jobs.c.holder == self.holder))
                .values(holder=self.holder, lease_until=self.now + LEASE)).rowcount
        self.held = taken == 1
        return self.held

    def __exit__(self, *exc) -> None:
        if not self.held:
            return
        if self.conn is not None:
            try:
                self.conn.exec_driver_sql("SELECT pg_advisory_unlock(%s)", (self.key,))
                self.conn.commit()
            finally:
                self.conn.close()
                self.conn = None
            return
        with self.engine.begin() as conn:
            conn.execute(update(cf_jobs).where(cf_jobs.c.name == self.name, cf_jobs.c.holder == self.holder)
                         .values(holder=None, lease_until=None))


def _ensure_row(conn, name: str) -> None:
    if conn.execute(select(cf_jobs.c.name).where(cf_jobs.c.name == name)).first() is None:
        conn.execute(insert(cf_jobs).values(name=name, runs=0))


class Jobs:
    """The scheduler's jobs over one runtime; ``use_lock=False`` only in tests."""

    def __init__(self, runtime, secret: str, clock=utcnow, holder: str | None = None, use_lock: bool = True):
        from .mail import MailOutbox
        from .mail.mailings import MailingService
        from .reminders import ReminderEngine

        self.rt = runtime
        self.clock = clock
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.use_lock = use_lock
        self.reminders = ReminderEngine(runtime, clock=clock)
        self.outbox = MailOutbox(runtime, clock=clock, holder=self.holder)
        self.mailings = MailingService(runtime, secret, clock=clock)

    def run(self, name: str, now: dt.datetime | None = None):
        """Run one job now; its result, or None when another scheduler holds it."""
        if name not in JOB_NAMES:
            raise ValueError(f"No job {name!r}; jobs: {', '.join(JOB_NAMES)}.")
        now = now or self.clock()
        if not self.use_lock:
            return self._call(name, now)
        with JobLock(self.rt.engine, name, self.holder, now, self.rt.settings.db_schema) as held:
            if not held:
                return None
            self._record(name, last_started_at=now, holder=self.holder)
            try:
                result = self._call(name, now)
            except Exception:  # noqa: BLE001 - a failing job is recorded and tried again next time
                self._record(name, last_error=traceback.format_exc(limit=5)[-4000:])
                raise
            self._record(name, last_finished_at=self.clock(), last_error=None, runs=cf_jobs.c.runs + 1)
            return result

    def run_all(self, now: dt.datetime | None = None) -> dict:
        now = now or self.clock()
        return {name: self.run(name, now) for name in ("reminders", "mailings", "mail")}

    def _call(self, name: str, now: dt.datetime):
        if name == "reminders":
            return self.reminders.tick(now)
        if name == "mailings":
            return self.mailings.run(now)
        if name == "mail":
            return self.outbox.send_due(now)
        if name == "trash":  # records trashed more than CARDFILE_TRASH_DAYS days ago
            return self.rt.records.purge_expired(self.rt.settings.trash_days, now)
        from .backup import make_backup

        return make_backup(self.rt.settings, now)

    def _record(self, name: str, **values) -> None:
        with self.rt.engine.begin() as conn:
            _ensure_row(conn, name)
            if self.rt.engine.dialect.name == "postgresql":
                values.pop("holder", None)  # the advisory lock is the holder
            conn.execute(update(cf_jobs).where(cf_jobs.c.name == name).values(**values))

    def status(self) -> list[dict]:
        with self.rt.engine.connect() as conn:
            rows = {r["name"]: r for r in conn.execute(select(cf_jobs)).mappings()}
        out = []
        for name in JOB_NAMES:
            row = rows.get(name) or {}
            out.append({"name": name, "runs": row.get("runs") or 0,
                        "last_started_at": _ts(row.get("last_started_at")),
                        "last_finished_at": _ts(row.get("last_finished_at")),
                        "last_error": row.get("last_error")})
        return out


def _ts(value):
    return None if value is None else value.isoformat().replace("+00:00", "Z")
