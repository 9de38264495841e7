"""The browser session: who is signed in, and the CSRF token that goes with the session.

Signing in clears whatever the session held before (no fixation), ends the browser's
previous session and starts a new one with a new secret and a fresh CSRF token. The
cookie stores the user's id, the session's secret, that token, the time of the last
request (a session idle for longer than ``CARDFILE_IDLE_MINUTES``, default 60, is ended)
and, while an administrator previews another user or group ("view as"), what is
previewed. Every request checks the secret against the server's session table
(``UserService.actor_for_session``), so signing out, a password change, disabling the
user and "sign out everywhere" end the session at once, also for a copied cookie. The
cookie is HttpOnly and SameSite=Lax, and Secure whenever the request came over HTTPS
(behind a proxy: ``CARDFILE_PROXY_FIX=1`` trusts its X-Forwarded-Proto).
"""

from __future__ import annotations

import datetime as dt
import time

from flask import current_app, g, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf

from cardfile.metamodel.actors import Actor

from .factory import get_runtime

USER_KEY = "user_id"
SECRET_KEY = "sid"
CSRF_KEY = "csrf_token"  # the key Flask-WTF keeps its raw token under
SEEN_KEY = "seen"
#: kept across sign-in and sign-out: the chosen language (``web.i18n.SESSION_KEY``)
KEPT_KEYS = ("lang",)
VIEW_AS_KEY = "view_as"
DEFAULT_IDLE_MINUTES = 60


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with the Secure flag on for HTTPS requests."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)


def start_session(actor: Actor) -> None:
    """Sign ``actor`` in on this browser: a new server-side session, a new CSRF token."""
    previous = session.get(SECRET_KEY)
    secret = get_runtime().users.start_session(actor, source=request.remote_addr,
                                               replaces=previous if isinstance(previous, str) else None,
                                               max_idle=_idle_limit())
    _forget()
    session[USER_KEY] = actor.id
    session[SECRET_KEY] = secret
    session[SEEN_KEY] = int(time.time())
    generate_csrf()


def end_session(reason: str = "sign-out") -> None:
    """Sign this browser out; its server-side session ends too (a copy of the cookie with it)."""
    secret = session.get(SECRET_KEY)
    if isinstance(secret, str):
        get_runtime().users.end_session(secret, source=request.remote_addr, reason=reason)
    _forget()


def _forget() -> None:
    """Empty the cookie but for the chosen language; forget this request's actor and CSRF token."""
    kept = {k: session[k] for k in KEPT_KEYS if k in session}
    session.clear()
    session.update(kept)
    g.pop(CSRF_KEY, None)
    g.pop("session_actor", None)


def session_actor() -> Actor | None:
    """The signed-in, active user of this browser session, or None."""
    if "session_actor" in g:
        return g.session_actor
    actor = None
    user_id, secret = session.get(USER_KEY), session.get(SECRET_KEY)
    if isinstance(user_id, int) and (not isinstance(secret, str) or _idle_expired()):
        end_session(reason="idle")
    elif isinstance(user_id, int):
        user = get_runtime().users.actor_for_session(secret, _idle_limit())
        if user is not None and user.id == user_id:
            actor = _previewed(user) or user
        else:  # ended elsewhere (sign-out, password change, disabled)
            _forget()
    g.session_actor = actor
    return actor


def signed_in_user() -> Actor | None:
    """The signed-in user themself, also while they preview someone else."""
    actor = session_actor()
    if actor is None or actor.previewed_by is None:
        return actor
    return get_runtime().users.get(actor.previewed_by)


def start_view_as(kind: str, target_id: int) -> None:
    session[VIEW_AS_KEY] = {"kind": kind, "id": int(target_id)}
    g.pop("session_actor", None)


def stop_view_as() -> None:
    session.pop(VIEW_AS_KEY, None)
    g.pop("session_actor", None)


def _previewed(user: Actor) -> Actor | None:
    """The read-only actor an administrator previews ("view as"), or None."""
    wanted = session.get(VIEW_AS_KEY)
    if not isinstance(wanted, dict) or not user.is_admin:
        return None
    runtime = get_runtime()
    if wanted.get("kind") == "user":
        other = runtime.users.get(wanted.get("id"))
        if other is None or not other.is_active:
            return None
        return Actor(id=other.id, username=other.username, name=other.name, is_admin=other.is_admin,
                     previewed_by=user.id)
    if wanted.get("kind") == "group":
        group_id = wanted.get("id")
        return Actor(id=user.id, username=user.username, name=user.name, is_admin=False,
                     previewed_by=user.id, preview_groups=(group_id,) if isinstance(group_id, int) else ())
    return None


def _idle_limit() -> dt.timedelta:
    return dt.timedelta(minutes=int(current_app.config.get("CARDFILE_IDLE_MINUTES", DEFAULT_IDLE_MINUTES)))


def _idle_expired() -> bool:
    now = int(time.time())
    seen = session.get(SEEN_KEY)
    limit = int(_idle_limit().total_seconds())
    if not isinstance(seen, int) or now - seen > limit:
        return True
    if now - seen >= 30:  # refresh the mark without rewriting the cookie on every request
        session[SEEN_KEY] = now
    return False
