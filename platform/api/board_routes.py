"""Calendar and kanban boards over the API (the service is ``cardfile.metamodel.boards``).

``GET /tables/{table}/calendar?from=&to=`` — the records dated within the range (at most 62
days, 500 records), each with its day, time, colour and whether the caller may move it;
``POST /tables/{table}/calendar/move`` — put a record on another day (and time).
``GET /tables/{table}/kanban`` — a column per choice (and one for no value) with its first
cards; ``column=`` and ``page=`` page through one column; ``POST /tables/{table}/kanban/move``
— set the choice. A saved view (``view=``) gives the settings; query parameters override them.
Moves are record updates with the record's version: 409 when it is stale, 403 when the
caller may not change that record or field.
"""

from __future__ import annotations

import datetime as dt

from flask import request
from marshmallow import RAISE, Schema, fields, validate

from cardfile.metamodel.boards import Board, Boards, default_settings
from cardfile.metamodel.errors import BadQuery, InvalidDefinition
from cardfile.metamodel.ids import MAX_ID
from cardfile.metamodel.views import ViewService
from cardfile.platform.app.factory import get_runtime

from .auth import current_actor
from .requests import json_body
from .schemas import load_body, load_query
from .v1 import bp

NAME = validate.Regexp(r"^[a-z][a-z0-9_]{0,62}$")


class _Query(Schema):
    class Meta:
        unknown = RAISE

    view = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID),
                          metadata={"description": "A saved calendar or kanban view: its settings and filters."})


CalendarQuery = _Query.from_dict({  # "from" is a Python keyword: the fields by name
    "from": fields.Date(required=True, metadata={"description": "First day (YYYY-MM-DD)."}),
    "to": fields.Date(required=True, metadata={"description": "Last day, inclusive (at most 62 days on)."}),
    "date": fields.String(validate=NAME, metadata={"description": "The date or date-time field."}),
    "color": fields.String(validate=NAME, metadata={"description": "A choice field that colours the items."}),
    "person_field": fields.String(validate=NAME, metadata={"description": "The user field of the person filter."}),
    "person": fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID),
                             metadata={"description": "Only records whose person field is this user."}),
}, name="CalendarQuery")


class KanbanQuery(_Query):
    field = fields.String(validate=NAME, metadata={"description": "The choice field whose choices are the columns."})
    column = fields.String(load_default=None, validate=validate.Length(max=200), metadata={
        "description": "Just this column (a choice's value; empty: no value), for its next page."})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_column = fields.Integer(validate=validate.Range(min=1, max=100))


class _Move(Schema):
    class Meta:
        unknown = RAISE

    id = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID))
    version = fields.Integer(required=True, validate=validate.Range(min=0, max=MAX_ID),
                             metadata={"description": "The version the caller saw (409 when it is stale)."})
    view = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))


class CalendarMove(_Move):
    day = fields.Date(required=True, metadata={"description": "The new day (YYYY-MM-DD)."})
    time = fields.Time(load_default=None, metadata={
        "description": "HH:MM for a date-time field (the office's time zone); left out: the time stays."})
    date = fields.String(validate=NAME, metadata={"description": "The date field (without a view)."})


class KanbanMove(_Move):
    value = fields.String(required=True, allow_none=True, validate=validate.Length(max=200),
                          metadata={"description": "The new choice (null or empty: no value)."})
    field = fields.String(validate=NAME, metadata={"description": "The choice field (without a view)."})


def board_settings(actor, table_name: str, display: str, view_id: int | None, overrides: dict):
    """The board's settings (the view's, else the table's first suitable fields, with
    ``overrides`` on top), its view's filters, and the view (or None)."""
    rt = get_runtime()
    view, definition = None, {}
    if view_id is not None:
        view = ViewService(rt.engine, rt.catalog, rt.access).get_view(actor, table_name, view_id)
        definition = view["definition"]
        if definition.get("display", "list") != display:
            raise BadQuery(f"View {view_id} is not a {display} view.", {"view": view_id})
    seen = rt.access.view(actor)
    table = seen.visible_table(seen.snap.table(table_name))
    settings = dict(definition.get(display) or default_settings(display, table) or {})
    settings.update({k: v for k, v in overrides.items() if v is not None})
    if not settings:
        needs = "a date or date-time field" if display == "calendar" else "a choice field"
        raise InvalidDefinition(f"A {display} of {table.label!r} needs {needs}.", {"table": table.api_name})
    return settings, Board.of(definition), view


