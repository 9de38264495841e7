"""Who calls the API: a bearer token, or the browser session plus its CSRF token.

* ``Authorization: Bearer <token>`` is checked with ``UserService.actor_for_token``; a
  malformed, unknown or revoked token is 401 even when a session cookie is present.
* Without that header, the signed-in browser session is used. A state-changing request
  (anything but GET, HEAD, OPTIONS) must then carry ``X-CSRF-Token`` with the session's
  CSRF token (the one pages embed, also returned by ``GET /me``). Bearer requests need none:
  browsers never attach bearer tokens on their own.
* No credentials at all: 401 ``AUTHENTICATION_REQUIRED``.
"""

from __future__ import annotations

from flask import g, request
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from cardfile.metamodel.actors import Actor
from cardfile.platform.app.factory import get_runtime
from cardfile.platform.app.sessions import session_actor

from .errors import ApiError

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSRF_HEADER = "X-CSRF-Token"


def authenticate() -> None:
    """Runs before every API view: sets ``g.actor`` and ``g.auth`` or raises a 401/403."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise ApiError("AUTHENTICATION_FAILED", "Use an 'Authorization: Bearer <token>' header.")
        g.actor = get_runtime().users.actor_for_token(secret.strip())
        g.auth = "token"
        return
    actor = session_actor()
    if actor is None:
        raise ApiError("AUTHENTICATION_REQUIRED",
                       "Sign in, or send an API token in an 'Authorization: Bearer <token>' header.")
    if request.method not in SAFE_METHODS:
        try:
            validate_csrf(request.headers.get(CSRF_HEADER, ""))
        except ValidationError as exc:
            reason = exc.args[0] if exc.args else "The CSRF token is not valid."
            raise ApiError("CSRF_FAILED", f"{reason} Send the session's CSRF token in the {CSRF_HEADER} header.",
                           {"header": CSRF_HEADER}) from None
    g.actor = actor
    g.auth = "session"


def current_actor() -> Actor:
    return g.actor
