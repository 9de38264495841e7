"""The generic card view: the card layout drawn with one widget per field type.

``/t/<table>/new`` and ``/t/<table>/<id>`` render the same template. The page carries the
record's values and version; ``static/js/card.js`` sends only the changed fields to the
API (PATCH with the version, or POST), shows validation errors next to their fields and,
on a version conflict, who changed what, with reload or reapply. The History tab lists the
audit log; related lists show the records of other tables that link here.

The card is drawn from the reader's snapshot: a hidden field has no input, a field the user
may not set (read-only for them, or the record is outside what they may change) is shown
read-only, a related list of a table they may not read is left out, and the Save, Delete
and "Add new" buttons appear only for what they may do (``Access.actions``). A user field
is a choice of the active users; a new card preselects the signed-in user when the field's
default formula is ``me``.
"""

from __future__ import annotations

from flask import g, render_template, request, url_for
from flask_babel import gettext as _

from cardfile.metamodel.records.query import ListQuery
from cardfile.platform.app.factory import get_runtime

from .filters import user_choices
from .formatting import format_timestamp, format_value
from .history import history_rows
from .i18n import local
from .inputs import LOCALE_TYPES, date_placeholder, edit_text, locale
from .views import bp, layouts

RELATED_ROWS = 10
DEFAULT_TAB = "General"  # the title of the default layout's one tab (metamodel/layouts.py)
WIDGETS = {
    "text": "text", "email": "email", "phone": "tel", "url": "url", "long_text": "textarea",
    "integer": "number", "decimal": "number", "percent": "number", "money": "money",
    "boolean": "checkbox", "date": "date", "datetime": "datetime", "choice": "choice",
    "multi_choice": "multi", "link": "link", "user": "user", "lines": "lines", "file": "file",
    "image": "file", "counter": "readonly", "formula": "readonly",
}


class Editing:
    """What the reader may set on this card: ``fields(table)`` -> the names they may set
    (None: everything the types allow); ``users()`` the user choices, read once."""

    def __init__(self, rt, view=None, action: str = "update", locked: bool = False):
        self.rt, self.view, self.action, self.locked = rt, view, action, locked
        self._users = None
        self._fields: dict = {}

    def fields(self, table) -> set | None:
        if self.locked:
            return set()
        if self.view is None or table is None:
            return None
        if table.id not in self._fields:
            self._fields[table.id] = {f.api_name for f in self.view.writable(table, self.action)}
        return self._fields[table.id]

    def users(self) -> list[dict]:
        if self._users is None:
            self._users = user_choices(self.rt)
        return self._users


def widget_of(registry, snap, f, value, file_url=None, editing: Editing | None = None, table=None) -> dict:
    """One field's widget; ``file_url(field_path, value)`` gives a stored file's URL;
    ``editing`` tells which fields of ``table`` the reader may set."""
    ftype = registry.get(f.type)
    settable = editing.fields(table) if editing is not None else None
    w = {"name": f.api_name, "label": f.label, "type": f.type, "widget": WIDGETS.get(f.type, "text"),
         "value": value, "text": format_value(registry, f, value),
         "help": f.opt("help_text", ""), "visible_if": f.opt("visible_if", ""),
         "read_only": bool(ftype.read_only) or f.type in ("counter", "formula")
         or (settable is not None and f.api_name not in settable),
         "expression": f.opt("expression", "") if f.type == "formula" else ""}
    w["required"] = bool(f.opt("required")) and not w["read_only"]
    if f.type == "user" and not w["read_only"]:
        w["choices"], w["chosen"] = _user_choices(editing, value)
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
        if not target.fields:  # a table the reader may not read: nothing to pick from
            w["read_only"], w["required"] = True, False
    if f.type in ("file", "image") and isinstance(value, dict) and file_url is not None:
        w["file_url"] = file_url(f.api_name, value)
    if f.type == "lines":
        child = snap.child_table(f)
        in_line = None if file_url is None else (lambda name, v: file_url(f"{f.api_name}.{name}", v))
        w["columns"] = [widget_of(registry, snap, c, None, None, editing, child) for c in child.fields]
        w["lines"] = [{"id": line["id"], "cells": [widget_of(registry, snap, c, line.get(c.api_name), in_line,
                                                             editing, child)
                                                   for c in child.fields]}
                      for line in (value or [])]
        w["locked"], w["read_only"] = w["read_only"], False  # the grid is drawn; ``locked``: no edits
        from .live import line_totals, total_columns
        w["totals"] = line_totals(registry, child, total_columns(registry, snap, f), value or [])
    return w


def _user_choices(editing: Editing | None, value) -> tuple[list[dict], str]:
    """(the active users as choices, the chosen id as text); a disabled user who is the
    current value stays a choice, so the card shows them."""
    chosen = value.get("id") if isinstance(value, dict) else value
    chosen = str(chosen) if chosen not in (None, "") else ""
    choices = list(editing.users() if editing is not None else user_choices(get_runtime()))
    if chosen and all(c["value"] != chosen for c in choices):
        shown = value.get("display") if isinstance(value, dict) else None
        choices.append({"value": chosen, "label": shown or f"#{chosen}"})
    return choices, chosen


