"""Mailings over the API (the ``mail`` right on the table).

``GET/POST /mailings``, ``GET/PATCH/DELETE /mailings/{id}``, ``POST /mailings/{id}/start``,
``…/pause``, ``…/resume``, ``…/cancel``, ``GET /mailings/{id}/preview?record=``, ``POST
/mailings/preview`` (an unsaved mailing), ``GET /mailings/{id}/recipients`` (the log: one
entry per recipient).
"""

from __future__ import annotations

from flask import current_app, jsonify, request, url_for
from marshmallow import RAISE, Schema, fields, validate

from cardfile.metamodel.mail.mailings import MailingService
from cardfile.platform.app.factory import get_runtime

from .auth import current_actor
from .requests import json_body
from .schemas import load_definition, load_query
from .v1 import bp


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class AudienceSpec(_Strict):
    view = fields.Integer(metadata={"description": "A saved list view of the table (its filters and search)."})
    filters = fields.List(fields.List(fields.String()), metadata={"description": "[[field, operator, value], …]"})
    where = fields.String(allow_none=True, metadata={"description": "A condition in the formula language."})
    search = fields.String(allow_none=True)


class MailingChanges(_Strict):
    name = fields.String(validate=validate.Length(min=1, max=200))
    email_field = fields.String(metadata={"description": "The field that holds the address."})
    audience = fields.Nested(AudienceSpec)
    subject = fields.String(metadata={"description": "With placeholders: {name}, {client.name}."})
    text = fields.String(metadata={"description": "Plain text; {unsubscribe} is the link (added when missing)."})
    html = fields.String(allow_none=True, metadata={"description": "An HTML version (values are escaped)."})
    table = fields.String(metadata={"description": "Stays the mailing's table."})