@bp.get("/tables/<table>/calendar")
def calendar(table):
    q = load_query(CalendarQuery(), request.args)
    settings, board, _view = board_settings(current_actor(), table, "calendar", q["view"], {
        "date": q.get("date"), "color": q.get("color"), "person": q.get("person_field")})
    return Boards(get_runtime()).calendar(current_actor(), table, settings, q["from"], q["to"],
                                          person=q["person"], board=board)


@bp.post("/tables/<table>/calendar/move")
def calendar_move(table):
    body = load_body(CalendarMove(), json_body())
    settings, _board, _view = board_settings(current_actor(), table, "calendar", body["view"],
                                             {"date": body.get("date")})
    return Boards(get_runtime()).move_calendar(current_actor(), table, settings, body["id"], body["version"],
                                               body["day"], body["time"])


@bp.get("/tables/<table>/kanban")
def kanban(table):
    q = load_query(KanbanQuery(), request.args)
    settings, board, _view = board_settings(current_actor(), table, "kanban", q["view"], {
        "field": q.get("field"), "per_column": q.get("per_column")})
    return Boards(get_runtime()).kanban(current_actor(), table, settings, board=board,
                                        column=q["column"], page=q["page"])


@bp.post("/tables/<table>/kanban/move")
def kanban_move(table):
    body = load_body(KanbanMove(), json_body())
    settings, _board, _view = board_settings(current_actor(), table, "kanban", body["view"],
                                             {"field": body.get("field")})
    return Boards(get_runtime()).move_kanban(current_actor(), table, settings, body["id"], body["version"],
                                             body["value"])


def openapi_paths(spec) -> None:
    """Document these routes (called by ``openapi.build_spec``)."""
    from .openapi import READ_ERRORS, TABLE, WRITE_ERRORS, errors, ok, operation, query

    record = {"type": "object", "description": "The record's readable fields, as GET …/records/{id}."}
    choice = {"type": ["object", "null"], "properties": {
        "value": {"type": "string"}, "label": {"type": "string"}, "color": {"type": ["string", "null"]}}}
    item = {"type": "object", "properties": {
        "id": {"type": "integer"}, "version": {"type": "integer"},
        "day": {"type": "string", "format": "date"}, "time": {"type": ["string", "null"]},
        "title": {"type": "string"}, "color": choice, "record": record, "movable": {"type": "boolean"}}}
    calendar_out = {"type": "object", "properties": {
        "table": {"type": "string"}, "date_field": {"type": "string"}, "date_type": {"enum": ["date", "datetime"]},
        "color_field": {"type": ["string", "null"]}, "from": {"type": "string", "format": "date"},
        "to": {"type": "string", "format": "date"}, "items": {"type": "array", "items": item},
        "total": {"type": "integer"}, "truncated": {"type": "boolean"}}}
    card = {"type": "object", "properties": {
        "id": {"type": "integer"}, "version": {"type": "integer"}, "title": {"type": "string"},
        "record": record, "movable": {"type": "boolean"}}}
    column = {"type": "object", "properties": {
        "value": {"type": "string"}, "label": {"type": ["string", "null"]}, "color": {"type": ["string", "null"]},
        "total": {"type": "integer"}, "more": {"type": "boolean"}, "cards": {"type": "array", "items": card}}}
    kanban_out = {"type": "object", "properties": {
        "table": {"type": "string"}, "field": {"type": "string"}, "per_column": {"type": "integer"},
        "page": {"type": "integer"}, "columns": {"type": "array", "items": column}}}
    moved = errors(*WRITE_ERRORS, 409)
    spec.path(path="/tables/{table}/calendar", parameters=[TABLE], operations={
        "get": operation("calendar", "boards", "Records dated within a range, placed on days",
                         {**ok("The items by date.", calendar_out), **errors(*READ_ERRORS)},
                         params=[query(CalendarQuery)])})
    spec.path(path="/tables/{table}/calendar/move", parameters=[TABLE], operations={
        "post": operation("calendar_move", "boards", "Move a record to another day (and time)",
                          {**ok("The record as saved.", record), **moved}, body=CalendarMove)})
    spec.path(path="/tables/{table}/kanban", parameters=[TABLE], operations={
        "get": operation("kanban", "boards", "Records in a column per choice",
                         {**ok("The columns with their first cards.", kanban_out), **errors(*READ_ERRORS)},
                         params=[query(KanbanQuery)])})
    spec.path(path="/tables/{table}/kanban/move", parameters=[TABLE], operations={
        "post": operation("kanban_move", "boards", "Move a card to another column (set the choice)",
                          {**ok("The record as saved.", record), **moved}, body=KanbanMove)})


def parse_day(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
