"""The caller's own identity and API tokens."""

from __future__ import annotations

from flask import g, jsonify, url_for
from flask_wtf.csrf import generate_csrf

from cardfile.metamodel.errors import NotFound
from cardfile.platform.app.factory import get_runtime

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
