"""Administration over the API: users, groups, permissions, reassign owner, the security log.

Every route is for administrators (the services check it first); a read-only preview
("view as") is refused like any other write.

    GET    /users                         POST /users            PATCH /users/{username}
    POST   /users/{username}/disable      POST /users/{username}/enable
    POST   /users/{username}/password     (administrators set a new password)
    DELETE /users/{username}/sessions     (sign the user out everywhere)
    GET    /groups                        POST /groups
    GET    /groups/{group}                PATCH /groups/{group}  DELETE /groups/{group}
    PUT    /groups/{group}/members        (the full list of usernames)
    PUT    /groups/{group}/permissions/{table}   DELETE …  (``*``: every table)
    POST   /reassign-owner                GET /security-log
"""

from __future__ import annotations

from flask import jsonify, request

from cardfile.metamodel.errors import BadQuery, InvalidDefinition, NotFound
from cardfile.metamodel.ids import as_id
from cardfile.metamodel.records.query import parse_filter
from cardfile.platform.app.factory import get_runtime

from .auth import current_actor
from .requests import json_body
from .schemas import (GroupChanges, GroupMembers, NewGroup, NewPassword, NewUser, Permission, ReassignOwner,
                      UserChanges)
from .tokens import continue_session
from .v1 import bp


def _created(body: dict):
    response = jsonify(body)
    response.status_code = 201
    return response


def _str(body: dict, key: str, required: bool = True):
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidDefinition(f"{key} is required (text).", {"field": key})
    return value


# --- users ------------------------------------------------------------------------------
@bp.get("/users")
def admin_list_users():
    rt = get_runtime()
    rt.access.check_admin(current_actor())
    users = rt.users.list()
    for user in users:
        user["groups"] = [g["name"] for g in rt.groups.groups_of(user["id"])]
    return {"users": users}


@bp.post("/users")
def admin_create_user():
    body = json_body()
    rt = get_runtime()
    actor = current_actor()
    user = rt.users.create(_str(body, "username"), _str(body, "password"), name=body.get("name") or "",
                           email=body.get("email"), is_admin=bool(body.get("is_admin")), actor=actor)
    for group in body.get("groups") or []:
        rt.groups.add_member(actor, group, user.username)
    return _created(next(u for u in rt.users.list() if u["id"] == user.id))


@bp.patch("/users/<username>")
def admin_update_user(username):
    """An empty body changes nothing and answers the user as they are."""
    rt = get_runtime()
    actor = current_actor()
    changes = json_body()
    if changes:
        return rt.users.update_user(username, changes, actor)
    rt.access.check_admin(actor)
    found = next((u for u in rt.users.list() if u["username"] == username), None)
    if found is None:
        raise NotFound(f"No user {username!r}.", {"username": username})
    return found


@bp.post("/users/<username>/disable")
def admin_disable_user(username):
    return get_runtime().users.set_active(username, False, current_actor())


@bp.post("/users/<username>/enable")
def admin_enable_user(username):
    return get_runtime().users.set_active(username, True, current_actor())


@bp.post("/users/<username>/password")
def admin_reset_password(username):
    rt = get_runtime()
    actor = current_actor()
    rt.access.check_admin(actor)
    rt.users.set_password(username, _str(json_body(), "password"), actor=actor)
    body = {"username": username, "password_changed": True, "sessions_ended": True}
    return continue_session(actor, body) if username == actor.username else body


@bp.delete("/users/<username>/sessions")
def admin_end_sessions(username):
    """Sign a user out everywhere: each of their browser sessions ends at once."""
    rt = get_runtime()
    actor = current_actor()
    rt.access.check_admin(actor)
    return rt.users.end_sessions(username, actor)


# --- groups -----------------------------------------------------------------------------
@bp.get("/groups")
def admin_list_groups():
    return {"groups": get_runtime().groups.list(current_actor())}


@bp.post("/groups")
def admin_create_group():
    body = json_body()
    group = get_runtime().groups.create(current_actor(), _str(body, "name"),
                                        description=body.get("description") or "",
                                        is_admin=bool(body.get("is_admin")), sections=body.get("sections"))
    return _created(group)


@bp.get("/groups/<group>")
def admin_get_group(group):
    return get_runtime().groups.get(current_actor(), group)


@bp.patch("/groups/<group>")
def admin_update_group(group):
    return get_runtime().groups.update(current_actor(), group, json_body())


@bp.delete("/groups/<group>")
def admin_delete_group(group):
    return get_runtime().groups.delete(current_actor(), group)


@bp.put("/groups/<group>/members")
def admin_set_members(group):
    return get_runtime().groups.set_members(current_actor(), group, json_body().get("members"))


