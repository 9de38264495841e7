"""``GET /api/v1/openapi.json``: an OpenAPI 3.1 document built from the live metadata.

Built with apispec on every request from the current catalog snapshot, so a new table or
field shows up at once. Each user table gets its own paths (``/tables/<api_name>/records…``)
and schemas: ``<Table>Record`` (what the API returns), ``<Table>Input`` (what a create
accepts; ``additionalProperties: false``, required fields listed) and ``<Table>Patch`` (an
update: any subset plus ``version``). Field value schemas come from each field type's
``json_schema``; envelopes for query strings and token requests come from the marshmallow
schemas in ``schemas.py``.

The document needs authentication like the rest of the API: it describes the database's
tables, which are not public.
"""

from __future__ import annotations

import dataclasses

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from cardfile.metamodel.catalog import Snapshot
from cardfile.metamodel.fieldtypes.registry import FieldTypeRegistry
from cardfile.metamodel.model import FieldDef, TableDef
from cardfile.platform.app.factory import get_runtime

from . import admin_routes, document_routes, export_routes, files, formula_routes, import_routes, layout_routes
from . import board_routes, mailing_routes, reminder_routes
from . import preview_routes, report_routes
from .auth import current_actor
from .schemas import (
    FieldChangeQuery, FieldChanges, FieldSpec, PurgeQuery, RecordListQuery, TableChanges, TableSpec,
    TokenRequest, TrashedQuery, VersionQuery,
)
from .v1 import bp

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1"

ERROR_STATUSES = {
    400: ("BadRequest", "The request cannot be understood (malformed JSON, bad query parameter)."),
    401: ("Unauthorized", "No valid credentials: send a bearer token or use a signed-in session."),
    403: ("Forbidden", "The caller may not do this (or the session's CSRF token is missing)."),
    404: ("NotFound", "The table, field, record or file does not exist; details name it."),
    409: ("Conflict", "A stale version (details list the changes since) or a name clash."),
    413: ("TooLarge", "The body or file is larger than allowed."),
    422: ("Unprocessable", "Values, definitions or expressions are not acceptable (details name the fields "
                           "or the position), or a read ran past the time limit (QUERY_TOO_EXPENSIVE)."),
    429: ("TooManyRequests", "Too many failed password checks: wait (details.retry_after, in seconds)."),
}
#: every read can be stopped at CARDFILE_QUERY_TIMEOUT (422 QUERY_TOO_EXPENSIVE)
READ_ERRORS = (400, 401, 403, 404, 422)
WRITE_ERRORS = (400, 401, 403, 404, 413, 422)


@bp.get("/openapi.json")
def openapi_document():
    runtime = get_runtime()
    with runtime.engine.connect() as conn:
        snap = runtime.catalog.current(conn)
    return build_spec(visible_snapshot(runtime, current_actor(), snap), runtime.registry).to_dict()


def visible_snapshot(runtime, actor, snap: Snapshot) -> Snapshot:
    """The caller's tables and fields only: a token sees what its user may read."""
    view = runtime.access.view(actor, snap)
    if view.admin:
        return snap
    seen = view.snapshot()
    readable = {t.id for t in snap.tables.values() if t.live and view.allows(t, "read")}
    return dataclasses.replace(seen, tables={i: t for i, t in seen.tables.items() if i in readable})


