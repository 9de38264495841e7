"""The generic list view of every table, and its trash.

The state of a list lives in the URL (``cols``, ``sort``, ``filter``, ``q``, ``where``,
``page``, ``view``), so a list can be bookmarked and the back button works. A saved view
fills what the URL leaves out; without one, the table's default view does; without that,
the first fields. One page is one ``RecordService.list`` call (one query for the rows,
one for the count, one per link column for display values).
"""

from __future__ import annotations

from flask import g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from cardfile.metamodel.errors import CardfileError
from cardfile.metamodel.formulas.filters import where_filter
from cardfile.metamodel.records.query import ListQuery, parse_filter
from cardfile.platform.app.factory import get_runtime

from .filters import chip_text, read_filters, user_choices
from .formatting import format_value
from .i18n import local
from .inputs import date_placeholder, locale
from .live import edit_value, grid_columns
from .views import bp, page_number, views

PER_PAGE = 50
DEFAULT_COLUMNS = 8
OPERATOR_LABELS = {
    "eq": "is", "ne": "is not", "in": "is any of", "not_in": "is none of", "lt": "less than",
    "lte": "at most", "gt": "greater than", "gte": "at least", "contains": "contains",
    "not_contains": "does not contain", "starts_with": "starts with", "ends_with": "ends with",
    "is_empty": "is empty", "is_not_empty": "is not empty", "has": "has", "has_not": "has not",
}


def operator_labels() -> dict:
    names = {"is": _("is"), "is not": _("is not"), "is any of": _("is any of"),
             "is none of": _("is none of"), "less than": _("less than"), "at most": _("at most"),
             "greater than": _("greater than"), "at least": _("at least"), "contains": _("contains"),
             "does not contain": _("does not contain"), "starts with": _("starts with"),
             "ends with": _("ends with"), "is empty": _("is empty"), "is not empty": _("is not empty"),
             "has": _("has"), "has not": _("has not")}
    return {op: names[label] for op, label in OPERATOR_LABELS.items()}


def filter_fields(registry, table, snap=None, rt=None) -> list[dict]:
    """What the filter builder offers: each field with its operators and choices; a link
    field names its target (the value is picked by the linked record's display value), a
    user field lists the users by name."""
    out, users = [], None
    for f in table.fields:
        ftype = registry.get(f.type)
        if not ftype.filter_operators:
            continue
        entry = {"name": f.api_name, "label": f.label, "type": f.type,
                 "operators": list(ftype.filter_operators),
                 "choices": [{"value": c["value"], "label": c.get("label") or c["value"]}
                             for c in f.opt("choices", [])]}
        if f.type == "link" and snap is not None:
            target = snap.table_by_id(int(f.options["target_id"]))
            entry["target"] = {"table": target.api_name, "label": target.label,
                               "display_field": target.display_field.api_name if target.display_field else ""}
        if f.type == "user" and rt is not None:
            users = users if users is not None else user_choices(rt)
            entry["choices"] = users
        out.append(entry)
    return out


def _state(table, registry) -> dict:
    """The list's state: URL parameters first, then the chosen or default view."""
    args = request.args
    view = None
    if args.get("view", "").isdigit():
        view = views().get_view(g.user, table.api_name, int(args["view"]))
    elif "view" not in args:
        view = views().default_view(g.user, table.api_name)
    d = view["definition"] if view else {}
    shown = [f.api_name for f in table.fields if registry.get(f.type).has_column][:DEFAULT_COLUMNS]
    cols = [c for c in args.get("cols", "").split(",") if c] or d.get("columns") or shown
    sort = [s for s in args.get("sort", "").split(",") if s] if "sort" in args else d.get("sort") or []
    filters = [parse_filter(t) for t in args.getlist("filter")] if "filter" in args or "q" in args \
        or "sort" in args else [tuple(f) + ("",) * (3 - len(f)) for f in d.get("filters") or []]
    return {"view": view, "columns": [c for c in cols if table.field(c) is not None],
            "widths": d.get("widths") or {}, "sort": sort, "filters": filters,
            "search": (args.get("q") if "q" in args else d.get("search") or "").strip(),
            "where": (args.get("where") if "where" in args else d.get("where") or "").strip()}


def _url(table, state, **changes) -> str:
    merged = {**state, **changes}
    params = {"cols": ",".join(merged["columns"]) or None, "sort": ",".join(merged["sort"]),
              "filter": [f"{n}:{o}:{v}" for n, o, v in merged["filters"]],
              "q": merged["search"] or None, "where": merged["where"] or None,
              "page": merged.get("page") if merged.get("page", 1) > 1 else None}
    if merged.get("view"):
        params["view"] = merged["view"]["id"]
    return url_for("web.table_list", table=table.api_name, **{k: v for k, v in params.items() if v not in (None, [])})


def list_query(rt, snap, tdef, state, page: int = 1, per_page: int = PER_PAGE) -> tuple[ListQuery, list, dict]:
    """The record service's query for a list's state (the page's and its export's), each
    filter as read (None: it could not be), and the problems of those (they are left out)."""
    read, problems = read_filters(rt, g.user, snap, tdef, state["filters"])
    where = where_filter(state["where"], rt.registry, me=g.user) if state["where"] else None
    return ListQuery(filters=[f for f in read if f is not None], search=state["search"] or None,
                     sort=state["sort"], page=page, per_page=per_page, where=where), read, problems


