"""Card layouts, saved list views and navigation sections over the API.

``GET|PUT|DELETE /tables/{table}/layout`` — the card layout (DELETE returns to the default);
``GET|POST /tables/{table}/views``, ``GET|PATCH|DELETE /tables/{table}/views/{id}`` — saved
views (personal, shared, or the table's default); ``GET|PUT /sections`` — the navigation.
The services are ``cardfile.metamodel.layouts`` and ``cardfile.metamodel.views``.
"""

from __future__ import annotations

from flask import jsonify, url_for

from cardfile.metamodel.layouts import LAYOUT_SCHEMA, SECTIONS_SCHEMA, LayoutService
from cardfile.metamodel.views import VIEW_SCHEMA, ViewService
from cardfile.platform.app.factory import get_runtime

from .auth import current_actor
from .requests import json_body
from .v1 import bp


def layouts() -> LayoutService:
    rt = get_runtime()
    return LayoutService(rt.engine, rt.catalog, rt.access)


def views() -> ViewService:
    rt = get_runtime()
    return ViewService(rt.engine, rt.catalog, rt.access)


@bp.get("/tables/<table>/layout")
def get_layout(table):
    return layouts().get_layout(current_actor(), table)


@bp.put("/tables/<table>/layout")
def save_layout(table):
    return layouts().save_layout(current_actor(), table, json_body().get("layout"))


@bp.delete("/tables/<table>/layout")
def reset_layout(table):
    return layouts().reset_layout(current_actor(), table)


@bp.get("/tables/<table>/views")
def list_views(table):
    return {"views": views().list_views(current_actor(), table)}


@bp.post("/tables/<table>/views")
def create_view(table):
    body = json_body()
    view = views().create_view(current_actor(), table, body.get("name"), body.get("definition") or {},
                               kind=body.get("kind") or "personal")
    response = jsonify(view)
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_view", table=table, view_id=view["id"])
    return response


@bp.get("/tables/<table>/views/<int:view_id>")
def get_view(table, view_id):
    return views().get_view(current_actor(), table, view_id)


@bp.patch("/tables/<table>/views/<int:view_id>")
def update_view(table, view_id):
    return views().update_view(current_actor(), table, view_id, json_body())


@bp.delete("/tables/<table>/views/<int:view_id>")
def delete_view(table, view_id):
    return views().delete_view(current_actor(), table, view_id)


@bp.get("/sections")
def list_sections():
    return {"sections": layouts().list_sections(current_actor())}


@bp.put("/sections")
def save_sections():
    return {"sections": layouts().save_sections(current_actor(), json_body().get("sections"))}


def openapi_paths(spec) -> None:
    """Document these routes (called by ``openapi.build_spec``)."""
    from .openapi import READ_ERRORS, TABLE, WRITE_ERRORS, errors, operation, ok, path_param

    layout_out = {"type": "object", "properties": {
        "table": {"type": "string"}, "layout": LAYOUT_SCHEMA, "stored": {"type": "boolean"}}}
    view_out = {"type": "object", "properties": {
        "id": {"type": "integer"}, "table": {"type": "string"}, "name": {"type": "string"},
        "kind": {"enum": ["personal", "shared", "default"]}, "owner": {"type": ["integer", "null"]},
        "definition": VIEW_SCHEMA, "updated_at": {"type": "string", "format": "date-time"}}}
    view_in = {"type": "object", "required": ["name"], "properties": {
        "name": {"type": "string"}, "kind": {"enum": ["personal", "shared", "default"]},
        "definition": VIEW_SCHEMA}}
    section_out = {"type": "object", "properties": {
        "name": {"type": "string"}, "hidden": {"type": "boolean"},
        "tables": {"type": "array", "items": {"type": "string"}}}}
    sections_out = {"type": "object", "properties": {"sections": {"type": "array", "items": section_out}}}
    view_id = path_param("view_id", "The saved view's id.", {"type": "integer"})
    spec.path(path="/tables/{table}/layout", parameters=[TABLE], operations={
        "get": operation("get_layout", "layouts", "The card layout (the default when none is saved)",
                         {**ok("The resolved layout.", layout_out), **errors(*READ_ERRORS)}),
        "put": operation("save_layout", "layouts", "Save the card layout",
                         {**ok("The saved layout.", layout_out), **errors(*WRITE_ERRORS)},
                         body={"type": "object", "required": ["layout"], "properties": {"layout": LAYOUT_SCHEMA}}),
        "delete": operation("reset_layout", "layouts", "Forget the saved layout (back to the default)",
                            {**ok("The default layout.", layout_out), **errors(*READ_ERRORS)})})
    spec.path(path="/tables/{table}/views", parameters=[TABLE], operations={
        "get": operation("list_views", "layouts", "Saved list views the caller may use",
                         {**ok("The default view first, then by name.",
                               {"type": "object", "properties": {"views": {"type": "array", "items": view_out}}}),
                          **errors(*READ_ERRORS)}),
        "post": operation("create_view", "layouts", "Save a list view (personal; shared or default: admins)",
                          {**ok("The new view.", view_out, 201), **errors(*WRITE_ERRORS)}, body=view_in)})
    spec.path(path="/tables/{table}/views/{view_id}", parameters=[TABLE, view_id], operations={
        "get": operation("get_view", "layouts", "One saved view",
                         {**ok("The view.", view_out), **errors(*READ_ERRORS)}),
        "patch": operation("update_view", "layouts", "Rename a view, change its definition or kind",
                           {**ok("The view.", view_out), **errors(*WRITE_ERRORS)},
                           body={"type": "object", "properties": view_in["properties"]}),
        "delete": operation("delete_view", "layouts", "Delete a view",
                            {**ok("Deleted.", {"type": "object"}), **errors(*READ_ERRORS)})})
    spec.path(path="/sections", operations={
        "get": operation("list_sections", "layouts", "Navigation sections in order, with their tables",
                         {**ok("The sections.", sections_out), **errors(401)}),
        "put": operation("save_sections", "layouts", "Order and hide navigation sections",
                         {**ok("The sections.", sections_out), **errors(*WRITE_ERRORS)},
                         body={"type": "object", "required": ["sections"],
                               "properties": {"sections": SECTIONS_SCHEMA}})})
