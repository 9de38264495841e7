"""Print templates and documents over the API.

Templates: ``GET /tables/{t}/templates`` (what the caller may use, or design),
``POST /templates``, ``GET/PATCH/DELETE /templates/{id}``, ``POST …/restore``,
``GET …/versions``, ``POST …/revert``, ``PUT/GET …/docx`` (a Word template's file),
``POST /templates/preview`` and ``POST /templates/check`` (the editor), ``GET
/tables/{t}/template-variables``. Documents: ``GET /tables/{t}/print/{template}/{id}
?format=html|pdf|docx``; many records, email and the copies kept with a record are in
``print_routes``. Company details: ``GET/PUT /company``.
"""

from __future__ import annotations

from flask import Response, current_app, jsonify, request, url_for

from cardfile.metamodel.errors import BadQuery, ValidationFailed
from cardfile.platform.app.factory import get_runtime
from cardfile.reports.documents import Documents
from cardfile.reports.documents.sandbox import TemplateInvalid
from cardfile.reports.documents.variables import unknown_names, variables

from .auth import current_actor
from .requests import json_body
from .v1 import bp

EXTENSION = "cardfile.documents"


def documents() -> Documents:
    """The app's document service (built once: compiled templates are cached in it)."""
    found = current_app.extensions.get(EXTENSION)
    if found is None:
        found = current_app.extensions[EXTENSION] = Documents(get_runtime())
    return found


def _created(template: dict):
    response = jsonify(template)
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_template", template_id=template["id"])
    return response


# --- templates ---------------------------------------------------------------------------
@bp.get("/tables/<table>/templates")
def list_templates(table):
    trashed = request.args.get("trashed") in ("1", "true")
    return {"templates": documents().templates.list(current_actor(), table, trashed=trashed)}


@bp.post("/templates")
def create_template():
    return _created(documents().templates.create(current_actor(), json_body()))


@bp.get("/templates/<template_id>")
def get_template(template_id):
    return documents().templates.get(current_actor(), template_id)


@bp.patch("/templates/<template_id>")
def update_template(template_id):
    return documents().templates.update(current_actor(), template_id, json_body())


@bp.delete("/templates/<template_id>")
def delete_template(template_id):
    return documents().templates.delete(current_actor(), template_id)


@bp.post("/templates/<template_id>/restore")
def restore_template(template_id):
    return documents().templates.restore(current_actor(), template_id)


@bp.get("/templates/<template_id>/versions")
def template_versions(template_id):
    return {"versions": documents().templates.versions(current_actor(), template_id)}


@bp.post("/templates/<template_id>/revert")
def revert_template(template_id):
    version = json_body().get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise BadQuery("Say which version to go back to: {\"version\": 3}.", {"field": "version"})
    return documents().templates.revert(current_actor(), template_id, version)


@bp.put("/templates/<template_id>/docx")
def upload_template_docx(template_id):
    """``multipart/form-data`` with a ``file`` part: the Word template."""
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed({"file": ["send the .docx as a multipart/form-data part named 'file'"]})
    docs = documents()
    result = docs.templates.attach_docx(current_actor(), template_id, upload.stream.read(), upload.filename or "")
    snap = get_runtime().schema.snapshot()
    table = snap.table(result["table"])
    unknown = sorted(set(result.pop("variables")) - _known_top(docs, snap, table))
    return {**result, "unknown": unknown}


@bp.get("/templates/<template_id>/docx")
def download_template_docx(template_id):
    data, name = documents().templates.docx_bytes(current_actor(), template_id)
    return _file(data, "docx", name)


def _known_top(docs: Documents, snap, table) -> set[str]:
    from cardfile.metamodel.formulas.bridge import back_link_names
    from cardfile.reports.documents.helpers import HELPER_NAMES
    from cardfile.reports.documents.render import SPECIAL_NAMES

    return ({f.api_name for f in table.fields} | set(back_link_names(snap, table)) | set(SPECIAL_NAMES)
            | set(HELPER_NAMES) | {"id", "loop", "range", "dict", "namespace"})