@bp.get("/t/<table>")
def table_list(table):
    rt = get_runtime()
    snap = local(rt.access.view(g.user).snapshot())  # hidden fields are no column, filter or choice here
    tdef = snap.table(table)
    state = _state(tdef, rt.registry)
    display = (state["view"] or {}).get("definition", {}).get("display", "list")
    if display in ("calendar", "kanban"):  # a saved calendar or kanban view opens as one
        return redirect(url_for(f"web.table_{display}", table=tdef.api_name, view=state["view"]["id"]))
    page = page_number(request.args.get("page"))
    where_error = None
    q, read_filters_, filter_problems = list_query(rt, snap, tdef, state, page)
    where = q.where
    try:
        result = rt.records.list(g.user, tdef.api_name, q)
    except CardfileError as exc:
        if where is None:
            raise
        where_error = exc.message  # show the list without the expression, and say why
        q.where = None
        result = rt.records.list(g.user, tdef.api_name, q)
    columns = [tdef.field(c) for c in state["columns"]]
    rows = [{"id": rec["id"], "cells": [format_value(rt.registry, f, rec.get(f.api_name)) for f in columns],
             "numeric": [f.type in ("integer", "decimal", "money", "percent") for f in columns],
             "version": rec["version"], "edit": [edit_value(f, rec.get(f.api_name)) for f in columns],
             "values": [rec.get(f.api_name) for f in columns]}
            for rec in result["records"]]
    total = result["total"]
    pages = max(1, -(-total // PER_PAGE))
    sort_links = {}
    for f in columns:
        current = state["sort"][0] if state["sort"] else ""
        sortable = rt.registry.get(f.type).sortable
        nxt = f"-{f.api_name}" if current == f.api_name else f.api_name
        sort_links[f.api_name] = {
            "url": _url(tdef, state, sort=[nxt], page=1) if sortable else None,
            "dir": "asc" if current == f.api_name else "desc" if current == f"-{f.api_name}" else None}
    chips = [{"label": (tdef.field(n).label if tdef.field(n) else n), "op": operator_labels().get(o, o),
              "value": chip_text(rt, g.user, snap, tdef, n, o, read_filters_[i][2] if read_filters_[i] else v),
              "problem": filter_problems.get(i),
              "remove": _url(tdef, state, filters=[x for x in state["filters"] if x != (n, o, v)], page=1)}
             for i, (n, o, v) in enumerate(state["filters"])]
    view = rt.access.view(g.user)
    return render_template(
        "list.html", table=tdef, columns=columns, rows=rows, total=total, page=page, pages=pages,
        state=state, sort_links=sort_links, chips=chips, where_error=where_error,
        can_import=view.allows(tdef, "create"), can_export=view.allows(tdef, "export"),
        grid=grid_columns(rt, view, tdef, columns),
        export_urls={fmt: export_url(tdef, state, fmt) for fmt in ("csv", "xlsx", "json")},
        lines_exports=[(f.label, export_url(tdef, state, "csv", lines=f.api_name))
                       for f in view.readable(tdef) if f.type == "lines"],
        saved_views=views().list_views(g.user, tdef.api_name),
        prev_url=_url(tdef, state, page=page - 1) if page > 1 else None,
        next_url=_url(tdef, state, page=page + 1) if page < pages else None,
        clear_url=url_for("web.table_list", table=tdef.api_name, view=""),
        filter_fields=filter_fields(rt.registry, tdef, snap, rt), operators=operator_labels(),
        date_placeholder=date_placeholder(locale()),
        boards={"calendar": any(f.type in ("date", "datetime") for f in tdef.fields),
                "kanban": any(f.type == "choice" for f in tdef.fields)},
        all_fields=[{"name": f.api_name, "label": f.label} for f in tdef.fields if rt.registry.get(f.type).has_column])


def export_url(table, state, fmt: str, lines: str | None = None) -> str:
    """The list's export in ``fmt`` with the list's state (every page, the visible columns);
    with ``lines``, the CSV of that lines field's line items."""
    params = {"lines": lines, "cols": ",".join(state["columns"]) or None, "sort": ",".join(state["sort"]) or None,
              "filter": [f"{n}:{o}:{v}" for n, o, v in state["filters"]], "q": state["search"] or None,
              "where": state["where"] or None, "view": ""}  # the state is complete: no view adds to it
    return url_for("web.table_export", table=table.api_name, fmt=fmt,
                   **{k: v for k, v in params.items() if v not in (None, [])})


@bp.get("/t/<table>/trash")
def table_trash(table):
    rt = get_runtime()
    tdef = local(rt.access.view(g.user).snapshot()).table(table)
    page = page_number(request.args.get("page"))
    result = rt.records.list(g.user, tdef.api_name, ListQuery(trashed=True, page=page, per_page=PER_PAGE,
                                                              sort=["-deleted_at"]))
    columns = [f for f in tdef.fields if rt.registry.get(f.type).has_column][:4]
    rows = [{"id": r["id"], "deleted_at": r.get("deleted_at"),
             "cells": [format_value(rt.registry, f, r.get(f.api_name)) for f in columns]}
            for r in result["records"]]
    pages = max(1, -(-result["total"] // PER_PAGE))
    can_purge = rt.access.view(g.user).allows(tdef, "purge")
    return render_template("trash.html", table=tdef, columns=columns, rows=rows, total=result["total"],
                           page=page, pages=pages, can_purge=can_purge,
                           purge_api=url_for("api.empty_trash", table=tdef.api_name))


# The list's Export menu and Import pages attach their routes to ``bp`` too.
from . import exports, imports  # noqa: E402,F401
