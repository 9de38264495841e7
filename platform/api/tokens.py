"""The caller's own identity, password, browser sessions and API tokens.

``POST /me/password`` (current and new password) and ``DELETE /me/sessions`` ("sign out
everywhere") end every browser session of the caller at once; after a password change a
browser session continues in a new session, whose CSRF token the response carries.
"""

from __future__ import annotations

from flask import g, jsonify, request, url_for
from flask_wtf.csrf import generate_csrf

from cardfile.metamodel.errors import BadQuery, NotFound
from cardfile.platform.app.factory import get_runtime
from cardfile.platform.app.sessions import end_session, start_session

from .auth import current_actor
from .requests import json_body
from .schemas import TokenRequest, load_body
from .v1 import bp


@bp.get("/me")
def me():
    actor = current_actor()
    body = {"id": actor.id, "username": actor.username, "name": actor.name,
            "display": actor.display, "is_admin": actor.is_admin, "auth": g.auth}
    if g.auth == "session":
        body["csrf_token"] = generate_csrf()
    return body


PASSWORD_KEYS = {"current_password", "new_password"}


@bp.post("/me/password")
def change_password():
    """``{"current_password": "…", "new_password": "…"}``"""
    body = json_body()
    unknown = sorted(set(body) - PASSWORD_KEYS)
    if unknown:
        raise BadQuery(f"Unknown keys: {', '.join(unknown)}; send current_password and new_password.",
                       {"unknown": unknown})
    actor = current_actor()
    get_runtime().users.change_own_password(actor, body.get("current_password"), body.get("new_password"),
                                            source=request.remote_addr)
    return continue_session(actor, {"password_changed": True, "sessions_ended": True})


def continue_session(actor, body: dict) -> dict:
    """After the caller's sessions ended: a browser caller goes on in a new session."""
    if g.auth == "session":
        start_session(actor)
        body["csrf_token"] = generate_csrf()
    return body


@bp.delete("/me/sessions")
def end_my_sessions():
    """Sign out everywhere: every browser session of the caller ends, this one too."""
    actor = current_actor()
    result = get_runtime().users.end_sessions(actor.username, actor)
    if g.auth == "session":
        end_session()
    return result


@bp.get("/tokens")
def list_tokens():
    return {"tokens": get_runtime().users.list_tokens(user_id=current_actor().id)}


@bp.post("/tokens")
def create_token():
    """A new token for the caller; the secret is in this response only."""
    name = load_body(TokenRequest(), json_body())["name"]
    users = get_runtime().users
    token_id, secret = users.create_token(current_actor(), name)
    info = next(t for t in users.list_tokens(user_id=current_actor().id) if t["id"] == token_id)
    response = jsonify({**info, "token": secret})
    response.status_code = 201
    response.headers["Location"] = url_for("api.list_tokens")
    return response


@bp.delete("/tokens/<int:token_id>")
def revoke_token(token_id):
    users = get_runtime().users
    actor = current_actor()
    if not actor.is_admin and token_id not in {t["id"] for t in users.list_tokens(user_id=actor.id)}:
        raise NotFound(f"No token #{token_id}.", {"token": token_id})
    users.revoke_token(token_id, actor=actor)
    return {"id": token_id, "revoked": True}
