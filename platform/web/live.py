"""The live card and the editable list: the server answers while the user types.

``POST /t/<table>/preview`` (a new record) and ``POST /t/<table>/<id>/preview`` (changes to
a record) take the card's inputs as typed, read them in the user's locale
(:mod:`.inputs`), and ask ``RecordService.preview`` what a save would compute: defaults,
formula fields, line items, visibility, problems, broken rules. Nothing is written and
nothing is computed in the browser: ``static/js/card.js`` only shows the answer, with each
value formatted here (``display``) and each default as the text its input starts with
(``edit``).

``POST /t/<table>/<id>/cell`` saves cells of one row of the editable list
(``static/js/grid.js``: a typed cell, a pasted block, an undo) through
``RecordService.update`` with the version the list was drawn with, and answers with the
row's new version and cells (computed columns change too); a stale version or an invalid
value comes back as the API's error envelope, for the cell to show.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import g, request
from flask_babel import gettext as _

from cardfile.formula.nodes import Call, Path, walk
from cardfile.metamodel.errors import ValidationFailed
from cardfile.metamodel.formulas.compiled import formula_set
from cardfile.platform.api.requests import json_body
from cardfile.platform.app.factory import get_runtime

from .entry import _answer
from .formatting import format_value
from .inputs import LOCALE_TYPES, edit_text, locale, read_values
from .views import bp


def _preview(table_name: str, record_id: int | None):
    rt = get_runtime()
    snap = rt.schema.snapshot()
    table = snap.table(table_name)
    body = json_body()
    data = body.get("values") if isinstance(body.get("values"), dict) else {}
    values, unread = read_values(snap, table, data, locale())
    for key in unread:  # what cannot be read is left out (the others still compute) and named
        name, _sep, rest = key.partition("[")
        if rest:
            index, _dot, cell = rest.partition("].")
            lines = values.get(name) or []
            if index.isdigit() and int(index) < len(lines) and isinstance(lines[int(index)], dict):
                lines[int(index)].pop(cell, None)
        else:
            values.pop(key, None)
    answer = rt.records.preview(g.user, table.api_name, values, record_id=record_id)
    for key, messages in unread.items():
        answer["errors"][key] = messages
    _decorate(rt.registry, snap, table, answer["values"], answer["defaults"])
    return answer, 200


def _decorate(registry, snap, table, values: dict, defaults: list) -> None:
    """Add ``display`` (formatted text per field) and ``edit`` (input text of each default)."""
    display, edit, totals = {}, {}, {}
    for name, value in list(values.items()):
        f = table.field(name)
        if f is None:
            continue
        if f.type == "lines":
            child = snap.child_table(f)
            for line in value or []:
                _decorate(registry, snap, child, line, line.pop("_defaults", []))
            totals[name] = line_totals(registry, child, total_columns(registry, snap, f), value or [])
            continue
        display[name] = format_value(registry, f, value)
        if name in defaults:
            edit[name] = edit_text(f, value) if f.type in LOCALE_TYPES else value
    values["_display"] = display
    values["_edit"] = edit
    if totals:
        values["_totals"] = totals


# --- the line items grid's Total row ----------------------------------------------------
def total_columns(registry, snap, lines_field) -> list[str]:
    """The columns of a line items grid whose total means something: those a formula of the
    record sums (``sum(lines.amount)``) and the amounts the lines compute (number and money
    formulas). Prices, rates, quantities and percents typed in get no total."""
    child = snap.child_table(lines_field)
    parent = snap.tables[lines_field.table_id]
    fs = formula_set(snap, registry, "sqlite")
    summed = set()
    for f in parent.fields:
        compiled = fs.fields.get((parent.api_name, f.api_name))
        for node in walk(compiled.tree) if compiled is not None else ():
            if isinstance(node, Call) and node.name.lower() == "sum" and node.args \
                    and isinstance(node.args[0], Path) and len(node.args[0].parts) == 2 \
                    and node.args[0].parts[0] == lines_field.api_name:
                summed.add(node.args[0].parts[1])
    for c in child.fields:
        if c.type == "formula" and (c.options.get("result") or {}).get("kind") in ("MONEY", "NUMBER"):
            summed.add(c.api_name)
    return [c.api_name for c in child.fields if c.api_name in summed
            and c.type in ("integer", "decimal", "money", "formula")]


def line_totals(registry, child, columns: list[str], lines: list[dict]) -> dict[str, str]:
    """Each total column's sum over ``lines`` (JSON values), formatted; money in one currency
    only (mixed currencies have no total)."""
    out = {}
    for name in columns:
        f = child.field(name)
        total, currencies, seen = Decimal(0), set(), False
        for line in lines:
            value = line.get(name)
            if isinstance(value, dict) and "amount" in value:
                currencies.add(value.get("currency"))
                value = value["amount"]
            if value is None or isinstance(value, dict):
                continue
            try:
                total += Decimal(str(value))
                seen = True
            except (InvalidOperation, ValueError):
                continue
        if not seen or len(currencies) > 1:
            out[name] = ""
            continue
        shown = {"amount": str(total), "currency": currencies.pop()} if currencies else str(total)
        out[name] = format_value(registry, f, shown)
    return out


@bp.post("/t/<table>/preview")
def record_preview_new(table):
    return _answer(lambda: _preview(table, None))


@bp.post("/t/<table>/<int:record_id>/preview")
def record_preview(table, record_id):
    return _answer(lambda: _preview(table, record_id))


@bp.post("/t/<table>/<int:record_id>/cell")
def record_cells(table, record_id):
    """Save cells of one row of the editable list: ``{"values": {name: text typed}, "version":
    3, "columns": [...]}`` (``"exact": true``: the values are the API's own JSON, as an undo
    sends the previous value back) -> ``{"id", "version", "cells": {name: text}, "values":
    {name: JSON}, "edit": {name: input text}}`` for the given columns, after the save."""
    def action():
        rt = get_runtime()
        snap = rt.schema.snapshot()
        tdef = snap.table(table)
        body = json_body()
        given = body.get("values") if isinstance(body.get("values"), dict) else {}
        refused = {name: [_("This column cannot be edited in the list.")] for name in given
                   if name not in grid_editable(rt.registry, tdef)}
        if refused or not given:
            raise ValidationFailed(refused or {"values": [_("Nothing to save.")]})
        if body.get("exact"):
            values = dict(given)
        else:
            values, unread = read_values(snap, tdef, given, locale())
            if unread:
                raise ValidationFailed(unread, message=next(iter(unread.values()))[0])
        record = rt.records.update(g.user, tdef.api_name, record_id, values, version=body.get("version"))
        return row_answer(rt.registry, tdef, record, body.get("columns")), 200
    return _answer(action)


@bp.get("/t/<table>/<int:record_id>/row")
def record_row(table, record_id):
    """One row of the editable list as it is now (after a conflict): ``?cols=a,b``."""
    def action():
        rt = get_runtime()
        tdef = rt.schema.snapshot().table(table)
        record = rt.records.get(g.user, tdef.api_name, record_id)
        return row_answer(rt.registry, tdef, record, (request.args.get("cols") or "").split(",")), 200
    return _answer(action)


#: Field types edited in the list's cells (links, users, files, line items and computed
#: fields are edited on the card).
GRID_TYPES = ("text", "long_text", "email", "phone", "url", "integer", "decimal", "percent", "money",
              "date", "choice", "boolean")


def grid_editable(registry, table) -> set[str]:
    return {f.api_name for f in table.fields if f.type in GRID_TYPES and not registry.get(f.type).read_only}


def grid_columns(rt, view, table, columns) -> list[dict]:
    """What the editable list knows of each column: whether the reader may edit it here, its
    type, choices and currency."""
    may = view.allows(table, "update")
    settable = {f.api_name for f in view.writable(table, "update")} if may else set()
    editable = grid_editable(rt.registry, table) & settable
    out = []
    for f in columns:
        entry = {"name": f.api_name, "label": f.label, "type": f.type, "editable": f.api_name in editable,
                 "required": bool(f.opt("required"))}
        if f.type == "choice":
            entry["choices"] = [{"value": c["value"], "label": c.get("label") or c["value"]}
                                for c in f.opt("choices", [])]
        if f.type == "money":
            entry["currency"] = f.opt("currency", "EUR")
        out.append(entry)
    return out


def edit_value(f, value) -> str:
    """The text a list cell's editor starts with (what ``read_values`` reads back)."""
    if value is None:
        return ""
    if f.type in LOCALE_TYPES:
        return edit_text(f, value)
    if f.type == "boolean":
        return "true" if value else "false"
    return str(value)


