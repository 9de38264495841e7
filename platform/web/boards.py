"""The calendar and kanban pages of a table (``/t/<table>/calendar``, ``/t/<table>/kanban``).

A saved view whose ``display`` is calendar or kanban opens here (the list page sends it
on); without a view the table's first date (or choice) field is used, and the URL can name
others (``date``, ``color``, ``person_field``; ``field``), as the board's "Save view" keeps
them. The page is drawn here from ``cardfile.metamodel.boards`` (which reads through the
record service as the signed-in user, only the visible range or a page per column);
``static/js/board.js`` drags an item and asks the API to move it, with its version.
"""

from __future__ import annotations

import datetime as dt

from flask import abort, g, render_template, request, url_for
from flask_babel import format_date, get_locale, gettext as _

from cardfile.metamodel.boards import DATE_TYPES, Boards, fields_of
from cardfile.metamodel.errors import BadQuery
from cardfile.platform.api.board_routes import board_settings, parse_day
from cardfile.platform.app.factory import get_runtime

from .filters import user_choices
from .formatting import format_value
from .i18n import local
from .views import bp, views

MODES = ("month", "week", "day")


def _int(raw) -> int | None:
    return int(raw) if raw and str(raw).isdigit() and len(str(raw)) < 12 else None


def _range(mode: str, at: dt.date, first_weekday: int) -> tuple[dt.date, dt.date, dt.date, dt.date]:
    """(first day, last day, previous ``at``, next ``at``) of the page."""
    def week_start(day):
        return day - dt.timedelta(days=(day.weekday() - first_weekday) % 7)
    if mode == "day":
        return at, at, at - dt.timedelta(days=1), at + dt.timedelta(days=1)
    if mode == "week":
        start = week_start(at)
        return start, start + dt.timedelta(days=6), at - dt.timedelta(days=7), at + dt.timedelta(days=7)
    first = at.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    start = week_start(first)
    end = week_start(last) + dt.timedelta(days=6)
    prev = (first - dt.timedelta(days=1)).replace(day=1)
    return start, end, prev, last + dt.timedelta(days=1)


def _common(tdef, display: str, view) -> dict:
    rt = get_runtime()
    saved = views().list_views(g.user, tdef.api_name)
    return {"table": tdef, "display": display, "view": view, "saved_views": saved,
            "dates": fields_of(tdef, DATE_TYPES), "choices": fields_of(tdef, ("choice",)),
            "users_fields": fields_of(tdef, ("user",)),
            "shown_fields": [f for f in tdef.fields if rt.registry.get(f.type).has_column and f.type != "lines"],
            "list_url": url_for("web.table_list", table=tdef.api_name, view=""),
            "can_create": rt.access.view(g.user).allows(tdef, "create")}


def _shown(rt, tdef, names: list, record: dict) -> list[dict]:
    out = []
    for name in names:
        field = tdef.field(name)
        if field is not None:  # a hidden field is not in the reader's table: never shown
            text = format_value(rt.registry, field, record.get(name))
            if text:
                out.append({"label": field.label, "text": text})
    return out


def _fields_arg(args) -> list | None:
    """``fields=`` of the URL (the board's "Shown fields"): None when absent, at most six."""
    if "fields" not in args:
        return None
    return [name for name in args.getlist("fields") if name][:6]


def _strings() -> dict:
    return {"moved": _("Moved."), "conflict": _("Someone else changed this record after this page was "
                                                "loaded; nothing was saved. Reload the page to see their change."),
            "denied": _("You may not change this record."), "view_name": _("Name of the view"),
            "view_saved": _("The view was saved."), "error": _("Something went wrong. Please try again.")}


