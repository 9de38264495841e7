"""Records over the record service: list, read, create, update, trash, restore, history, bulk.

A body may not set what Cardfile keeps itself (:data:`SYSTEM_KEYS`: the id, who and when
created or changed it) nor, unless the caller is an administrator, the owner: such a key
is refused with 403 naming it instead of being dropped. An update may repeat a key with
the record's current value (a record read, changed and sent back whole).
"""

from __future__ import annotations

import datetime as dt

from flask import jsonify, request, url_for

from cardfile.metamodel.errors import AccessDenied, BadQuery
from cardfile.metamodel.ids import MAX_ID
from cardfile.platform.app.factory import get_runtime

from .auth import current_actor
from .formula_routes import where_param
from .requests import json_body
from .schemas import EmptyTrashQuery, TrashedQuery, VersionQuery, list_query, load_query
from .v1 import bp


#: what Cardfile writes itself; a body never sets it (``version`` is read by an update)
SYSTEM_KEYS = ("id", "version", "created_at", "created_by", "updated_at", "updated_by", "deleted_at")


def _id(raw: str):
    """A numeric path segment as an int; anything else goes on as text (the service answers 404)."""
    return int(raw) if raw.isdigit() else raw


def refuse_system_keys(actor, table: str, data, current: dict | None = None) -> None:
    """403 naming the keys of ``data`` the caller may not set (see the module doc).

    ``current`` is the record an update changes: a key holding its present value passes.
    """
    if not isinstance(data, dict):
        return
    keys = [k for k in SYSTEM_KEYS if k in data and not (current is not None and k == "version")]
    if "owner" in data and not actor.is_admin:
        keys.append("owner")
    if keys and current is None and "owner" in keys and data["owner"] == actor.id:
        keys.remove("owner")
    if current is not None:
        keys = [k for k in keys if data[k] != current.get(k)]
    if keys:
        raise AccessDenied(f"{', '.join(keys)} cannot be set here: Cardfile keeps "
                           f"{'them' if len(keys) > 1 else 'it'}"
                           f"{'' if keys != ['owner'] else ' (only an administrator may give a record to someone else)'}.",
                           {"table": table, "fields": keys})


def body_version(data) -> int | None:
    """The body's ``version`` (a whole number from 1), or None without one."""
    if not isinstance(data, dict) or data.get("version") is None:
        return None
    version = data["version"]
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= MAX_ID:
        raise BadQuery("version must be the record's version, a whole number from 1.", {"field": "version"})
    return version


def _with_etag(record: dict, status: int = 200):
    response = jsonify(record)
    response.status_code = status
    if "version" in record:
        response.headers["ETag"] = f'"{record["version"]}"'
    return response


@bp.get("/tables/<table>/records")
def list_records(table):
    query = list_query(request.args)
    query.where = where_param(request.args, current_actor())  # the expression language
    return get_runtime().records.list(current_actor(), table, query)


@bp.post("/tables/<table>/records")
def create_record(table):
    data = json_body()
    refuse_system_keys(current_actor(), table, data)
    record = get_runtime().records.create(current_actor(), table, data)
    response = _with_etag(record, 201)
    response.headers["Location"] = url_for("api.get_record", table=table, record_id=record["id"])
    return response


@bp.post("/tables/<table>/records/bulk")
def bulk_create_records(table):
    """A JSON array of records, saved all together or not at all."""
    rows = json_body(expect=list)
    for row in rows:
        refuse_system_keys(current_actor(), table, row)
    result = get_runtime().records.bulk_create(current_actor(), table, rows)
    response = jsonify(result)
    response.status_code = 201
    return response


@bp.get("/tables/<table>/records/<record_id>")
def get_record(table, record_id):
    trashed = load_query(TrashedQuery(), request.args)["trashed"]
    return _with_etag(get_runtime().records.get(current_actor(), table, _id(record_id), trashed=trashed))