@bp.post("/templates/preview")
def preview_template():
    """Body: ``{"table", "body", "record"?, "settings"?, "frame"?}``; nothing is saved. With
    ``frame`` the answer also names a URL showing the page (``GET /templates/preview/{token}``)."""
    body = json_body()
    table = _text(body, "table")
    actor = current_actor()
    result = documents().preview(actor, table, _text(body, "body"), body.get("record"),
                                 body.get("settings") if isinstance(body.get("settings"), dict) else None)
    if body.get("frame") is True:  # the editor shows it in a frame, from its own URL
        from .print_routes import keep_preview

        result["frame"] = url_for("api.preview_frame", token=keep_preview(actor.id, result["html"]))
    return result


@bp.post("/templates/check")
def check_template():
    """Body: ``{"table", "body"}`` -> ``{"ok", "errors": [{line, column, message}], "unknown": [...]}``
    (200 either way, like the formula check)."""
    body = json_body()
    docs = documents()
    actor = current_actor()
    table_name = _text(body, "table")
    rt = get_runtime()
    rt.access.check_design(actor, table_name)
    snap = rt.schema.snapshot()
    source = _text(body, "body")
    try:
        docs.html_env.compile_source(source)
    except TemplateInvalid as exc:
        return {"ok": False, "errors": [{**exc.details, "message": exc.message}], "unknown": []}
    unknown = unknown_names(docs.html_env, source, snap, snap.table(table_name))
    return {"ok": not unknown, "errors": [], "unknown": unknown}


@bp.get("/tables/<table>/template-variables")
def template_variables(table):
    rt = get_runtime()
    actor = current_actor()
    rt.access.check_design(actor, table)
    snap = rt.schema.snapshot()
    view = rt.access.view(actor, snap)
    return {"groups": variables(snap, snap.table(table), view.readable)}


def _text(body: dict, key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise BadQuery(f"The request needs {key!r} (text).", {"field": key})
    return value


# --- documents -----------------------------------------------------------------------------
@bp.get("/tables/<table>/print/<template_id>/<record_id>")
def print_record(table, record_id, template_id):
    fmt = request.args.get("format", "pdf")
    out = documents().render(current_actor(), table, record_id, template_id, fmt)
    return _file(out.data, out.format, out.filename, inline=request.args.get("download") not in ("1", "true"))


def _file(data: bytes, fmt: str, filename: str, inline: bool = False) -> Response:
    from cardfile.reports.documents import MEDIA_TYPES

    response = Response(data, mimetype=MEDIA_TYPES[fmt].split(";")[0])
    if fmt == "html":
        response.headers["Content-Type"] = MEDIA_TYPES["html"]
        # a printed page shows the document only: no scripts, nothing loaded from elsewhere
        response.headers["Content-Security-Policy"] = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
                                                       "sandbox allow-same-origin allow-modals")
    response.headers.set("Content-Disposition", "inline" if inline else "attachment", filename=filename)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- company details ---------------------------------------------------------------------------
@bp.get("/company")
def get_company():
    return documents().company.get(current_actor())


@bp.put("/company")
def update_company():
    return documents().company.update(current_actor(), json_body())


