"""Saving a card from what the user typed: the form's texts read in the user's locale.

``POST /t/<table>/new`` creates and ``POST /t/<table>/<id>`` updates (JSON in, the
record's JSON out, errors in the API's envelope so ``card.js`` handles both alike).
Numbers, money, percents and dates arrive as typed and are read by ``inputs.read_values``;
a text that cannot be read is answered with ``VALIDATION_FAILED`` naming the field, and
nothing is saved. ``POST /t/<table>/read-input`` reads one input when the user leaves it,
so the card can show what was understood (``12,5`` becomes ``12,50 €``) or what is wrong.
Everything else goes to the record service unchanged.
"""

from __future__ import annotations

from flask import g, jsonify, request
from flask_babel import gettext as _

from cardfile.metamodel.errors import CardfileError, ValidationFailed
from cardfile.metamodel.fieldtypes.base import FieldValueError
from cardfile.platform.api.errors import envelope, status_for
from cardfile.platform.api.requests import json_body
from cardfile.platform.app.factory import get_runtime

from .formatting import format_value
from .inputs import InputError, edit_text, locale, read_value, read_values
from .messages import translate
from .views import bp


def _answer(action):
    """``action()``'s JSON, or a domain error in the API's envelope (never an HTML page)."""
    try:
        result, status = action()
    except CardfileError as exc:
        response = jsonify(envelope(exc.code, *translate(exc.code, exc.message, exc.details)))
        response.status_code = status_for(exc.code)
        return response
    response = jsonify(result)
    response.status_code = status
    return response


def _read(table_name: str, data: dict) -> dict:
    snap = get_runtime().schema.snapshot()
    table = snap.table(table_name)
    values, errors = read_values(snap, table, data, locale())
    if errors:
        raise ValidationFailed(errors, message=_("Some values could not be read; see the marked fields."))
    return values


@bp.post("/t/<table>/new")
def record_create(table):
    def action():
        values = _read(table, json_body())
        return get_runtime().records.create(g.user, table, values), 201
    return _answer(action)


@bp.post("/t/<table>/<int:record_id>")
def record_update(table, record_id):
    def action():
        data = json_body()
        values = _read(table, data)
        return get_runtime().records.update(g.user, table, record_id, values, version=data.get("version")), 200
    return _answer(action)


@bp.post("/t/<table>/read-input")
def read_input(table):
    """``{"field": "price", "text": "12,5"}`` (``"lines.price"`` for a line item's cell) ->
    ``{"value": "12.50", "text": "12,50"}`` or a ``VALIDATION_FAILED`` with the message."""
    def action():
        data = json_body()
        rt = get_runtime()
        snap = rt.schema.snapshot()
        tdef = snap.table(table)
        name = str(data.get("field") or "")
        parent, _dot, child = name.partition(".")
        f = tdef.field(parent)
        if f is not None and child:
            f = snap.child_table(f).field(child) if f.type == "lines" else None
        if f is None:
            raise ValidationFailed({name or "field": [_("There is no such field.")]})
        raw = data.get("text")
        if f.type == "money":
            raw = {"amount": raw, "currency": data.get("currency") or f.opt("currency", "EUR")}
        try:
            value = read_value(f, raw, locale())
        except InputError as exc:
            raise ValidationFailed({name: [str(exc)]}, message=str(exc)) from None
        ftype = rt.registry.get(f.type)
        try:  # the type's own rules (places, bounds), as the save will apply them
            shown = ftype.to_json(ftype.parse(value, f), f) if value is not None else None
        except FieldValueError as exc:
            raise ValidationFailed({name: [exc.message]}, message=exc.message) from None
        return {"value": shown, "text": edit_text(f, shown), "display": format_value(rt.registry, f, shown)}, 200
    return _answer(action)