@bp.get("/t/<table>/calendar")
def table_calendar(table):
    rt = get_runtime()
    snap = local(rt.access.view(g.user).snapshot())
    tdef = snap.table(table)
    args = request.args
    settings, board, view = board_settings(g.user, tdef.api_name, "calendar", _int(args.get("view")), {
        "date": args.get("date") or None, "color": args.get("color"), "person": args.get("person_field"),
        "fields": _fields_arg(args)})
    mode = args.get("mode") if args.get("mode") in MODES else settings.get("mode") or "month"
    at = parse_day(args.get("at")) or dt.date.today()
    first_weekday = get_locale().first_week_day
    start, end, prev, nxt = _range(mode, at, first_weekday)
    person = _int(args.get("person"))
    data = Boards(rt).calendar(g.user, tdef.api_name, settings, start, end, person=person, board=board)
    by_day: dict[str, list] = {}
    for item in data["items"]:
        item["shown"] = _shown(rt, tdef, settings.get("fields") or [], item.pop("record"))
        item["url"] = url_for("web.record_card", table=tdef.api_name, record_id=item["id"])
        by_day.setdefault(item["day"], []).append(item)
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    color = tdef.field(data["color_field"]) if data["color_field"] else None
    person_field = tdef.field(settings.get("person") or "")
    keep = {k: v for k, v in {"view": view["id"] if view else None, "mode": mode, "person": person,
                              "date": args.get("date"), "color": args.get("color"),
                              "person_field": args.get("person_field"),
                              "fields": args.getlist("fields")[:7]}.items() if v}

    def link(**changes):
        return url_for("web.table_calendar", table=tdef.api_name, **{**keep, **changes})

    title = format_date(at, "LLLL y") if mode == "month" else \
        f"{format_date(start, 'medium')} – {format_date(end, 'medium')}" if mode == "week" else format_date(at, "full")
    return render_template(
        "calendar.html", **_common(tdef, "calendar", view), settings=settings, data=data, mode=mode,
        at=at.isoformat(), days=days, by_day=by_day, day_labels=[format_date(d, "EEE d MMM") for d in days], month=at.month, today=dt.date.today(), title=title,
        weekdays=[get_locale().days["format"]["abbreviated"][(first_weekday + i) % 7] for i in range(7)],
        hours=list(range(24)), timed=data["date_type"] == "datetime" and mode != "month",
        legend=[c for c in (color.opt("choices", []) if color else [])],
        person_field=person_field if person_field is not None and person_field.type == "user" else None,
        people=user_choices(rt) if person_field is not None else [], person=person,
        links={"prev": link(at=prev.isoformat()), "next": link(at=nxt.isoformat()),
               "today": link(at=None), **{m: link(mode=m, at=at.isoformat()) for m in MODES}},
        person_url=link(person=None, at=at.isoformat()),
        config={"table": tdef.api_name, "display": "calendar", "view": view, "mode": mode, "person": person,
                "settings": settings,
                "date_type": data["date_type"], "strings": _strings(), "is_admin": g.user.is_admin,
                "move": url_for("api.calendar_move", table=tdef.api_name)})


@bp.get("/t/<table>/kanban")
def table_kanban(table):
    rt = get_runtime()
    snap = local(rt.access.view(g.user).snapshot())
    tdef = snap.table(table)
    args = request.args
    settings, board, view = board_settings(g.user, tdef.api_name, "kanban", _int(args.get("view")), {
        "field": args.get("field") or None, "fields": _fields_arg(args)})
    data = Boards(rt).kanban(g.user, tdef.api_name, settings, board=board)
    _decorate(rt, tdef, settings, data["columns"])
    field = tdef.field(data["field"])
    return render_template(
        "kanban.html", **_common(tdef, "kanban", view), settings=settings, data=data, field=field,
        more_url=url_for("web.kanban_cards", table=tdef.api_name, view=view["id"] if view else None,
                         field=args.get("field") or None, fields=args.getlist("fields")[:7] or None),
        config={"table": tdef.api_name, "display": "kanban", "view": view, "settings": settings,
                "strings": _strings(), "is_admin": g.user.is_admin,
                "move": url_for("api.kanban_move", table=tdef.api_name)})


@bp.get("/t/<table>/kanban/cards")
def kanban_cards(table):
    """One column's next page of cards, as the HTML the column appends ("More")."""
    rt = get_runtime()
    tdef = local(rt.access.view(g.user).snapshot()).table(table)
    args = request.args
    page = _int(args.get("page"))
    if not page or "column" not in args:
        raise BadQuery(_("Name the column and the page."), {"column": args.get("column"), "page": args.get("page")})
    settings, board, _view = board_settings(g.user, tdef.api_name, "kanban", _int(args.get("view")), {
        "field": args.get("field") or None, "fields": _fields_arg(args)})
    data = Boards(rt).kanban(g.user, tdef.api_name, settings, board=board, column=args["column"], page=page)
    _decorate(rt, tdef, settings, data["columns"])
    if not data["columns"]:
        abort(404)
    return render_template("_kanban_cards.html", table=tdef, column=data["columns"][0], page=page,
                           per_column=data["per_column"])


def _decorate(rt, tdef, settings: dict, columns: list) -> None:
    field = tdef.field(settings.get("field") or "")
    labels = {c["value"]: c.get("label") or c["value"] for c in (field.opt("choices", []) if field else [])}
    for col in columns:  # the choices' labels in the reader's language
        col["label"] = labels.get(col["value"], col["label"]) if col["value"] else _("No value")
        for card in col["cards"]:
            card["shown"] = _shown(rt, tdef, settings.get("fields") or [], card.pop("record"))
            card["url"] = url_for("web.record_card", table=tdef.api_name, record_id=card["id"])
