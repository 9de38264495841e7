"""Records over the record service: list, read, create, update, trash, restore, history, bulk."""

from __future__ import annotations

from flask import jsonify, request, url_for

from cardfile.metamodel.errors import BadQuery
from cardfile.platform.app.factory import get_runtime

from .auth import current_actor
from .formula_routes import where_param
from .requests import json_body
from .schemas import TrashedQuery, VersionQuery, list_query, load_query
from .v1 import bp


def _id(raw: str):
    """A numeric path segment as an int; anything else goes on as text (the service answers 404)."""
    return int(raw) if raw.isdigit() else raw


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
    record = get_runtime().records.create(current_actor(), table, json_body())
    response = _with_etag(record, 201)
    response.headers["Location"] = url_for("api.get_record", table=table, record_id=record["id"])
    return response


@bp.post("/tables/<table>/records/bulk")
def bulk_create_records(table):
    """A JSON array of records, saved all together or not at all."""
    rows = json_body(expect=list)
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
    if version is not None and data.get("version") is not None and str(data["version"]) != str(version):
        raise BadQuery("The body's version and the If-Match header disagree.",
                       {"version": data["version"], "if_match": version})
    record = get_runtime().records.update(current_actor(), table, _id(record_id), data, version=version)
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
    if not text.isdigit():
        raise BadQuery("If-Match must hold the record's version, e.g. If-Match: \"3\".", {"if_match": header})
    return int(text)