def record_file_url(table, record: dict):
    """``file_url`` for widget_of: a stored record's files, through the record (its scope and fields)."""
    def url(field: str, value: dict) -> str:
        return url_for("api.record_file", table=table.api_name, record_id=record["id"], field=field,
                       sha256=value["sha256"], name=value.get("name") or None)
    return url


def card_sections(registry, snap, table, layout: dict, record: dict, file_url=None,
                  editing: Editing | None = None) -> list[dict]:
    tabs = []
    for i, tab in enumerate(layout["tabs"]):
        sections = []
        for section in tab["sections"]:
            columns = [[widget_of(registry, snap, table.field(n), record.get(n), file_url, editing, table)
                        for n in col if table.field(n) is not None]
                       for col in section["fields"]]
            if any(columns):
                sections.append({"title": section.get("title") or "", "columns": columns,
                                 "count": section["columns"]})
        title = _("General") if tab["title"] == DEFAULT_TAB else tab["title"]  # the default layout's tab
        tabs.append({"id": f"tab-{i}", "title": title, "sections": sections})
    return tabs


def related_lists(rt, snap, table, record_id, view) -> list[dict]:
    """The records of other tables that link here: only tables the reader may read, through
    a link field they may see (``snap`` is the reader's snapshot)."""
    out = []
    for other, link in snap.back_links(table):
        if other.is_child or not other.live or not view.allows(other, "read"):
            continue
        result = rt.records.list(g.user, other.api_name, ListQuery(
            filters=[(link.api_name, "eq", str(record_id))], per_page=RELATED_ROWS, sort=["-id"]))
        columns = [f for f in other.fields if rt.registry.get(f.type).has_column and f.id != link.id][:4]
        out.append({"table": other, "field": link, "total": result["total"], "columns": columns,
                    "rows": [{"id": r["id"], "cells": [format_value(rt.registry, f, r.get(f.api_name))
                                                      for f in columns]} for r in result["records"]],
                    "new_url": url_for("web.record_new", table=other.api_name, **{link.api_name: record_id})
                    if view.allows(other, "create") else None,
                    "all_url": url_for("web.table_list", table=other.api_name,
                                       filter=f"{link.api_name}:eq:{record_id}")})
    return out


def _render(table_name: str, record: dict | None):
    rt = get_runtime()
    view = rt.access.view(g.user)
    snap = local(view.snapshot())  # no hidden fields nor unreadable tables; labels in the user's language
    table = snap.table(table_name)
    can = rt.access.actions(g.user, table.api_name, record["id"] if record else None)
    if record is None and "create" not in can:
        view.check(table, "create")  # 403, saying why
    editing = Editing(rt, view, "update" if record else "create",
                      locked=record is not None and "update" not in can)
    layout = layouts().get_layout(g.user, table.api_name)["layout"]
    values = record or _prefill(rt, snap, table, editing)
    from .live import initial_state, mark_widgets  # defaults, computed values, "show only when"
    values, hidden, defaulted = initial_state(rt, table, record, values)
    tabs = card_sections(rt.registry, snap, table, layout, values,
                         record_file_url(table, record) if record is not None else None, editing)
    mark_widgets(tabs, hidden, defaulted)
    history = related = []
    if record is not None:
        history = history_rows(rt, table, rt.records.history(g.user, table.api_name, record["id"]))
        related = related_lists(rt, snap, table, record["id"], view)
    display = table.display_field
    title = format_value(rt.registry, display, values.get(display.api_name)) if record and display else ""
    return render_template("card.html", table=table, record=record, tabs=tabs, history=history,
                           related=related, title=title or (f"#{record['id']}" if record else _("New record")),
                           can=can, editable=record is None or "update" in can,
                           created=format_timestamp(record.get("created_at")) if record else "",
                           updated=format_timestamp(record.get("updated_at")) if record else "")


def _prefill(rt, snap, table, editing: Editing) -> dict:
    """A new card's values: the signed-in user in a user field whose default formula is
    ``me``, and what the query string gives (a related list's "add new" names the record)."""
    values: dict = {}
    settable = editing.fields(table) or set()
    for f in table.fields:
        if f.type == "user" and f.opt("default_formula", "").strip() == "me" and f.api_name in settable:
            values[f.api_name] = {"id": g.user.id, "display": g.user.display}
    for name, raw in request.args.items():
        f = table.field(name)
        if f is None or name not in settable:
            continue
        if f.type == "link" and raw.isdigit():
            target = snap.table_by_id(int(f.options["target_id"]))
            found = rt.records.get(g.user, target.api_name, int(raw))
            shown = target.display_field
            values[name] = {"id": found["id"], "display": format_value(rt.registry, shown, found.get(shown.api_name))
                            if shown else f"#{raw}"}
        elif not rt.registry.get(f.type).read_only:
            values[name] = raw
    return values


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
