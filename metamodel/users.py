"""Users, API tokens and browser sessions: argon2 password hashes; tokens and session
secrets stored as SHA-256 digests.

A password change, disabling a user and "sign out everywhere" end every browser session
of that user in the same transaction (sessions.py); API tokens are revoked one by one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import exists, insert, or_, select, update

from . import sessions as browser_sessions
from .access import Access, bump_version
from .actors import Actor
from .errors import AuthenticationFailed, InvalidDefinition, NameClash, NotFound, ValidationFailed
from .security_log import LoginThrottle, SecurityLog
from .storage.engine import reading
from .storage.platform_tables import cf_group_members, cf_groups, cf_tokens, cf_users

_hasher = PasswordHasher()
TOKEN_PREFIX = "cf_"
MIN_PASSWORD = 8
#: how fresh a token's "last used" time is kept (it is written at most once per step)
TOKEN_USE_STEP = dt.timedelta(minutes=1)
#: a browser session unused for this long is over (the web app passes its own limit)
DEFAULT_IDLE = dt.timedelta(minutes=60)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _in_admin_group(user_id):
    """``EXISTS``: the user (an id, or a column to correlate with) is in an admin group."""
    return exists().where(cf_group_members.c.user_id == user_id, cf_group_members.c.group_id == cf_groups.c.id,
                          cf_groups.c.is_admin.is_(True))


def _actor(row, conn=None) -> Actor:
    """The user as an actor; with ``conn``, a member of an admin group counts as an administrator."""
    is_admin = bool(row["is_admin"])
    if not is_admin and conn is not None:
        is_admin = bool(conn.execute(select(_in_admin_group(row["id"]))).scalar())
    return Actor(id=row["id"], username=row["username"], name=row["name"] or "",
                 is_admin=is_admin, is_active=bool(row["is_active"]))


#: a user's fields for an actor, and whether the user is in an admin group
_USER_COLUMNS = (cf_users.c.id, cf_users.c.username, cf_users.c.name, cf_users.c.is_admin, cf_users.c.is_active,
                 _in_admin_group(cf_users.c.id).label("group_admin"))
#: a token with its user (no row: no such token)
_TOKEN_USER = select(cf_tokens.c.id.label("token_id"), cf_tokens.c.revoked_at, cf_tokens.c.last_used_at,
                     *_USER_COLUMNS).join(cf_users, cf_users.c.id == cf_tokens.c.user_id)


class UserService:
    def __init__(self, engine, access: Access, throttle: LoginThrottle | None = None):
        self.engine = engine
        self.access = access
        self.throttle = throttle or LoginThrottle()

    def create(self, username: str, password: str, *, name: str = "", email: str | None = None,
               is_admin: bool = False, actor: Actor | None = None, bootstrap: bool = False) -> Actor:
        """Create a user. Only an administrator may, except the first user (``bootstrap``)."""
        if not bootstrap:
            self.access.check_admin(actor)
        username = (username or "").strip()
        if not username or len(username) > 150 or any(c.isspace() for c in username):
            raise InvalidDefinition("A username is 1-150 characters without spaces.", {"username": username})
        self._check_password(password)
        with self.engine.begin() as conn:
            if bootstrap and conn.execute(select(cf_users.c.id).limit(1)).first() is not None:
                raise InvalidDefinition("Users exist already; sign in as an administrator.", {})
            if conn.execute(select(cf_users.c.id).where(cf_users.c.username == username)).first():
                raise NameClash(f"User {username!r} already exists.", {"username": username})
            user_id = conn.execute(insert(cf_users).values(
                username=username, name=name or "", email=email, password_hash=_hasher.hash(password),
                is_admin=is_admin, is_active=True, created_at=utcnow()).returning(cf_users.c.id)).scalar_one()
            SecurityLog.write(conn, "user_created", user_id=user_id, username=username,
                              actor_id=actor.id if actor else None, details={"is_admin": bool(is_admin)})
        return Actor(id=user_id, username=username, name=name or "", is_admin=is_admin)

    def set_password(self, username: str, password: str, actor: Actor | None = None,
                     trusted: bool = False) -> None:
        """Change a password: an administrator, the user themself, or the local CLI (``trusted``)."""
        if not trusted:
            actor = self.access.require_active(actor)
            if actor.username != username:
                self.access.check_admin(actor)
        self._check_password(password)
        with self.engine.begin() as conn:
            result = conn.execute(update(cf_users).where(cf_users.c.username == username)
                                  .values(password_hash=_hasher.hash(password)))
            if result.rowcount != 1:
                raise NotFound(f"No user {username!r}.", {"username": username})
            user_id = conn.execute(select(cf_users.c.id).where(cf_users.c.username == username)).scalar_one()
            ended = browser_sessions.end_all(conn, user_id)
            SecurityLog.write(conn, "password_changed", user_id=user_id, username=username,
                              actor_id=actor.id if actor is not None else None,
                              details={"cli": trusted, "sessions_ended": ended})

    def change_own_password(self, actor: Actor, current: str, new: str, source: str | None = None) -> None:
        """A user sets a new password, giving the current one (failures count towards the
        sign-in lockout). Every session of theirs ends, this one too; the caller starts a new one."""
        actor = self.access.require_active(actor)
        if actor.previewed_by is not None:
            self.access.check_admin(actor)  # a read-only preview refuses
        keys = self.throttle.keys(actor.username, source)
        with self.engine.begin() as conn:
            self.throttle.check(conn, keys, utcnow())
            stored = conn.execute(select(cf_users.c.password_hash).where(cf_users.c.id == actor.id)).scalar()
        if not _verify(stored, current):
            with self.engine.begin() as conn:
                self.throttle.failed(conn, keys, utcnow())
                SecurityLog.write(conn, "login_failed", user_id=actor.id, username=actor.username, source=source,
                                  details={"password_change": True})
            raise ValidationFailed({"current_password": ["this is not your current password"]})
        self.set_password(actor.username, new, actor=actor)

    def list(self) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(cf_users).order_by(cf_users.c.id)).mappings().all()
        return [{"id": r["id"], "username": r["username"], "name": r["name"], "email": r["email"],
                 "is_admin": r["is_admin"], "is_active": r["is_active"], "attributes": r["attributes"] or {},
                 "last_login_at": r["last_login_at"].isoformat() if r["last_login_at"] else None} for r in rows]

    def get(self, user_id: int) -> Actor | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(cf_users).where(cf_users.c.id == user_id)).mappings().first()
            return _actor(row, conn) if row else None

    def by_username(self, username: str) -> Actor | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(cf_users).where(cf_users.c.username == username)).mappings().first()
            return _actor(row, conn) if row else None

    def authenticate(self, username: str, password: str, source: str | None = None) -> Actor:
        """The user for these credentials, or AuthenticationFailed (same message either way).

        Failures are counted per username and per ``source`` (client address); too many lock
        both out for a while (TooManyAttempts, whether or not the user exists). Every sign-in
        and failure goes to the security log.
        """
        keys = self.throttle.keys(username, source)
        now = utcnow()
        with self.engine.begin() as conn:
            self.throttle.check(conn, keys, now)
        try:
            return self._authenticate(username, password, source)
        except AuthenticationFailed:
            with self.engine.begin() as conn:
                locked = self.throttle.failed(conn, keys, now)
                SecurityLog.write(conn, "login_locked" if locked else "login_failed",
                                  username=(username or "").strip()[:150], source=source, details={})
            raise

    def _authenticate(self, username: str, password: str, source: str | None) -> Actor:
        with self.engine.begin() as conn:
            row = conn.execute(select(cf_users).where(cf_users.c.username == (username or "").strip())).mappings().first()
            ok = False
            if row is not None:
                ok = _verify(row["password_hash"], password)
            else:
                _hasher.hash("timing-equaliser")
            if not ok or not row["is_active"]:
                raise AuthenticationFailed("Wrong username or password.")
            conn.execute(update(cf_users).where(cf_users.c.id == row["id"]).values(last_login_at=utcnow()))
            self.throttle.succeeded(conn, row["username"])
            SecurityLog.write(conn, "login", user_id=row["id"], username=row["username"], source=source, details={})
            return _actor(row, conn)

    # --- tokens ---------------------------------------------------------------------
    def create_token(self, user: Actor, name: str) -> tuple[int, str]:
        """A new token for ``user``; the secret is returned once and stored only as a digest."""
        self.access.require_active(user)
        if user.previewed_by is not None:
            self.access.check_admin(user)  # a read-only preview refuses
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            token_id = conn.execute(insert(cf_tokens).values(
                user_id=user.id, name=name or "token", token_hash=_digest(secret), prefix=secret[:8],
                created_at=utcnow()).returning(cf_tokens.c.id)).scalar_one()
            SecurityLog.write(conn, "token_created", user_id=user.id, username=user.username,
                              actor_id=user.previewed_by or user.id, details={"token": token_id, "name": name})
        return token_id, secret

    def revoke_token(self, token_id: int, actor: Actor | None = None, trusted: bool = False) -> None:
        with self.engine.begin() as conn:
            row = conn.execute(select(cf_tokens).where(cf_tokens.c.id == token_id)).mappings().first()
            if row is None:
                raise NotFound(f"No token #{token_id}.", {"token": token_id})
            if not trusted:
                actor = self.access.require_active(actor)
                if row["user_id"] != actor.id:
                    self.access.check_admin(actor)
            conn.execute(update(cf_tokens).where(cf_tokens.c.id == token_id).values(revoked_at=utcnow()))
            SecurityLog.write(conn, "token_revoked", user_id=row["user_id"],
                              actor_id=actor.id if actor is not None else None, details={"token": token_id})

    def list_tokens(self, user_id: int | None = None) -> list[dict]:
        stmt = select(cf_tokens, cf_users.c.username).join(cf_users, cf_users.c.id == cf_tokens.c.user_id)
        if user_id is not None:
            stmt = stmt.where(cf_tokens.c.user_id == user_id)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt.order_by(cf_tokens.c.id)).mappings().all()
        return [{"id": r["id"], "name": r["name"], "username": r["username"], "prefix": r["prefix"],
                 "created_at": r["created_at"].isoformat(), "revoked": r["revoked_at"] is not None,
                 "last_used_at": r["last_used_at"].isoformat() if r["last_used_at"] else None} for r in rows]

    def actor_for_token(self, secret: str) -> Actor:
        """The token's user. Checking a token only reads, in one query (token, user and
        membership of an admin group); "last used" is written when it is older than
        ``TOKEN_USE_STEP``, so API reads do not each take the write lock."""
        with reading(self.engine) as conn, conn.begin():
            row = conn.execute(_TOKEN_USER.where(cf_tokens.c.token_hash == _digest(secret or ""))).mappings().first()
        if row is None or row["revoked_at"] is not None:
            raise AuthenticationFailed("The API token is not valid or was revoked.")
        if not row["is_active"]:
            raise AuthenticationFailed("The API token's user is disabled.")
        actor = _actor({**row, "is_admin": row["is_admin"] or row["group_admin"]})
        now = utcnow()
        if row["last_used_at"] is None or row["last_used_at"] <= now - TOKEN_USE_STEP:
            with self.engine.begin() as conn:  # one writer wins; the others find it fresh
                conn.execute(update(cf_tokens).where(
                    cf_tokens.c.id == row["token_id"],
                    or_(cf_tokens.c.last_used_at.is_(None), cf_tokens.c.last_used_at <= now - TOKEN_USE_STEP))
                    .values(last_used_at=now))
        return actor

    # --- browser sessions ---------------------------------------------------------------
    def start_session(self, user: Actor, source: str | None = None, replaces: str | None = None,
                      max_idle: dt.timedelta = DEFAULT_IDLE) -> str:
        """A new browser session for ``user``, who has just signed in; returns the secret for
        the cookie (new at every sign-in). ``replaces``, the browser's previous session, ends;
        sessions idle for longer than ``max_idle`` are forgotten."""
        self.access.require_active(user)
        secret, now = browser_sessions.new_secret(), utcnow()
        with self.engine.begin() as conn:
            if replaces:
                browser_sessions.end(conn, replaces)
            browser_sessions.purge_idle(conn, now - max_idle - browser_sessions.TOUCH_STEP)
            browser_sessions.insert_session(conn, secret, user.id, now, source)
        return secret

    def actor_for_session(self, secret: str, max_idle: dt.timedelta = DEFAULT_IDLE) -> Actor | None:
        """The active user of a browser session, or None when it ended, went idle or the user
        is disabled. Session, user and admin-group membership are read in one query."""
        with reading(self.engine) as conn, conn.begin():
            row = browser_sessions.lookup(conn, secret, _USER_COLUMNS)
        now = utcnow()
        if row is None or not row["is_active"] or row["last_seen_at"] < now - max_idle - browser_sessions.TOUCH_STEP:
            return None
        browser_sessions.touch(self.engine, row["session_id"], row["last_seen_at"], now)
        return _actor({**row, "is_admin": row["is_admin"] or row["group_admin"]})

    def end_session(self, secret: str, source: str | None = None, reason: str = "sign-out") -> None:
        """End one browser session (the user signed out, or it went idle); logged as a logout."""
        with self.engine.begin() as conn:
            row = browser_sessions.lookup(conn, secret, (cf_users.c.id, cf_users.c.username))
            if row is not None and browser_sessions.end(conn, secret):
                SecurityLog.write(conn, "logout", user_id=row["id"], username=row["username"], source=source,
                                  details={"reason": reason})

    def end_sessions(self, username: str, actor: Actor | None = None, trusted: bool = False) -> dict:
        """Sign a user out everywhere: every browser session of theirs ends at once. An
        administrator may do it for anyone, a user for themself, the local CLI (``trusted``)."""
        if not trusted:
            actor = self.access.require_active(actor)
            if actor.username != username or actor.previewed_by is not None:
                self.access.check_admin(actor)
        with self.engine.begin() as conn:
            user_id = conn.execute(select(cf_users.c.id).where(cf_users.c.username == username)).scalar()
            if user_id is None:
                raise NotFound(f"No user {username!r}.", {"username": username})
            ended = browser_sessions.end_all(conn, user_id)
            SecurityLog.write(conn, "sessions_ended", user_id=user_id, username=username,
                              actor_id=actor.id if actor is not None else None,
                              details={"cli": trusted, "sessions_ended": ended})
        return {"username": username, "sessions_ended": ended}

    def session_counts(self) -> dict[int, int]:
        """Open browser sessions per user id (administration pages)."""
        with self.engine.connect() as conn:
            return browser_sessions.counts(conn)

    # --- administration ---------------------------------------------------------------
    def set_active(self, username: str, active: bool, actor: Actor | None = None, trusted: bool = False) -> dict:
        """Disable (or enable again) a user. A disabled user cannot sign in, their sessions and
        tokens stop working at once, and history keeps their name. Users are never deleted."""
        if not trusted:
            self.access.check_admin(actor)
            if actor.username == username and not active:
                raise InvalidDefinition("You cannot disable yourself.", {"username": username})
        with self.engine.begin() as conn:
            result = conn.execute(update(cf_users).where(cf_users.c.username == username).values(is_active=active))
            if result.rowcount != 1:
                raise NotFound(f"No user {username!r}.", {"username": username})
            row = conn.execute(select(cf_users.c.id).where(cf_users.c.username == username)).first()
            ended = 0 if active else browser_sessions.end_all(conn, row[0])
            bump_version(conn)
            SecurityLog.write(conn, "user_enabled" if active else "user_disabled", user_id=row[0],
                              username=username, actor_id=actor.id if actor is not None else None,
                              details={"cli": trusted, **({} if active else {"sessions_ended": ended})})
        return {"username": username, "is_active": active}

    def update_user(self, username: str, changes: dict, actor: Actor | None) -> dict:
        """Change a user's name, email, administrator flag or attributes (``me.<name>`` in rules)."""
        self.access.check_admin(actor)
        allowed = {"name", "email", "is_admin", "attributes"}
        if not isinstance(changes, dict) or set(changes) - allowed:
            raise InvalidDefinition(f"A user change may set: {', '.join(sorted(allowed))}.", {})
        attributes = changes.get("attributes")
        if "attributes" in changes and (not isinstance(attributes, dict) or not all(
                isinstance(k, str) and k.isidentifier() and isinstance(v, (str, int, float, bool, type(None)))
                for k, v in attributes.items())):
            raise InvalidDefinition("attributes maps names to text, numbers or yes/no.", {"field": "attributes"})
        if changes.get("is_admin") is False and actor.username == username:
            raise InvalidDefinition("You cannot remove your own administrator rights.", {"username": username})
        with self.engine.begin() as conn:
            result = conn.execute(update(cf_users).where(cf_users.c.username == username).values(**changes))
            if result.rowcount != 1:
                raise NotFound(f"No user {username!r}.", {"username": username})
            bump_version(conn)
            SecurityLog.write(conn, "user_changed", username=username, actor_id=actor.id,
                              details={"changed": sorted(changes)})
        return next(u for u in self.list() if u["username"] == username)

    @staticmethod
    def _check_password(password: str) -> None:
        if not isinstance(password, str) or len(password) < MIN_PASSWORD:
            raise InvalidDefinition(f"A password needs at least {MIN_PASSWORD} characters.", {})


def _verify(password_hash: str | None, password) -> bool:
    if not password_hash or not isinstance(password, str):
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