# --- OpenAPI -------------------------------------------------------------------------------------
def openapi_paths(spec) -> None:
    """Document these routes (called by ``openapi.build_spec``)."""
    from cardfile.reports.documents.company import IMAGES, TEXTS
    from cardfile.reports.documents.store import SETTINGS_SCHEMA

    from .openapi import READ_ERRORS, TABLE, WRITE_ERRORS, errors, ok, operation, path_param

    tag = "documents"
    spec.components.schema("TemplateSettings", component=SETTINGS_SCHEMA)
    settings = {"$ref": "#/components/schemas/TemplateSettings"}
    template = {"type": "object", "required": ["id", "table", "name", "kind", "version"], "properties": {
        "id": {"type": "integer"}, "table": {"type": "string"}, "name": {"type": "string"},
        "kind": {"enum": ["html", "docx"]}, "description": {"type": ["string", "null"]},
        "body": {"type": ["string", "null"], "description": "The HTML template (Jinja2, sandboxed)."},
        "docx": {"type": ["object", "null"], "description": "The Word file: {sha256, name}."},
        "settings": settings, "package": {"type": ["string", "null"]}, "version": {"type": "integer"},
        "usable": {"type": "boolean"}, "designable": {"type": "boolean"},
        "created_at": {"type": "string"}, "updated_at": {"type": "string"}, "deleted_at": {"type": ["string", "null"]}}}
    spec.components.schema("Template", component=template)
    ref = {"$ref": "#/components/schemas/Template"}
    template_in = {"type": "object", "required": ["table", "name"], "properties": {
        k: v for k, v in template["properties"].items() if k in ("table", "name", "kind", "description", "body",
                                                                   "settings")}}
    tid = path_param("template_id", "The template's id.", {"type": "integer"})
    binary = {"type": "string", "format": "binary"}
    spec.path(path="/tables/{table}/templates", parameters=[TABLE], operations={
        "get": operation("list_templates", tag, "The table's print templates the caller may use or design", {
            **ok("By name.", {"type": "object", "properties": {"templates": {"type": "array", "items": ref}}}),
            **errors(*READ_ERRORS)},
            params=[{"name": "trashed", "in": "query", "required": False, "schema": {"type": "boolean"}}])})
    spec.path(path="/templates", operations={
        "post": operation("create_template", tag, "Create a print template (design right on the table)", {
            **ok("The template.", ref, 201), **errors(*WRITE_ERRORS, 409)}, body=template_in,
            description="A syntax error is 422 TEMPLATE_INVALID with details.line and details.column; "
                        "nothing is saved.")})
    spec.path(path="/templates/{template_id}", parameters=[tid], operations={
        "get": operation("get_template", tag, "One template", {**ok("The template.", ref), **errors(*READ_ERRORS)}),
        "patch": operation("update_template", tag, "Change a template (a new version)", {
            **ok("The template.", ref), **errors(*WRITE_ERRORS, 409)},
            body={"type": "object", "properties": {**template_in["properties"], "version": {"type": "integer"}}}),
        "delete": operation("delete_template", tag, "Move a template to the trash", {
            **ok("Trashed.", {"type": "object"}), **errors(*READ_ERRORS)})})
    spec.path(path="/templates/{template_id}/restore", parameters=[tid], operations={
        "post": operation("restore_template", tag, "Restore a template from the trash", {
            **ok("The template.", ref), **errors(*READ_ERRORS, 409)})})
    spec.path(path="/templates/{template_id}/versions", parameters=[tid], operations={
        "get": operation("template_versions", tag, "Every saved version, newest first", {
            **ok("Versions.", {"type": "object", "properties": {"versions": {"type": "array", "items": {
                "type": "object"}}}}), **errors(*READ_ERRORS)})})
    spec.path(path="/templates/{template_id}/revert", parameters=[tid], operations={
        "post": operation("revert_template", tag, "Save an earlier version as the newest", {
            **ok("The template.", ref), **errors(*WRITE_ERRORS)},
            body={"type": "object", "required": ["version"], "properties": {"version": {"type": "integer"}}})})
    spec.path(path="/templates/{template_id}/docx", parameters=[tid], operations={
        "put": {"operationId": "upload_template_docx", "tags": [tag], "summary": "Upload a Word template's file",
                "description": "Refused (422 DOCX_INVALID) when it is not a DOCX or unpacks far beyond its size; "
                               "placeholders that do not parse are 422 TEMPLATE_INVALID naming the paragraph. "
                               "The answer lists placeholders the table does not know (unknown).",
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "properties": {"file": binary}}}}},
                "responses": {**ok("The template and its unknown placeholders.", ref), **errors(*WRITE_ERRORS)}},
        "get": {"operationId": "download_template_docx", "tags": [tag], "summary": "Download a Word template's file",
                "responses": {"200": {"description": "The DOCX.", "content": {
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {"schema": binary}}},
                    **errors(*READ_ERRORS)}}})
    problem = {"type": "object", "properties": {"line": {"type": ["integer", "null"]},
                                                "column": {"type": ["integer", "null"]}, "message": {"type": "string"}}}
    spec.path(path="/templates/preview", operations={
        "post": operation("preview_template", tag, "Render unsaved HTML against a record (the same sandbox)", {
            **ok("The page.", {"type": "object", "properties": {"html": {"type": "string"},
                                                               "record": {"type": ["integer", "null"]},
                                                               "hidden": {"type": "array", "items": {"type": "string"}},
                                                               "frame": {"type": "string"}}}),
            **errors(*WRITE_ERRORS)},
            body={"type": "object", "required": ["table", "body"], "properties": {
                "table": {"type": "string"}, "body": {"type": "string"}, "record": {"type": ["integer", "null"]},
                "settings": settings, "frame": {"type": "boolean", "description":
                                                "Also keep the page for 15 minutes and answer its URL (frame)."}}})})
    spec.path(path="/templates/check", operations={
        "post": operation("check_template", tag, "Check a template's syntax and names (200 either way)", {
            **ok("Problems with line and column; unknown names.", {"type": "object", "properties": {
                "ok": {"type": "boolean"}, "errors": {"type": "array", "items": problem},
                "unknown": {"type": "array", "items": {"type": "object"}}}}), **errors(*WRITE_ERRORS)},
            body={"type": "object", "required": ["table", "body"], "properties": {
                "table": {"type": "string"}, "body": {"type": "string"}}})})
    spec.path(path="/tables/{table}/template-variables", parameters=[TABLE], operations={
        "get": operation("template_variables", tag, "Names a template of this table may use", {
            **ok("Groups of names with snippets.", {"type": "object", "properties": {"groups": {
                "type": "array", "items": {"type": "object"}}}}), **errors(*READ_ERRORS)})})
    record_id = path_param("record_id", "The record's id.", {"type": "integer"})
    fmt = {"name": "format", "in": "query", "required": False, "schema": {"enum": ["html", "pdf", "docx"],
                                                                          "default": "pdf"}}
    spec.path(path="/tables/{table}/print/{template_id}/{record_id}", parameters=[TABLE, tid, record_id],
              operations={"get": {
                  "operationId": "print_record", "tags": [tag], "summary": "One record through a template",
                  "description": "Needs read and print on the table. Fields the caller may not read are "
                                 "printed as [not readable: name], never their values.",
                  "parameters": [fmt, {"name": "download", "in": "query", "required": False,
                                       "schema": {"type": "boolean"}}],
                  "responses": {"200": {"description": "The document.", "content": {
                      "text/html": {"schema": {"type": "string"}}, "application/pdf": {"schema": binary},
                      "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {"schema": binary}}},
                      **errors(*READ_ERRORS, 422)}}})
    company = {"type": "object", "properties": {
        **{k: {"type": "string"} for k in TEXTS},
        **{k: {"type": ["object", "null"], "properties": {"sha256": {"type": "string"}, "name": {"type": "string"}}}
           for k in IMAGES}}}
    print_routes.openapi_paths(spec)
    spec.path(path="/company", operations={
        "get": operation("get_company", tag, "The company's details printed on documents", {
            **ok("Details.", company), **errors(401)}),
        "put": operation("update_company", tag, "Change the company's details (administrators)", {
            **ok("Details.", company), **errors(*WRITE_ERRORS)}, body=company)})


from . import print_routes  # noqa: E402 - many records, email and kept copies (uses documents())
