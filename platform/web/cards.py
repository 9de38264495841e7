"""The generic card view: the card layout drawn with one widget per field type.

``/t/<table>/new`` and ``/t/<table>/<id>`` render the same template. The page carries the
record's values and version; ``static/js/card.js`` sends only the changed fields to the
API (PATCH with the version, or POST), shows validation errors next to their fields and,
on a version conflict, who changed what, with reload or reapply. The History tab lists the
audit log; related lists show the records of other tables that link here.
"""

from __future__ import annotations

from flask import g, render_template, request, url_for
from flask_babel import gettext as _

from cardfile.metamodel.records.query import ListQuery
from cardfile.platform.app.factory import get_runtime

from .formatting import format_timestamp, format_value
from .history import history_rows
from .inputs import LOCALE_TYPES, date_placeholder, edit_text, locale
from .views import bp, layouts

RELATED_ROWS = 10
WIDGETS = {
    "text": "text", "email": "email", "phone": "tel", "url": "url", "long_text": "textarea",
    "integer": "number", "decimal": "number", "percent": "number", "money": "money",
    "boolean": "checkbox", "date": "date", "datetime": "datetime", "choice": "choice",
    "multi_choice": "multi", "link": "link", "user": "readonly", "lines": "lines", "file": "file",
    "image": "file", "counter": "readonly", "formula": "readonly",
}


def widget_of(registry, snap, f, value, file_url=None) -> dict:
    """One field's widget; ``file_url(field_path, value)`` gives a stored file's URL."""
    ftype = registry.get(f.type)
    w = {"name": f.api_name, "label": f.label, "type": f.type, "widget": WIDGETS.get(f.type, "text"),
         "value": value, "text": format_value(registry, f, value), "required": bool(f.opt("required")),
         "help": f.opt("help_text", ""), "visible_if": f.opt("visible_if", ""),
         "read_only": bool(ftype.read_only) or f.type in ("counter", "formula", "user"),
         "expression": f.opt("expression", "") if f.type == "formula" else ""}
    if f.type in ("choice", "multi_choice"):
        w["choices"] = [{"value": c["value"], "label": c.get("label") or c["value"], "color": c.get("color")}
                        for c in f.opt("choices", [])]
    if f.type == "money":
        w["currency"] = f.opt("currency", "EUR")
    if f.type in LOCALE_TYPES:  # text typed in the user's locale, read by entry.py
        w["edit"] = edit_text(f, value)
        w["canonical"] = value.get("amount") if isinstance(value, dict) else value
        w["inputmode"] = "numeric" if f.type == "integer" else "decimal"
        if f.type == "date":
            w["placeholder"] = date_placeholder(locale())
    if f.type == "link":
        target = snap.table_by_id(int(f.options["target_id"]))
        w["target"] = target.api_name
        w["target_label"] = target.label
        w["display_field"] = target.display_field.api_name if target.display_field else ""
    if f.type in ("file", "image") and isinstance(value, dict) and file_url is not None:
        w["file_url"] = file_url(f.api_name, value)
    if f.type == "lines":
        child = snap.child_table(f)
        in_line = None if file_url is None else (lambda name, v: file_url(f"{f.api_name}.{name}", v))
        w["columns"] = [widget_of(registry, snap, c, None) for c in child.fields]
        w["lines"] = [{"id": line["id"], "cells": [widget_of(registry, snap, c, line.get(c.api_name), in_line)
                                                   for c in child.fields]}
                      for line in (value or [])]
        from .live import line_totals, total_columns
        w["totals"] = line_totals(registry, child, total_columns(registry, snap, f), value or [])
    return w


def record_file_url(table, record: dict):
    """``file_url`` for widget_of: a stored record's files, through the record (its scope and fields)."""
    def url(field: str, value: dict) -> str:
        return url_for("api.record_file", table=table.api_name, record_id=record["id"], field=field,
                       sha256=value["sha256"], name=value.get("name") or None)
    return url


def card_sections(registry, snap, table, layout: dict, record: dict, file_url=None) -> list[dict]:
    tabs = []
    for i, tab in enumerate(layout["tabs"]):
        sections = []
        for section in tab["sections"]:
            columns = [[widget_of(registry, snap, table.field(n), record.get(n), file_url) for n in col]
                       for col in section["fields"]]
            if any(columns):
                sections.append({"title": section.get("title") or "", "columns": columns,
                                 "count": section["columns"]})
        tabs.append({"id": f"tab-{i}", "title": tab["title"], "sections": sections})
    return tabs


def related_lists(rt, snap, table, record_id) -> list[dict]:
    out = []
    for other, link in snap.back_links(table):
        if other.is_child or not other.live:
            continue
        result = rt.records.list(g.user, other.api_name, ListQuery(
            filters=[(link.api_name, "eq", str(record_id))], per_page=RELATED_ROWS, sort=["-id"]))
        columns = [f for f in other.fields if rt.registry.get(f.type).has_column and f.id != link.id][:4]
        out.append({"table": other, "field": link, "total": result["total"], "columns": columns,
                    "rows": [{"id": r["id"], "cells": [format_value(rt.registry, f, r.get(f.api_name))
                                                      for f in columns]} for r in result["records"]],
                    "new_url": url_for("web.record_new", table=other.api_name, **{link.api_name: record_id}),
                    "all_url": url_for("web.table_list", table=other.api_name,
                                       filter=f"{link.api_name}:eq:{record_id}")})
    return out


def _render(table_name: str, record: dict | None):
    rt = get_runtime()
    snap = rt.schema.snapshot()
    table = snap.table(table_name)
    layout = layouts().get_layout(g.user, table.api_name)["layout"]
    values = record or {}
    if record is None:  # a new card: prefill from the query string (e.g. a related list's "add new")
        for name, raw in request.args.items():
            f = table.field(name)
            if f is not None and f.type == "link" and raw.isdigit():
                target = snap.table_by_id(int(f.options["target_id"]))
                found = rt.records.get(g.user, target.api_name, int(raw))
                shown = target.display_field
                values[name] = {"id": found["id"], "display": format_value(rt.registry, shown, found.get(shown.api_name))
                                if shown else f"#{raw}"}
            elif f is not None and not rt.registry.get(f.type).read_only:
                values[name] = raw
    from .live import initial_state, mark_widgets  # defaults, computed values, "show only when"
    values, hidden, defaulted = initial_state(rt, table, record, values)
    tabs = card_sections(rt.registry, snap, table, layout, values,
                         record_file_url(table, record) if record is not None else None)
    mark_widgets(tabs, hidden, defaulted)
    history = related = []
    if record is not None:
        history = history_rows(rt, table, rt.records.history(g.user, table.api_name, record["id"]))
        related = related_lists(rt, snap, table, record["id"])
    display = table.display_field
    title = format_value(rt.registry, display, values.get(display.api_name)) if record and display else ""
    return render_template("card.html", table=table, record=record, tabs=tabs, history=history,
                           related=related, title=title or (f"#{record['id']}" if record else _("New record")),
                           created=format_timestamp(record.get("created_at")) if record else "",
                           updated=format_timestamp(record.get("updated_at")) if record else "")


@bp.get("/t/<table>/new")
def record_new(table):
    return _render(table, None)


@bp.get("/t/<table>/<int:record_id>")
def record_card(table, record_id):
    rt = get_runtime()
    record = rt.records.get(g.user, table, record_id)
    return _render(table, record)


# Saving a card from the typed texts (its routes attach to ``bp`` too).
from . import entry, live  # noqa: E402,F401