@bp.patch("/tables/<table>/records/<record_id>")
def update_record(table, record_id):
    """The version comes from the body's ``version`` or from an ``If-Match`` header."""
    data = json_body()
    version = if_match_version()
    sent = body_version(data)
    if version is not None and sent is not None and sent != version:
        raise BadQuery("The body's version and the If-Match header disagree.",
                       {"version": sent, "if_match": version})
    actor = current_actor()
    runtime = get_runtime()
    if any(k in data for k in (*SYSTEM_KEYS, "owner") if k != "version"):
        refuse_system_keys(actor, table, data, runtime.records.get(actor, table, _id(record_id)))
    record = runtime.records.update(actor, table, _id(record_id), data, version=version)
    return _with_etag(record)


@bp.delete("/tables/<table>/records/<record_id>")
def delete_record(table, record_id):
    version = load_query(VersionQuery(), request.args)["version"]
    if version is None:
        version = if_match_version()
    return get_runtime().records.delete(current_actor(), table, _id(record_id), version=version)


@bp.post("/tables/<table>/records/<record_id>/restore")
def restore_record(table, record_id):
    return get_runtime().records.restore(current_actor(), table, _id(record_id))


@bp.delete("/tables/<table>/trash")
def empty_trash(table):
    """Delete the table's trash for good (``older_than_days``: only what was trashed before)."""
    days = load_query(EmptyTrashQuery(), request.args)["older_than_days"]
    runtime = get_runtime()
    before = None if days is None else runtime.records.clock() - dt.timedelta(days=days)
    return runtime.records.purge(current_actor(), table, before=before)


@bp.delete("/tables/<table>/trash/<record_id>")
def purge_record(table, record_id):
    """Delete one record that is in the trash, for good."""
    return get_runtime().records.purge(current_actor(), table, _id(record_id))


@bp.get("/tables/<table>/records/<record_id>/history")
def record_history(table, record_id):
    return {"history": get_runtime().records.history(current_actor(), table, _id(record_id))}


def if_match_version() -> int | None:
    """The version in an ``If-Match: "3"`` header (strong or weak), or None without one."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    text = header.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    if not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        raise BadQuery("If-Match must hold the record's version, e.g. If-Match: \"3\".", {"if_match": header})
    return int(text)


def openapi_paths(spec) -> None:
    """Document the trash routes (called by ``openapi.build_spec``)."""
    from .openapi import READ_ERRORS, TABLE, errors, ok, operation, path_param, query, ref

    spec.components.schema("PurgeResult", component={
        "type": "object", "required": ["table", "purged", "lines", "links_emptied"],
        "properties": {"table": {"type": "string"},
                       "purged": {"type": "integer", "description": "Records deleted for good."},
                       "lines": {"type": "integer", "description": "Their line items, and line items "
                                                                     "removed from records, deleted."},
                       "links_emptied": {"type": "integer", "description": "Links to them, emptied."}}})
    result = ref("PurgeResult")
    record_id = path_param("record_id", "The id of a record in the trash.", {"type": "integer"})
    spec.path(path="/tables/{table}/trash", parameters=[TABLE], operations={
        "delete": operation("empty_trash", "trash", "Empty a table's trash", {
            **ok("What was deleted for good.", result), **errors(*READ_ERRORS)},
            params=[query(EmptyTrashQuery)],
            description="Deletes the table's records in the trash (those within your row scope for purge) "
                        "for good, with their line items and the line items removed from records; links "
                        "other records hold to them are emptied. Needs the purge permission. The audit "
                        "log keeps their entries.")})
    spec.path(path="/tables/{table}/trash/{record_id}", parameters=[TABLE, record_id], operations={
        "delete": operation("purge_record", "trash", "Delete one record in the trash for good", {
            **ok("What was deleted for good.", result), **errors(*READ_ERRORS)},
            description="Only a record in the trash (404 otherwise); needs the purge permission.")})