# --- building -------------------------------------------------------------------------
def build_spec(snap: Snapshot, registry: FieldTypeRegistry) -> APISpec:
    spec = APISpec(
        title="Cardfile API", version=API_VERSION, openapi_version=OPENAPI_VERSION,
        plugins=[MarshmallowPlugin()],
        info={"description": "Records and schema design of this Cardfile database. Errors are "
                             "{\"error\": {\"code\", \"message\", \"details\"}}."},
        servers=[{"url": "/api/v1"}],
        security=[{"bearer": []}, {"session": []}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "description": "An API token (POST /tokens)."})
    spec.components.security_scheme("session", {
        "type": "apiKey", "in": "cookie", "name": "cardfile_session",
        "description": "The browser session; writes also need the X-CSRF-Token header."})
    _static_components(spec, registry)
    _design_paths(spec)
    formula_routes.openapi_paths(spec)
    layout_routes.openapi_paths(spec)
    admin_routes.openapi_paths(spec)
    report_routes.openapi_paths(spec)
    export_routes.openapi_paths(spec)
    import_routes.openapi_paths(spec)
    document_routes.openapi_paths(spec)
    files.openapi_paths(spec)
    reminder_routes.openapi_paths(spec)
    mailing_routes.openapi_paths(spec)
    board_routes.openapi_paths(spec)
    _account_paths(spec)
    names = SchemaNames()
    for table in snap.live_tables(include_children=True):
        names.assign(table)
    for table in snap.live_tables(include_children=True):
        _table_components(spec, snap, registry, table, names)
    for table in snap.live_tables():
        _record_paths(spec, table, names)
    return spec


class SchemaNames:
    """``clients`` -> ``Clients``; distinct tables never share a schema name."""

    def __init__(self):
        self.by_table: dict[int, str] = {}
        self.taken: set[str] = set()

    def assign(self, table: TableDef) -> str:
        name = "".join(part[:1].upper() + part[1:] for part in table.api_name.split("_") if part)
        if name in self.taken:
            name = table.api_name
        self.taken.add(name)
        self.by_table[table.id] = name
        return name

    def __call__(self, table: TableDef, suffix: str) -> str:
        return self.by_table[table.id] + suffix


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema) -> dict:
    return {"application/json": {"schema": schema}}


def ok(description: str, schema, status: int = 200, headers: dict | None = None) -> dict:
    response = {"description": description, "content": json_content(schema)}
    if headers:
        response["headers"] = headers
    return {str(status): response}


def errors(*statuses: int) -> dict:
    return {str(s): {"$ref": f"#/components/responses/{ERROR_STATUSES[s][0]}"} for s in statuses}


def operation(op_id: str, tag: str, summary: str, responses: dict, *, body=None, params=None,
              description: str | None = None) -> dict:
    op = {"operationId": op_id, "tags": [tag], "summary": summary, "responses": responses}
    if description:
        op["description"] = description
    if body is not None:
        op["requestBody"] = {"required": True, "content": json_content(body)}
    if params:
        op["parameters"] = params
    return op


def path_param(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema or {"type": "string"}}


def query(schema_cls) -> dict:
    return {"in": "query", "schema": schema_cls}


TIMESTAMP = {"type": "string", "format": "date-time"}
OPTIONAL_INT = {"type": ["integer", "null"]}
OBJECT = {"type": "object"}


