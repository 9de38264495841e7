"""Schema design over the schema service: tables, fields, field types."""

from __future__ import annotations

from flask import jsonify, request, url_for

from cardfile.metamodel.errors import FieldNotFound
from cardfile.platform.app.factory import get_runtime

from .auth import current_actor
from .requests import json_body
from .schemas import (
    FieldChanges, FieldChangeQuery, FieldSpec, PurgeQuery, TableChanges, TableSpec, TrashedQuery,
    load_definition, load_query,
)
from .v1 import bp


def created(body: dict, location: str):
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = location
    return response


# --- tables ---------------------------------------------------------------------------
@bp.get("/tables")
def list_tables():
    trashed = load_query(TrashedQuery(), request.args)["trashed"]
    return {"tables": get_runtime().schema.list_tables(current_actor(), include_trashed=trashed)}


@bp.post("/tables")
def create_table():
    table = get_runtime().schema.create_table(current_actor(), load_definition(TableSpec(), json_body(), "table"))
    return created(table, url_for("api.get_table", table=table["api_name"]))


@bp.get("/tables/<table>")
def get_table(table):
    return get_runtime().schema.get_table(current_actor(), table)


@bp.patch("/tables/<table>")
def update_table(table):
    return get_runtime().schema.update_table(current_actor(), table,
                                             load_definition(TableChanges(), json_body(), "table"))


@bp.delete("/tables/<table>")
def delete_table(table):
    schema = get_runtime().schema
    if load_query(PurgeQuery(), request.args)["purge"]:
        return schema.purge_table(current_actor(), table)
    return schema.delete_table(current_actor(), table)


@bp.post("/tables/<table>/restore")
def restore_table(table):
    return get_runtime().schema.restore_table(current_actor(), table)


# --- fields ---------------------------------------------------------------------------
@bp.get("/tables/<table>/fields")
def list_fields(table):
    described = get_runtime().schema.get_table(current_actor(), table)
    return {"fields": [f for f in described["fields"] if not f["trashed"]]}


@bp.post("/tables/<table>/fields")
def create_field(table):
    field = get_runtime().schema.add_field(current_actor(), table, load_definition(FieldSpec(), json_body(), "field"))
    return created(field, url_for("api.get_field", table=table, field=field["api_name"]))


@bp.get("/tables/<table>/fields/<field>")
def get_field(table, field):
    described = get_runtime().schema.get_table(current_actor(), table)
    for f in described["fields"]:
        if f["api_name"] == field and not f["trashed"]:
            return f
    raise FieldNotFound(table, field)


@bp.patch("/tables/<table>/fields/<field>")
def update_field(table, field):
    """Change a field; ``force`` and ``dry_run`` come from the query string or the body."""
    body = load_definition(FieldChanges(), json_body(), "field")
    flags = load_query(FieldChangeQuery(), request.args)
    for flag in ("force", "dry_run"):
        if flag in body:
            flags[flag] = body.pop(flag)
    return get_runtime().schema.update_field(current_actor(), table, field, body,
                                             force=flags["force"], dry_run=flags["dry_run"])


@bp.delete("/tables/<table>/fields/<field>")
def delete_field(table, field):
    schema = get_runtime().schema
    if load_query(PurgeQuery(), request.args)["purge"]:
        return schema.purge_field(current_actor(), table, field)
    return schema.delete_field(current_actor(), table, field)


@bp.post("/tables/<table>/fields/<field>/restore")
def restore_field(table, field):
    return get_runtime().schema.restore_field(current_actor(), table, field)


# --- field types ----------------------------------------------------------------------
@bp.get("/field-types")
def list_field_types():
    return {"field_types": [describe_field_type(t) for t in get_runtime().registry.all()]}


def describe_field_type(ftype) -> dict:
    return {"key": ftype.key, "label": ftype.label, "options_schema": ftype.options_schema(),
            "filter_operators": list(ftype.filter_operators), "sortable": bool(ftype.sortable),
            "searchable": bool(ftype.searchable), "read_only": bool(ftype.read_only)}
