"""The security log (sign-ins, failed sign-ins, lockouts, user, group and permission changes)
and the table-backed sign-in throttle.

    SecurityLog.write(conn, event, …)   one entry, inside the caller's transaction
    SecurityLog.list(actor, …)          newest first; administrators only
    LoginThrottle                       failures per username and per client address in a
                                        window; too many lock both out for a while

The throttle keys on the name as typed (folded), whether or not such a user exists, so a
lockout says nothing about which usernames are real; the message is the same for all.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, select, update

from .errors import CardfileError
from .storage.platform_tables import cf_login_attempts, cf_security_log

EVENTS = (
    "login", "login_failed", "login_locked", "logout", "password_changed", "user_created",
    "user_disabled", "user_enabled", "user_changed", "token_created", "token_revoked",
    "group_created", "group_changed", "group_deleted", "membership_changed",
    "permission_changed", "owner_reassigned", "view_as_started", "view_as_stopped",
    "sessions_ended",
)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class TooManyAttempts(CardfileError):
    code = "TOO_MANY_ATTEMPTS"


class SecurityLog:
    def __init__(self, engine, access):
        self.engine = engine
        self.access = access

    @staticmethod
    def write(conn, event: str, *, user_id: int | None = None, username: str | None = None,
              actor_id: int | None = None, source: str | None = None, details: dict | None = None,
              at: dt.datetime | None = None) -> None:
        if event not in EVENTS:
            raise ValueError(f"Unknown security event {event!r}.")
        conn.execute(insert(cf_security_log).values(
            at=at or utcnow(), event=event, user_id=user_id, username=(username or None) and username[:150],
            actor_id=actor_id, source=(source or None) and source[:100], details=details or {}))

    def record(self, event: str, **kwargs) -> None:
        """One entry in its own transaction."""
        with self.engine.begin() as conn:
            self.write(conn, event, **kwargs)

    def list(self, actor, *, event: str | None = None, user_id: int | None = None,
             limit: int = 100, before_id: int | None = None) -> list[dict]:
        self.access.check_admin(actor)
        stmt = select(cf_security_log).order_by(cf_security_log.c.id.desc()).limit(max(1, min(int(limit), 1000)))
        if event:
            stmt = stmt.where(cf_security_log.c.event == event)
        if user_id is not None:
            stmt = stmt.where(cf_security_log.c.user_id == user_id)
        if before_id is not None:
            stmt = stmt.where(cf_security_log.c.id < before_id)
        with self.engine.connect().execution_options(cf_readonly=True) as conn, conn.begin():
            rows = conn.execute(stmt).mappings().all()
        return [{"id": r["id"], "at": r["at"].isoformat().replace("+00:00", "Z"), "event": r["event"],
                 "user_id": r["user_id"], "username": r["username"], "actor_id": r["actor_id"],
                 "source": r["source"], "details": r["details"]} for r in rows]


class LoginThrottle:
    """``max_failures`` failures within ``window`` lock the key for ``lockout``."""

    def __init__(self, max_failures: int = 5, window: dt.timedelta = dt.timedelta(minutes=15),
                 lockout: dt.timedelta = dt.timedelta(minutes=15), per_address: int = 20):
        self.max_failures = max_failures
        self.per_address = per_address
        self.window = window
        self.lockout = lockout

    @staticmethod
    def keys(username: str, source: str | None) -> list[str]:
        keys = ["user:" + (username or "").strip().casefold()[:190]]
        if source:
            keys.append("ip:" + source[:190])
        return keys

    def check(self, conn, keys: list[str], now: dt.datetime) -> None:
        """Raise TooManyAttempts while any key is locked."""
        rows = conn.execute(select(cf_login_attempts).where(cf_login_attempts.c.key.in_(keys))).mappings()
        for row in rows:
            if row["locked_until"] is not None and row["locked_until"] > now:
                minutes = max(1, int((row["locked_until"] - now).total_seconds() // 60) + 1)
                raise TooManyAttempts(
                    f"Too many failed sign-ins. Try again in {minutes} minute(s).",
                    {"retry_after": int((row["locked_until"] - now).total_seconds()) + 1})

    def failed(self, conn, keys: list[str], now: dt.datetime) -> bool:
        """Count a failure for each key; True when this failure locked one of them."""
        locked = False
        for key in keys:
            limit = self.per_address if key.startswith("ip:") else self.max_failures
            row = conn.execute(select(cf_login_attempts).where(cf_login_attempts.c.key == key)).mappings().first()
            if row is None or row["first_at"] + self.window < now:
                values = dict(failures=1, first_at=now, locked_until=None)
                if row is None:
                    conn.execute(insert(cf_login_attempts).values(key=key, **values))
                else:
                    conn.execute(update(cf_login_attempts).where(cf_login_attempts.c.key == key).values(**values))
                failures = 1
            else:
                failures = row["failures"] + 1
                conn.execute(update(cf_login_attempts).where(cf_login_attempts.c.key == key)
                             .values(failures=failures))
            if failures >= limit:
                conn.execute(update(cf_login_attempts).where(cf_login_attempts.c.key == key)
                             .values(locked_until=now + self.lockout, failures=0, first_at=now))
                locked = True
        return locked

    @staticmethod
    def succeeded(conn, username: str) -> None:
        conn.execute(delete(cf_login_attempts).where(
            cf_login_attempts.c.key == "user:" + (username or "").strip().casefold()[:190]))