def _static_components(spec: APISpec, registry: FieldTypeRegistry) -> None:
    schema = spec.components.schema
    schema("Error", component={
        "type": "object", "required": ["error"],
        "properties": {"error": {
            "type": "object", "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "description": "Stable error code, e.g. VALIDATION_FAILED."},
                "message": {"type": "string", "description": "What went wrong, for people."},
                "details": {"type": "object", "description": "Structured details: field names, ids, limits."},
            }}}})
    for status, (name, description) in ERROR_STATUSES.items():
        spec.components.response(name, {"description": description, "content": json_content(ref("Error"))})
    schema("Field", component={
        "type": "object", "required": ["id", "api_name", "label", "type", "options"],
        "properties": {"id": {"type": "integer"}, "api_name": {"type": "string"}, "label": {"type": "string"},
                       "type": {"type": "string"}, "options": OBJECT, "position": {"type": "integer"},
                       "trashed": {"type": "boolean"}}})
    schema("Table", component={
        "type": "object", "required": ["id", "api_name", "label", "fields"],
        "properties": {"id": {"type": "integer"}, "api_name": {"type": "string"}, "label": {"type": "string"},
                       "section": {"type": ["string", "null"]}, "position": {"type": "integer"},
                       "display_field": {"type": ["string", "null"]}, "is_child": {"type": "boolean"},
                       "trashed": {"type": "boolean"}, "fields": {"type": "array", "items": ref("Field")},
                       "parent": OBJECT}})
    schema("FieldChangeResult", component={
        "type": "object", "properties": {
            "field": ref("Field"),
            "conversion": {"type": ["object", "null"], "description": "Records, values that would not "
                           "survive (losses), the DDL operations; null when no data changes."}}})
    schema("TrashResult", component={"type": "object", "description": "What was trashed, restored or purged."})
    schema("FieldType", component={
        "type": "object", "required": ["key", "label", "options_schema", "filter_operators"],
        "properties": {"key": {"type": "string"}, "label": {"type": "string"},
                       "options_schema": {"type": "object", "description": "JSON Schema of the options."},
                       "filter_operators": {"type": "array", "items": {"type": "string"}},
                       "sortable": {"type": "boolean"}, "searchable": {"type": "boolean"},
                       "read_only": {"type": "boolean"}}})
    schema("Me", component={
        "type": "object", "required": ["id", "username", "is_admin", "auth"],
        "properties": {"id": {"type": "integer"}, "username": {"type": "string"}, "name": {"type": "string"},
                       "display": {"type": "string"}, "is_admin": {"type": "boolean"},
                       "auth": {"type": "string", "enum": ["token", "session"]},
                       "csrf_token": {"type": "string", "description": "Session calls only."}}})
    token = {"id": {"type": "integer"}, "name": {"type": "string"}, "username": {"type": "string"},
             "prefix": {"type": "string"}, "created_at": TIMESTAMP, "revoked": {"type": "boolean"},
             "last_used_at": {"type": ["string", "null"], "format": "date-time"}}
    schema("Token", component={"type": "object", "required": ["id", "name"], "properties": token})
    schema("NewToken", component={
        "type": "object", "required": ["id", "name", "token"],
        "properties": {**token, "token": {"type": "string", "description": "The secret; shown only once."}}})
    schema("FileValue", component={
        "type": "object", "required": ["sha256", "name", "size", "content_type"],
        "properties": {"sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}, "name": {"type": "string"},
                       "size": {"type": "integer"}, "content_type": {"type": "string"}},
        "description": "Put this object into a file or image field."})
    schema("HistoryEntry", component={
        "type": "object", "required": ["at", "action", "version", "changes"],
        "properties": {"at": TIMESTAMP, "action": {"type": "string",
                                                   "enum": ["create", "update", "delete", "restore",
                                                            "reminder"]},
                       "version": OPTIONAL_INT,
                       "user": {"type": ["object", "null"], "properties": {
                           "id": {"type": "integer"}, "display": {"type": "string"}}},
                       "changes": {"type": "object", "description": "field -> [old, new]"}}})
    schema("BulkResult", component={"type": "object", "required": ["created"],
                                    "properties": {"created": {"type": "integer"}}})
    schema("RecordTrashResult", component={
        "type": "object", "required": ["id", "trashed", "version"],
        "properties": {"id": {"type": "integer"}, "trashed": {"type": "boolean"}, "version": {"type": "integer"}}})


TABLE = path_param("table", "The table's API name.")
FIELD = path_param("field", "The field's API name.")