def row_answer(registry, table, record: dict, columns) -> dict:
    """A saved record as the editable list shows it: each column's text, value and input text."""
    names = [c for c in (columns or []) if isinstance(c, str) and table.field(c) is not None]
    return {"id": record["id"], "version": record["version"],
            "cells": {n: format_value(registry, table.field(n), record.get(n)) for n in names},
            "values": {n: record.get(n) for n in names},
            "edit": {n: edit_value(table.field(n), record.get(n)) for n in names}}


# --- the card as it opens -----------------------------------------------------------------
def initial_state(rt, table, record: dict | None, values: dict) -> tuple[dict, set, set]:
    """(values with defaults, hidden fields, defaulted fields) of a card as it opens: a new
    card shows its defaults and computed fields at once, every card its "show only when"
    result, by the same preview the card asks for while the user types. Without the right
    to save, the card opens as it is."""
    from cardfile.metamodel.errors import CardfileError

    data = {}
    for name, value in values.items():
        data[name] = value["id"] if isinstance(value, dict) and "id" in value else value
    try:
        if record is None:
            data, _unread = read_values(rt.schema.snapshot(), table, data, locale())
        answer = rt.records.preview(g.user, table.api_name, data if record is None else {},
                                    record_id=record["id"] if record is not None else None)
    except CardfileError:
        return values, set(), set()
    hidden = {name for name, shown in answer["visible"].items() if not shown}
    if record is not None:
        return values, hidden, set()
    merged = dict(values)
    defaulted = set()
    for name, value in answer["values"].items():
        f = table.field(name)
        if f is None or f.type in ("lines", "link", "user") or name in values:
            continue
        if name in answer["defaults"] or (f.type == "formula" and value is not None):
            merged[name] = value
            if name in answer["defaults"]:
                defaulted.add(name)
    return merged, hidden, defaulted


def mark_widgets(tabs: list[dict], hidden: set, defaulted: set) -> None:
    for tab in tabs:
        for section in tab["sections"]:
            for column in section["columns"]:
                for w in column:
                    w["hidden"] = w["name"] in hidden
                    w["defaulted"] = w["name"] in defaulted