class MailingSpec(MailingChanges):
    table = fields.String(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email_field = fields.String(required=True)
    audience = fields.Nested(AudienceSpec, required=True)
    subject = fields.String(required=True)
    text = fields.String(required=True)


class PreviewSpec(MailingSpec):
    name = fields.String(validate=validate.Length(max=200))
    record = fields.Integer(allow_none=True, metadata={"description": "Preview for this record (default: the first)."})


class PreviewQuery(Schema):
    record = fields.Integer(load_default=None, validate=validate.Range(min=1))


class RecipientQuery(Schema):
    state = fields.String(load_default=None, validate=validate.OneOf(
        ["pending", "queued", "sent", "skipped", "failed", "unknown"]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=2**31))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


def mailings() -> MailingService:
    return MailingService(get_runtime(), current_app.config["SECRET_KEY"])


@bp.get("/mailings")
def list_mailings():
    return {"mailings": mailings().list(current_actor())}


@bp.post("/mailings")
def create_mailing():
    body = load_definition(MailingSpec(), json_body(), "mailing")
    mailing = mailings().create(current_actor(), body)
    response = jsonify(mailing)
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_mailing", mailing_id=mailing["id"])
    return response


@bp.get("/mailings/<mailing_id>")
def get_mailing(mailing_id):
    return mailings().get(current_actor(), mailing_id)


@bp.patch("/mailings/<mailing_id>")
def update_mailing(mailing_id):
    body = load_definition(MailingChanges(), json_body(), "mailing")
    return mailings().update(current_actor(), mailing_id, body)


@bp.delete("/mailings/<mailing_id>")
def delete_mailing(mailing_id):
    return mailings().delete(current_actor(), mailing_id)


@bp.post("/mailings/<mailing_id>/<any(start, pause, resume, cancel):action>")
def mailing_action(mailing_id, action):
    service = mailings()
    return getattr(service, action)(current_actor(), mailing_id)


@bp.get("/mailings/<mailing_id>/preview")
def preview_mailing(mailing_id):
    q = load_query(PreviewQuery(), request.args)
    return mailings().preview(current_actor(), mailing_id, record_id=q["record"])


@bp.post("/mailings/preview")
def preview_new_mailing():
    body = load_definition(PreviewSpec(), json_body(), "mailing")
    record = body.pop("record", None)
    return mailings().preview(current_actor(), spec=body, record_id=record)


@bp.get("/mailings/<mailing_id>/recipients")
def mailing_recipients(mailing_id):
    q = load_query(RecipientQuery(), request.args)
    return mailings().recipients(current_actor(), mailing_id, q["state"], q["page"], q["per_page"])


def openapi_paths(spec) -> None:
    from .openapi import READ_ERRORS, WRITE_ERRORS, errors, ok, operation, path_param, query

    tag = "mailings"
    counts = {"type": "object", "additionalProperties": {"type": "integer"}}
    mailing = {"type": "object", "required": ["id", "table", "name", "state"], "properties": {
        "id": {"type": "integer"}, "table": {"type": "string"}, "name": {"type": "string"},
        "email_field": {"type": "string"}, "audience": {"type": "object"}, "subject": {"type": "string"},
        "text": {"type": "string"}, "html": {"type": ["string", "null"]},
        "state": {"enum": ["draft", "sending", "paused", "done", "cancelled"]},
        "problem": {"type": ["string", "null"]}, "total": {"type": ["integer", "null"]}, "counts": counts,
        "created_by": {"type": ["integer", "null"]}, "created_at": {"type": "string"},
        "started_at": {"type": ["string", "null"]}, "finished_at": {"type": ["string", "null"]}}}
    spec.components.schema("Mailing", component=mailing)
    ref = {"$ref": "#/components/schemas/Mailing"}
    preview = {"type": "object", "properties": {
        "total": {"type": "integer"}, "record": {"type": ["object", "null"]}, "email": {"type": ["string", "null"]},
        "skip": {"type": ["string", "null"]}, "subject": {"type": "string"}, "text": {"type": "string"},
        "html": {"type": ["string", "null"]}, "headers": {"type": ["object", "null"]}}}
    mid = path_param("mailing_id", "The mailing's id.", {"type": "integer"})
    spec.path(path="/mailings", operations={
        "get": operation("list_mailings", tag, "Mailings of the tables the caller may mail", {
            **ok("Newest first.", {"type": "object", "properties": {"mailings": {"type": "array", "items": ref}}}),
            **errors(401)}),
        "post": operation("create_mailing", tag, "Create a draft mailing (mail right on the table)", {
            **ok("The mailing.", ref, 201), **errors(*WRITE_ERRORS)}, body=MailingSpec)})
    spec.path(path="/mailings/{mailing_id}", parameters=[mid], operations={
        "get": operation("get_mailing", tag, "One mailing with its counts", {**ok("The mailing.", ref),
                                                                            **errors(*READ_ERRORS)}),
        "patch": operation("update_mailing", tag, "Change a draft or paused mailing", {
            **ok("The mailing.", ref), **errors(*WRITE_ERRORS)}, body=MailingChanges),
        "delete": operation("delete_mailing", tag, "Move a mailing to the trash", {
            **ok("Trashed.", {"type": "object"}), **errors(*READ_ERRORS, 422)})})
    action = path_param("action", "start (freeze the audience and send), pause, resume or cancel.",
                        {"enum": ["start", "pause", "resume", "cancel"]})
    spec.path(path="/mailings/{mailing_id}/{action}", parameters=[mid, action], operations={
        "post": operation("mailing_action", tag, "Start, pause, resume or cancel a mailing", {
            **ok("The mailing.", ref), **errors(*READ_ERRORS, 422)})})
    spec.path(path="/mailings/{mailing_id}/preview", parameters=[mid], operations={
        "get": operation("preview_mailing", tag, "The message for one recipient, as it would go now", {
            **ok("Subject, text, HTML.", preview), **errors(*READ_ERRORS)}, params=[query(PreviewQuery)])})
    spec.path(path="/mailings/preview", operations={
        "post": operation("preview_new_mailing", tag, "Preview an unsaved mailing", {
            **ok("Subject, text, HTML.", preview), **errors(*WRITE_ERRORS)}, body=PreviewSpec)})
    spec.path(path="/mailings/{mailing_id}/recipients", parameters=[mid], operations={
        "get": operation("mailing_recipients", tag, "The mailing's log: one entry per recipient", {
            **ok("In audience order.", {"type": "object", "properties": {"recipients": {"type": "array", "items": {
                "type": "object"}}, "total": {"type": "integer"}}}), **errors(*READ_ERRORS)},
            params=[query(RecipientQuery)])})