def _design_paths(spec: APISpec) -> None:
    tag = "schema"
    spec.path(path="/tables", operations={
        "get": operation("list_tables", tag, "List tables", {
            **ok("The tables with their fields.", {"type": "object", "required": ["tables"], "properties": {
                "tables": {"type": "array", "items": ref("Table")}}}),
            **errors(400, 401)}, params=[query(TrashedQuery)]),
        "post": operation("create_table", tag, "Create a table (administrators)", {
            **ok("The new table.", ref("Table"), 201, {"Location": {"schema": {"type": "string"}}}),
            **errors(400, 401, 403, 404, 409, 413, 422)}, body=TableSpec),
    })
    spec.path(path="/tables/{table}", parameters=[TABLE], operations={
        "get": operation("get_table", tag, "Get a table", {**ok("The table.", ref("Table")), **errors(*READ_ERRORS)}),
        "patch": operation("update_table", tag, "Rename or change a table (administrators)", {
            **ok("The changed table.", ref("Table")), **errors(*WRITE_ERRORS, 409)}, body=TableChanges),
        "delete": operation("delete_table", tag, "Move a table to the trash, or purge it (administrators)", {
            **ok("What happened.", ref("TrashResult")), **errors(*READ_ERRORS, 422)},
            params=[query(PurgeQuery)]),
    })
    spec.path(path="/tables/{table}/restore", parameters=[TABLE], operations={
        "post": operation("restore_table", tag, "Bring a table back from the trash (administrators)", {
            **ok("The restored table.", ref("Table")), **errors(*READ_ERRORS, 409)})})
    spec.path(path="/tables/{table}/fields", parameters=[TABLE], operations={
        "get": operation("list_fields", tag, "List a table's fields", {
            **ok("The fields.", {"type": "object", "required": ["fields"], "properties": {
                "fields": {"type": "array", "items": ref("Field")}}}), **errors(*READ_ERRORS)}),
        "post": operation("create_field", tag, "Add a field (administrators)", {
            **ok("The new field.", ref("Field"), 201, {"Location": {"schema": {"type": "string"}}}),
            **errors(*WRITE_ERRORS, 409)}, body=FieldSpec),
    })
    spec.path(path="/tables/{table}/fields/{field}", parameters=[TABLE, FIELD], operations={
        "get": operation("get_field", tag, "Get a field", {**ok("The field.", ref("Field")), **errors(*READ_ERRORS)}),
        "patch": operation(
            "update_field", tag, "Rename, retype or change a field's options (administrators)",
            {**ok("The field and what the conversion did (or would do).", ref("FieldChangeResult")),
             **errors(*WRITE_ERRORS, 409)},
            body=FieldChanges, params=[query(FieldChangeQuery)],
            description="A retype that would lose values is refused (422 RETYPE_WOULD_LOSE_VALUES, "
                        "details list the records) unless force is set; dry_run writes nothing."),
        "delete": operation("delete_field", tag, "Move a field to the trash, or purge it (administrators)", {
            **ok("What happened.", ref("TrashResult")), **errors(*READ_ERRORS)}, params=[query(PurgeQuery)]),
    })
    spec.path(path="/tables/{table}/fields/{field}/restore", parameters=[TABLE, FIELD], operations={
        "post": operation("restore_field", tag, "Bring a field back from the trash (administrators)", {
            **ok("The restored field.", ref("Field")), **errors(*READ_ERRORS, 409)})})
    spec.path(path="/field-types", operations={
        "get": operation("list_field_types", tag, "The field types, their options and filter operators", {
            **ok("The field types.", {"type": "object", "required": ["field_types"], "properties": {
                "field_types": {"type": "array", "items": ref("FieldType")}}}), **errors(401)})})


