"""Reminder rules and the inbox over the API.

Rules: ``GET/POST /reminder-rules``, ``GET/PATCH/DELETE /reminder-rules/{id}``, ``POST
…/restore``, ``GET …/log``. Inbox: ``GET /inbox`` (``show=unread|snoozed|all``), ``GET
/inbox/count``, ``POST /inbox/{id}/read``, ``…/unread``, ``…/snooze`` (``{"until"}``),
``POST /inbox/read-all``. Bodies go through the marshmallow schemas below (unknown keys
refused at every level); the meaning is checked by ``RuleService``.
"""

from __future__ import annotations

import datetime as dt

from flask import jsonify, request, url_for
from marshmallow import RAISE, Schema, fields, validate

from cardfile.metamodel.errors import BadQuery
from cardfile.metamodel.reminders import Inbox, RuleService
from cardfile.metamodel.reminders.rules import CHANNELS, KINDS, REPEATS
from cardfile.platform.app.factory import get_runtime

from .auth import current_actor
from .requests import json_body
from .schemas import load_definition, load_query
from .v1 import bp


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class OffsetSpec(_Strict):
    amount = fields.Integer(required=True, validate=validate.Range(min=0), metadata={"description": "How many units."})
    unit = fields.String(validate=validate.OneOf(["minutes", "hours", "days"]))
    direction = fields.String(validate=validate.OneOf(["before", "after"]))


class RecipientSpec(_Strict):
    type = fields.String(required=True, validate=validate.OneOf(["field", "owner", "group"]))
    field = fields.String(metadata={"description": "A user field, or a path through links (client.manager)."})
    group = fields.String(metadata={"description": "A group's name: every member."})


class RuleChanges(_Strict):
    name = fields.String(validate=validate.Length(min=1, max=200))
    kind = fields.String(validate=validate.OneOf(KINDS), metadata={
        "description": "reminder (one per record and date) or digest (a daily list per recipient)."})
    field = fields.String(allow_none=True, metadata={"description": "The date or date-time field (reminders)."})
    offset = fields.Nested(OffsetSpec)
    at = fields.String(metadata={"description": "Time of day, HH:MM, in the office's time zone."})
    repeat = fields.String(validate=validate.OneOf(REPEATS))
    condition = fields.String(allow_none=True, metadata={
        "description": "An expression that must be true when the reminder is due, e.g. status != \"done\"."})
    recipients = fields.List(fields.Nested(RecipientSpec))
    message = fields.String(metadata={"description": "Text with placeholders: {field}, {link.field}, {record}."})
    channels = fields.List(fields.String(validate=validate.OneOf(CHANNELS)))
    enabled = fields.Boolean(truthy={True}, falsy={False})
    table = fields.String(metadata={"description": "Stays the rule's table (it cannot move)."})


class RuleSpec(RuleChanges):
    table = fields.String(required=True, metadata={"description": "The table's API name."})
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class RuleQuery(Schema):
    table = fields.String(load_default=None)
    trashed = fields.Boolean(load_default=False)


class InboxQuery(Schema):
    show = fields.String(load_default="unread", validate=validate.OneOf(["unread", "snoozed", "all"]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=2**31))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class SnoozeBody(_Strict):
    until = fields.AwareDateTime(required=True, metadata={"description": "When it comes back, with its zone."})


def rules() -> RuleService:
    return RuleService(get_runtime())


def inbox() -> Inbox:
    return Inbox(get_runtime())


# --- rules -------------------------------------------------------------------------------
@bp.get("/reminder-rules")
def list_reminder_rules():
    q = load_query(RuleQuery(), request.args)
    return {"rules": rules().list(current_actor(), q["table"], trashed=q["trashed"])}


@bp.post("/reminder-rules")
def create_reminder_rule():
    body = load_definition(RuleSpec(), json_body(), "reminder rule")
    rule = rules().create(current_actor(), body)
    response = jsonify(rule)
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_reminder_rule", rule_id=rule["id"])
    return response