@bp.put("/groups/<group>/permissions/<table>")
def admin_set_permission(group, table):
    return get_runtime().groups.set_permission(current_actor(), group, table, json_body())


@bp.delete("/groups/<group>/permissions/<table>")
def admin_remove_permission(group, table):
    return get_runtime().groups.remove_permission(current_actor(), group, table)


# --- owner and log ----------------------------------------------------------------------
@bp.post("/reassign-owner")
def admin_reassign_owner():
    """``{"from": "anna", "to": "boris", "tables": ["clients"], "filters": ["city:eq:Riga"]}``;
    ``"field": "manager"`` moves that user field of the one table instead of the owner."""
    body = json_body()
    tables = body.get("tables")
    if tables is not None and (not isinstance(tables, list) or not all(isinstance(t, str) for t in tables)):
        raise BadQuery("tables is a list of table names.", {"field": "tables"})
    raw = body.get("filters") or []
    if not isinstance(raw, list) or not all(isinstance(f, str) for f in raw):
        raise BadQuery("filters is a list of field:operator:value texts.", {"field": "filters"})
    field = body.get("field")
    if field is not None and not isinstance(field, str):
        raise BadQuery("field is the API name of a user field (or owner).", {"field": "field"})
    return get_runtime().records.reassign_owner(current_actor(), _str(body, "from"), _str(body, "to"),
                                                tables=tables, filters=[parse_filter(f) for f in raw], field=field)


@bp.get("/security-log")
def admin_security_log():
    args = request.args
    limit = args.get("limit", "100")
    before = args.get("before")
    before_id = as_id(before) if before else None
    if not limit.isdigit() or len(limit) > 19 or (before and before_id is None):
        raise BadQuery("limit and before are whole numbers (before: an entry's id).", {})
    return {"entries": get_runtime().security.list(
        current_actor(), event=args.get("event") or None, limit=int(limit), before_id=before_id)}


def openapi_paths(spec) -> None:
    """Document the administration routes (called by ``openapi.build_spec``)."""
    from .openapi import OBJECT, errors, ok, operation, path_param

    admin_errors = errors(400, 401, 403, 404, 422)
    user = path_param("username", "A username.")
    group = path_param("group", "A group's name.")
    table = path_param("table", "A table's API name, or * for every table.")

    def op(op_id: str, summary: str, body=None, status: int = 200) -> dict:
        return operation(op_id, "administration", summary, {**ok(summary, OBJECT, status), **admin_errors},
                         body=body, description="Administrators only; see docs/access.md.")

    spec.path(path="/users", operations={"get": op("admin_list_users", "Users with their groups"),
                                         "post": op("admin_create_user", "Create a user", NewUser, 201)})
    spec.path(path="/users/{username}", parameters=[user],
              operations={"patch": op("admin_update_user", "Change name, email, admin flag, attributes",
                                         UserChanges)})
    for name, summary in (("disable", "Disable a user (never deleted)"), ("enable", "Enable a user again")):
        spec.path(path=f"/users/{{username}}/{name}", parameters=[user],
                  operations={"post": op(f"admin_{name}_user", summary)})
    spec.path(path="/users/{username}/password", parameters=[user],
              operations={"post": op("admin_reset_password", "Set a new password (signs the user out everywhere)",
                                     NewPassword)})
    spec.path(path="/users/{username}/sessions", parameters=[user],
              operations={"delete": op("admin_end_sessions", "Sign the user out everywhere")})
    spec.path(path="/groups", operations={"get": op("admin_list_groups", "Groups"),
                                          "post": op("admin_create_group", "Create a group", NewGroup, 201)})
    spec.path(path="/groups/{group}", parameters=[group], operations={
        "get": op("admin_get_group", "A group with members and permissions"),
        "patch": op("admin_update_group", "Change a group", GroupChanges),
        "delete": op("admin_delete_group", "Delete a group (memberships and permissions)")})
    spec.path(path="/groups/{group}/members", parameters=[group],
              operations={"put": op("admin_set_members", "Replace the members", GroupMembers)})
    spec.path(path="/groups/{group}/permissions/{table}", parameters=[group, table], operations={
        "put": op("admin_set_permission", "Set what the group may do on the table", Permission),
        "delete": op("admin_remove_permission", "Remove the group's permission on the table")})
    spec.path(path="/reassign-owner", operations={"post": op("admin_reassign_owner", "Move records to another owner",
                                                             ReassignOwner)})
    spec.path(path="/security-log", operations={"get": op("admin_security_log", "The security log, newest first")})