def _account_paths(spec: APISpec) -> None:
    tag = "account"
    spec.path(path="/me", operations={
        "get": operation("me", tag, "Who is calling", {**ok("The caller.", ref("Me")), **errors(401)})})
    spec.path(path="/me/password", operations={
        "post": operation("change_password", tag, "Change the caller's password", {
            **ok("Changed; every browser session of the caller ended (a browser caller goes on in a new "
                 "session, with the new CSRF token).", OBJECT), **errors(400, 401, 403, 413, 422, 429)},
            body={"type": "object", "required": ["current_password", "new_password"],
                  "additionalProperties": False,
                  "properties": {"current_password": {"type": "string"}, "new_password": {"type": "string"}}})})
    spec.path(path="/me/sessions", operations={
        "delete": operation("end_my_sessions", tag, "Sign out everywhere", {
            **ok("How many browser sessions of the caller ended (this one too).", OBJECT), **errors(401, 403)})})
    spec.path(path="/tokens", operations={
        "get": operation("list_tokens", tag, "The caller's API tokens", {
            **ok("Tokens (secrets are never shown again).", {"type": "object", "required": ["tokens"],
                 "properties": {"tokens": {"type": "array", "items": ref("Token")}}}), **errors(401)}),
        "post": operation("create_token", tag, "Create an API token for the caller", {
            **ok("The token, with its secret (shown only now).", ref("NewToken"), 201),
            **errors(400, 401, 403, 413, 422)}, body=TokenRequest),
    })
    spec.path(path="/tokens/{token_id}", parameters=[
        path_param("token_id", "The token's id.", {"type": "integer"})], operations={
        "delete": operation("revoke_token", tag, "Revoke an API token", {
            **ok("Revoked.", {"type": "object", "properties": {"id": {"type": "integer"},
                                                              "revoked": {"type": "boolean"}}}),
            **errors(401, 403, 404)})})
    spec.path(path="/openapi.json", operations={
        "get": {"operationId": "openapi_document", "tags": ["meta"], "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1 for the current tables.",
                                      "content": json_content(OBJECT)}, **errors(401)}}})


def _value_schema(snap: Snapshot, registry: FieldTypeRegistry, field: FieldDef, names: SchemaNames,
                  suffix: str) -> dict:
    ftype = registry.get(field.type)
    if field.type == "lines":
        child = snap.child_table(field)
        schema = {"type": "array", "items": ref(names(child, suffix))}
    else:
        schema = dict(ftype.json_schema(field))
    schema["title"] = field.label
    help_text = field.opt("help_text")
    if help_text:
        schema["description"] = (schema.get("description", "") + " " + help_text).strip()
    if ftype.read_only:
        schema["readOnly"] = True
    return schema


def _table_components(spec: APISpec, snap: Snapshot, registry: FieldTypeRegistry, table: TableDef,
                      names: SchemaNames) -> None:
    system = {"id": {"type": "integer"}, "version": {"type": "integer"},
              "created_at": TIMESTAMP, "updated_at": TIMESTAMP, "created_by": OPTIONAL_INT,
              "updated_by": OPTIONAL_INT, "owner": OPTIONAL_INT,
              "deleted_at": {"type": "string", "format": "date-time", "description": "Only on trashed records."}}
    if table.is_child:
        system["position"] = {"type": "integer"}
    record = {f.api_name: _value_schema(snap, registry, f, names, "Record") for f in table.fields}
    spec.components.schema(names(table, "Record"), component={
        "type": "object", "title": table.label, "required": ["id", "version"],
        "properties": {**system, **record}})

    writable = [f for f in table.fields if not registry.get(f.type).read_only]
    values = {f.api_name: _value_schema(snap, registry, f, names, "Input") for f in writable}
    required = [f.api_name for f in writable if f.opt("required") and f.opt("default") is None]
    extra = {"id": {"type": "integer", "description": "An existing line to keep; new lines have none."}} \
        if table.is_child else {"owner": {"type": "integer", "description": "Administrators only."}}
    input_schema = {"type": "object", "title": f"{table.label} (new)", "additionalProperties": False,
                    "properties": {**values, **extra}}
    if required:
        input_schema["required"] = required
    spec.components.schema(names(table, "Input"), component=input_schema)
    if not table.is_child:
        spec.components.schema(names(table, "Patch"), component={
            "type": "object", "title": f"{table.label} (changes)", "additionalProperties": False,
            "properties": {**values, **extra, "version": {
                "type": "integer", "description": "The version read; or send an If-Match header."}}})
        spec.components.schema(names(table, "List"), component={
            "type": "object", "required": ["records", "total", "page", "per_page"],
            "properties": {"records": {"type": "array", "items": ref(names(table, "Record"))},
                           "total": {"type": "integer"}, "page": {"type": "integer"},
                           "per_page": {"type": "integer"}}})


