"""The browser session: who is signed in, and the CSRF token that goes with the session.

Signing in clears whatever the session held before (no fixation) and starts a fresh CSRF
token; the session stores only the user's id and that token.
"""

from __future__ import annotations

from flask import g, session
from flask_wtf.csrf import generate_csrf

from cardfile.metamodel.actors import Actor

from .factory import get_runtime

USER_KEY = "user_id"
CSRF_KEY = "csrf_token"  # the key Flask-WTF keeps its raw token under


def start_session(actor: Actor) -> None:
    session.clear()
    g.pop(CSRF_KEY, None)
    session[USER_KEY] = actor.id
    generate_csrf()


def end_session() -> None:
    session.clear()
    g.pop(CSRF_KEY, None)


def session_actor() -> Actor | None:
    """The signed-in, active user of this browser session, or None."""
    if "session_actor" in g:
        return g.session_actor
    actor = None
    user_id = session.get(USER_KEY)
    if isinstance(user_id, int):
        user = get_runtime().users.get(user_id)
        if user is not None and user.is_active:
            actor = user
    g.session_actor = actor
    return actor