@bp.get("/reminder-rules/<rule_id>")
def get_reminder_rule(rule_id):
    return rules().get(current_actor(), rule_id)


@bp.patch("/reminder-rules/<rule_id>")
def update_reminder_rule(rule_id):
    body = load_definition(RuleChanges(), json_body(), "reminder rule")
    return rules().update(current_actor(), rule_id, body)


@bp.delete("/reminder-rules/<rule_id>")
def delete_reminder_rule(rule_id):
    return rules().delete(current_actor(), rule_id)


@bp.post("/reminder-rules/<rule_id>/restore")
def restore_reminder_rule(rule_id):
    return rules().restore(current_actor(), rule_id)


@bp.get("/reminder-rules/<rule_id>/log")
def reminder_rule_log(rule_id):
    return {"log": rules().log(current_actor(), rule_id)}


# --- inbox -------------------------------------------------------------------------------
@bp.get("/inbox")
def list_inbox():
    q = load_query(InboxQuery(), request.args)
    return inbox().list(current_actor(), q["show"], q["page"], q["per_page"])


@bp.get("/inbox/count")
def inbox_count():
    return {"unread": inbox().unread_count(current_actor())}


@bp.post("/inbox/<item_id>/read")
def read_inbox_item(item_id):
    return inbox().mark(current_actor(), item_id, True)


@bp.post("/inbox/<item_id>/unread")
def unread_inbox_item(item_id):
    return inbox().mark(current_actor(), item_id, False)


@bp.post("/inbox/<item_id>/snooze")
def snooze_inbox_item(item_id):
    body = json_body()
    try:
        until = SnoozeBody().load(body)["until"]
    except Exception as exc:  # noqa: BLE001 - marshmallow's ValidationError, said plainly
        raise BadQuery("Say until when: {\"until\": \"2026-05-12T09:00:00Z\"}.", {"field": "until"}) from exc
    return inbox().snooze(current_actor(), item_id, until.astimezone(dt.timezone.utc))


@bp.post("/inbox/read-all")
def read_all_inbox():
    return inbox().mark_all_read(current_actor())