def _record_paths(spec: APISpec, table: TableDef, names: SchemaNames) -> None:
    tag = table.api_name
    base = f"/tables/{table.api_name}/records"
    key = table.api_name
    record, created_headers = ref(names(table, "Record")), {"Location": {"schema": {"type": "string"}},
                                                            "ETag": {"schema": {"type": "string"}}}
    record_id = path_param("record_id", "The record's id.", {"type": "integer"})
    spec.path(path=base, operations={
        "get": operation(f"list_{key}", tag, f"List {table.label}",
                         {**ok("One page of records and the total count.", ref(names(table, "List"))),
                          **errors(*READ_ERRORS)}, params=[query(RecordListQuery)]),
        "post": operation(f"create_{key}", tag, f"Create a record in {table.label}", {
            **ok("The new record.", record, 201, created_headers), **errors(*WRITE_ERRORS)},
            body=ref(names(table, "Input"))),
    })
    spec.path(path=f"{base}/bulk", operations={
        "post": operation(f"bulk_create_{key}", tag, f"Create many records in {table.label}, all or none", {
            **ok("How many were created.", ref("BulkResult"), 201), **errors(*WRITE_ERRORS)},
            body={"type": "array", "items": ref(names(table, "Input"))})})
    spec.path(path=f"{base}/{{record_id}}", parameters=[record_id], operations={
        "get": operation(f"get_{key}", tag, f"Get a record of {table.label}", {
            **ok("The record.", record, headers={"ETag": {"schema": {"type": "string"}}}),
            **errors(*READ_ERRORS)}, params=[query(TrashedQuery)]),
        "patch": operation(
            f"update_{key}", tag, f"Change a record of {table.label}",
            {**ok("The record after the change.", record), **errors(*WRITE_ERRORS, 409)},
            body=ref(names(table, "Patch")),
            params=[{"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
                     "description": "The version read, e.g. \"3\" (instead of version in the body)."}],
            description="Optimistic locking: a stale version is refused with 409 STALE_VERSION "
                        "(details list the changes since) and nothing is written."),
        "delete": operation(f"delete_{key}", tag, f"Move a record of {table.label} to the trash", {
            **ok("Trashed.", ref("RecordTrashResult")), **errors(*READ_ERRORS, 409)},
            params=[query(VersionQuery)]),
    })
    spec.path(path=f"{base}/{{record_id}}/restore", parameters=[record_id], operations={
        "post": operation(f"restore_{key}", tag, f"Bring a record of {table.label} back from the trash", {
            **ok("Restored.", ref("RecordTrashResult")), **errors(*READ_ERRORS)})})
    spec.path(path=f"{base}/{{record_id}}/files/{{field}}/{{sha256}}", parameters=[
        record_id, path_param("field", "A file or image field; a line item's is lines_field.field."),
        path_param("sha256", "The file's SHA-256.", {"type": "string", "pattern": "^[0-9a-f]{64}$"})],
        operations={"get": files.file_operation(
            f"file_of_{key}", f"A file in a record of {table.label}",
            "The record's row scope and hidden fields apply, and the field must hold this file; "
            "otherwise 404.", tag, READ_ERRORS)})
    preview_routes.openapi_paths(spec, table, names, record_id)
    spec.path(path=f"{base}/{{record_id}}/history", parameters=[record_id], operations={
        "get": operation(f"history_{key}", tag, f"The change history of a record of {table.label}", {
            **ok("Oldest first.", {"type": "object", "required": ["history"], "properties": {
                "history": {"type": "array", "items": ref("HistoryEntry")}}}), **errors(*READ_ERRORS)})})
