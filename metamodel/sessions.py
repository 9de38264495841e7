"""Browser sign-in sessions kept on the server (``cf_sessions``), so that they end at once.

The session cookie carries a random secret; the table keeps only its SHA-256, with the
user, when the session started and when it was last seen. A cookie whose row is gone is
signed out at its next request. Rows go away when the user signs out, when their password
changes, when they are disabled, when an administrator signs them out everywhere, and
(when someone signs in) once they have been idle for longer than the idle limit.

    new_secret()                       a fresh secret for the cookie (every sign-in: rotation)
    insert_session(conn, secret, …)    remember a session
    lookup(conn, secret, columns)      its row joined with the user's columns, or None
    touch(engine, id, last_seen, now)  refresh "last seen" at most once per ``TOUCH_STEP``
    end(conn, secret)                  end one session
    end_all(conn, user_id)             end every session of a user; returns how many
    purge_idle(conn, before)           forget sessions last seen before ``before``
    counts(conn)                       open sessions per user id

``UserService`` (users.py) builds the sign-in operations on these; nothing here knows HTTP.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, func, insert, select, update

from .storage.platform_tables import cf_sessions, cf_users

#: "last seen" is written at most this often per session (reads stay reads)
TOUCH_STEP = dt.timedelta(minutes=1)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256((secret or "").encode()).hexdigest()


def insert_session(conn, secret: str, user_id: int, now: dt.datetime, source: str | None) -> None:
    conn.execute(insert(cf_sessions).values(id=digest(secret), user_id=user_id, created_at=now,
                                            last_seen_at=now, source=(source or None) and source[:100]))


def lookup(conn, secret: str, user_columns):
    """The session's row joined with its user (``user_columns``), or None."""
    if not isinstance(secret, str) or not secret:
        return None
    stmt = select(cf_sessions.c.id.label("session_id"), cf_sessions.c.last_seen_at, *user_columns) \
        .join(cf_users, cf_users.c.id == cf_sessions.c.user_id).where(cf_sessions.c.id == digest(secret))
    return conn.execute(stmt).mappings().first()


def touch(engine, session_id: str, last_seen_at: dt.datetime, now: dt.datetime) -> None:
    if last_seen_at > now - TOUCH_STEP:
        return
    with engine.begin() as conn:  # one writer wins; the others find it fresh
        conn.execute(update(cf_sessions).where(
            cf_sessions.c.id == session_id, cf_sessions.c.last_seen_at <= now - TOUCH_STEP).values(last_seen_at=now))


def end(conn, secret: str) -> int:
    return conn.execute(delete(cf_sessions).where(cf_sessions.c.id == digest(secret))).rowcount


def end_all(conn, user_id: int) -> int:
    return conn.execute(delete(cf_sessions).where(cf_sessions.c.user_id == user_id)).rowcount


def purge_idle(conn, before: dt.datetime) -> None:
    conn.execute(delete(cf_sessions).where(cf_sessions.c.last_seen_at < before))


def counts(conn) -> dict[int, int]:
    """Open sessions per user id."""
    rows = conn.execute(select(cf_sessions.c.user_id, func.count()).group_by(cf_sessions.c.user_id))
    return {user_id: n for user_id, n in rows}