# --- OpenAPI -----------------------------------------------------------------------------
def openapi_paths(spec) -> None:
    from .openapi import READ_ERRORS, WRITE_ERRORS, errors, ok, operation, path_param, query

    tag = "reminders"
    recipient = {"type": "object", "properties": {"type": {"enum": ["field", "owner", "group"]},
                                                  "field": {"type": "string"}, "group": {"type": "string"}}}
    rule = {"type": "object", "required": ["id", "table", "name", "kind"], "properties": {
        "id": {"type": "integer"}, "table": {"type": "string"}, "name": {"type": "string"},
        "kind": {"enum": list(KINDS)}, "field": {"type": ["string", "null"]},
        "offset": {"type": "object", "properties": {"amount": {"type": "integer"},
                                                    "unit": {"enum": ["minutes", "hours", "days"]},
                                                    "direction": {"enum": ["before", "after"]}}},
        "at": {"type": "string"}, "repeat": {"enum": list(REPEATS)}, "condition": {"type": ["string", "null"]},
        "recipients": {"type": "array", "items": recipient}, "message": {"type": "string"},
        "channels": {"type": "array", "items": {"enum": list(CHANNELS)}}, "enabled": {"type": "boolean"},
        "problem": {"type": ["string", "null"], "description": "Why the scheduler does not run it (a deleted field…)."},
        "checked_until": {"type": ["string", "null"]}, "package": {"type": ["string", "null"]},
        "designable": {"type": "boolean"}, "created_at": {"type": "string"}, "updated_at": {"type": "string"},
        "deleted_at": {"type": ["string", "null"]}}}
    spec.components.schema("ReminderRule", component=rule)
    ref = {"$ref": "#/components/schemas/ReminderRule"}
    rid = path_param("rule_id", "The rule's id.", {"type": "integer"})
    spec.path(path="/reminder-rules", operations={
        "get": operation("list_reminder_rules", tag, "Reminder rules of the tables the caller may read", {
            **ok("By name.", {"type": "object", "properties": {"rules": {"type": "array", "items": ref}}}),
            **errors(*READ_ERRORS)}, params=[query(RuleQuery)]),
        "post": operation("create_reminder_rule", tag, "Create a reminder rule (design right on the table)", {
            **ok("The rule.", ref, 201), **errors(*WRITE_ERRORS)}, body=RuleSpec,
            description="The condition is checked like any formula: one that does not check is 422 with the "
                        "position; so are unknown placeholders and recipients that are not users.")})
    spec.path(path="/reminder-rules/{rule_id}", parameters=[rid], operations={
        "get": operation("get_reminder_rule", tag, "One rule", {**ok("The rule.", ref), **errors(*READ_ERRORS)}),
        "patch": operation("update_reminder_rule", tag, "Change a rule", {**ok("The rule.", ref),
                                                                          **errors(*WRITE_ERRORS)}, body=RuleChanges),
        "delete": operation("delete_reminder_rule", tag, "Move a rule to the trash", {
            **ok("Trashed.", {"type": "object"}), **errors(*READ_ERRORS)})})
    spec.path(path="/reminder-rules/{rule_id}/restore", parameters=[rid], operations={
        "post": operation("restore_reminder_rule", tag, "Bring a rule back from the trash", {
            **ok("Restored.", {"type": "object"}), **errors(*READ_ERRORS)})})
    spec.path(path="/reminder-rules/{rule_id}/log", parameters=[rid], operations={
        "get": operation("reminder_rule_log", tag, "What the rule did not do, and why (designers)", {
            **ok("Newest first.", {"type": "object", "properties": {"log": {"type": "array", "items": {
                "type": "object"}}}}), **errors(*READ_ERRORS)})})
    item = {"type": "object", "properties": {
        "id": {"type": "integer"}, "title": {"type": "string"}, "body": {"type": "string"},
        "table": {"type": ["string", "null"]}, "record": {"type": ["integer", "null"]},
        "items": {"type": ["array", "null"], "description": "A digest's records: {id, display}."},
        "due_at": {"type": ["string", "null"]}, "late": {"type": "boolean"}, "created_at": {"type": "string"},
        "read_at": {"type": ["string", "null"]}, "snoozed_until": {"type": ["string", "null"]}}}
    spec.components.schema("InboxItem", component=item)
    iref = {"$ref": "#/components/schemas/InboxItem"}
    iid = path_param("item_id", "The inbox item's id.", {"type": "integer"})
    tag = "inbox"
    spec.path(path="/inbox", operations={"get": operation("list_inbox", tag, "The caller's inbox", {
        **ok("Newest first.", {"type": "object", "properties": {"items": {"type": "array", "items": iref},
                                                               "total": {"type": "integer"},
                                                               "unread": {"type": "integer"}}}),
        **errors(400, 401)}, params=[query(InboxQuery)])})
    spec.path(path="/inbox/count", operations={"get": operation("inbox_count", tag, "Unread items (the bell)", {
        **ok("The count.", {"type": "object", "properties": {"unread": {"type": "integer"}}}), **errors(401)})})
    for action, summary in (("read", "Mark an item read"), ("unread", "Mark an item unread")):
        spec.path(path=f"/inbox/{{item_id}}/{action}", parameters=[iid], operations={
            "post": operation(f"{action}_inbox_item", tag, summary, {**ok("The item.", iref), **errors(*READ_ERRORS)})})
    spec.path(path="/inbox/{item_id}/snooze", parameters=[iid], operations={
        "post": operation("snooze_inbox_item", tag, "Hide an item until a time", {
            **ok("The item.", iref), **errors(*WRITE_ERRORS)}, body=SnoozeBody)})
    spec.path(path="/inbox/read-all", operations={"post": operation("read_all_inbox", tag, "Mark every item read", {
        **ok("How many.", {"type": "object", "properties": {"marked": {"type": "integer"}}}), **errors(401)})})
