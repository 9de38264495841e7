"""Calendar and kanban boards: a saved view's records placed on days or in columns.

A saved view (``views.py``) has a ``display``: ``list`` (the default), ``calendar`` or
``kanban``, and the board's settings beside it in the definition::

    {"display": "calendar", "calendar": {"date": "starts_at", "color": "kind",
                                         "person": "responsible", "fields": ["client"]}}
    {"display": "kanban", "kanban": {"field": "status", "fields": ["client", "date"],
                                     "per_column": 20}}

Everything is read and written through the record service, as the acting user: a board
shows only the records within the actor's row scope, only their readable fields, and
marks a record movable only when the actor may update that record and the board's field
(the same rules the service applies again when the move is saved, with the record's
version: a stale version is a conflict, never a silent overwrite). What is fetched is
bounded: the visible date range (at most ``MAX_ITEMS`` records) for a calendar, a page of
``per_column`` records per column for a kanban.

Date-times are placed on days in the office's time zone (``Settings.timezone``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import true

from .errors import BadQuery, InvalidDefinition
from .formulas.filters import where_filter
from .model import FieldDef, TableDef
from .records.query import ListQuery
from .reminders.timing import zone

NAME = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"}
SHOWN = {"type": "array", "maxItems": 6, "items": NAME}
CALENDAR_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["date"],
    "properties": {"date": NAME, "color": NAME, "person": NAME, "fields": SHOWN,
                   "mode": {"enum": ["month", "week", "day"]}},
}
KANBAN_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["field"],
    "properties": {"field": NAME, "fields": SHOWN,
                   "per_column": {"type": "integer", "minimum": 1, "maximum": 100}},
}
DISPLAYS = ("list", "calendar", "kanban")
DATE_TYPES = ("date", "datetime")
MAX_ITEMS = 500        # records on one calendar range
MAX_DAYS = 62          # the longest range one calendar request covers
PER_COLUMN = 20        # kanban cards per column before "more"
NO_VALUE = ""          # the kanban column of records without a value


def _field(table: TableDef, name, types: tuple, what: str) -> FieldDef:
    field = table.field(name) if name else None
    if field is None or field.type not in types:
        raise InvalidDefinition(f"Table {table.label!r} has no {what} field {name!r}.",
                                {"field": name, "expected": list(types)})
    return field


def check_board(definition: dict, table: TableDef) -> None:
    """A calendar needs a date or date-time field (a choice field for colour, a user field
    for the person filter); a kanban a choice field. Shown fields must exist."""
    display = definition.get("display", "list")
    if display == "list":
        return
    settings = definition.get(display)
    if not isinstance(settings, dict):
        raise InvalidDefinition(f"A {display} view needs its {display!r} settings.", {"path": display})
    if display == "calendar":
        _field(table, settings.get("date"), DATE_TYPES, "date or date-time")
        if settings.get("color"):
            _field(table, settings["color"], ("choice",), "choice")
        if settings.get("person"):
            _field(table, settings["person"], ("user",), "user")
    else:
        _field(table, settings.get("field"), ("choice",), "choice")
    for name in settings.get("fields") or []:
        if table.field(name) is None:
            raise InvalidDefinition(f"Table {table.label!r} has no field {name!r}.", {"field": name})


def fields_of(table: TableDef, types: tuple) -> list[FieldDef]:
    return [f for f in table.fields if f.type in types]


def default_settings(display: str, table: TableDef) -> dict | None:
    """A board's settings from the table's first suitable fields (None: it has none)."""
    if display == "calendar":
        dates = fields_of(table, DATE_TYPES)
        if not dates:
            return None
        choices, users = fields_of(table, ("choice",)), fields_of(table, ("user",))
        return {"date": dates[0].api_name, "color": choices[0].api_name if choices else None,
                "person": users[0].api_name if users else None, "fields": []}
    choices = fields_of(table, ("choice",))
    if not choices:
        return None
    shown = table.display_field.api_name if table.display_field else None
    others = [f.api_name for f in table.fields if f.api_name not in (shown, choices[0].api_name)
              and f.type not in ("lines", "long_text", "file", "image", "multi_choice")]
    return {"field": choices[0].api_name, "fields": others[:3]}


@dataclass
class Board:
    """What a board query needs besides its settings: the view's filters and search."""

    filters: list
    search: str | None = None
    where: str | None = None

    @classmethod
    def of(cls, definition: dict | None) -> "Board":
        d = definition or {}
        return cls(filters=[tuple(f) + ("",) * (3 - len(f)) for f in d.get("filters") or []],
                   search=d.get("search") or None, where=d.get("where") or None)


class Boards:
    """Calendar and kanban reads and moves for one runtime; every call names its actor."""

    def __init__(self, runtime):
        self.records = runtime.records
        self.access = runtime.access
        self.registry = runtime.registry
        self.tz = zone(runtime.settings.timezone)

    # --- calendar ---------------------------------------------------------------------
    def calendar(self, actor, table_name: str, settings: dict, start: dt.date, end: dt.date,
                 person: int | None = None, board: Board | None = None) -> dict:
        """The records whose date falls on ``start`` … ``end`` (inclusive), by date."""
        if end < start or (end - start).days >= MAX_DAYS:
            raise BadQuery(f"A calendar shows 1 to {MAX_DAYS} days at a time.",
                           {"from": start.isoformat(), "to": end.isoformat()})
        view = self.access.view(actor)
        table = view.visible_table(view.snap.table(table_name))
        view.check(table, "read")
        date = _field(table, settings.get("date"), DATE_TYPES, "date or date-time")
        low, high = start, end + dt.timedelta(days=1)
        if date.type == "datetime":
            low, high = (self._instant(d) for d in (low, high))
        filters = [(date.api_name, "gte", low), (date.api_name, "lt", high)]
        person_field = table.field(settings.get("person") or "")
        if person is not None and person_field is not None and person_field.type == "user":
            filters.append((person_field.api_name, "eq", person))
        result = self._list(actor, table, board, filters, [date.api_name, "id"], MAX_ITEMS)
        movable = self._movable(actor, view, table, date, result["records"])
        color = table.field(settings.get("color") or "")
        items = []
        for rec in result["records"]:
            day, time = self._place(date, rec.get(date.api_name))
            items.append({"id": rec["id"], "version": rec["version"], "day": day, "time": time,
                          "title": _title(table, rec), "color": _choice(color, rec), "record": rec,
                          "movable": rec["id"] in movable})
        return {"table": table.api_name, "date_field": date.api_name, "date_type": date.type,
                "from": start.isoformat(), "to": end.isoformat(), "items": items,
                "total": result["total"], "truncated": result["total"] > len(items),
                "color_field": color.api_name if color is not None and color.type == "choice" else None}

    def move_calendar(self, actor, table_name: str, settings: dict, record_id: int, version,
                      day: dt.date, time: dt.time | None = None) -> dict:
        """Put the record on ``day`` (a date-time keeps its time of day unless ``time`` is
        given) through ``RecordService.update`` with ``version``."""
        table = self.access.view(actor).snap.table(table_name)  # a hidden field: 403 from the service
        date = _field(table, settings.get("date"), DATE_TYPES, "date or date-time")
        if date.type == "date":
            value = day.isoformat()
        else:
            if time is None:
                current = self.records.get(actor, table.api_name, record_id).get(date.api_name)
                time = self._local(current).time() if current else dt.time(9, 0)
            value = self._instant(dt.datetime.combine(day, time)).isoformat().replace("+00:00", "Z")
        return self.records.update(actor, table.api_name, record_id, {date.api_name: value}, version=version)

    # --- kanban -----------------------------------------------------------------------
    def kanban(self, actor, table_name: str, settings: dict, board: Board | None = None,
               column: str | None = None, page: int = 1) -> dict:
        """A column per choice and one for no value, each with its first ``per_column``
        records; ``column`` and ``page``: just that column's next cards ("more")."""
        view = self.access.view(actor)
        table = view.visible_table(view.snap.table(table_name))
        view.check(table, "read")
        field = _field(table, settings.get("field"), ("choice",), "choice")
        per = int(settings.get("per_column") or PER_COLUMN)
        choices = [{"value": c["value"], "label": c.get("label") or c["value"], "color": c.get("color")}
                   for c in field.opt("choices", [])]
        columns = [*choices, {"value": NO_VALUE, "label": None, "color": None}]
        if column is not None:
            columns = [c for c in columns if c["value"] == column]
            if not columns:
                raise BadQuery(f"{field.label!r} has no choice {column!r}.", {"column": column})
        out = []
        for col in columns:
            where = (field.api_name, "eq", col["value"]) if col["value"] else (field.api_name, "is_empty", "")
            result = self._list(actor, table, board, [where], ["-updated_at", "-id"], per, page)
            movable = self._movable(actor, view, table, field, result["records"])
            if not col["value"] and not result["total"] and field.opt("required") and column is None:
                continue  # a required choice: no "no value" column unless some record lacks one
            out.append({**col, "total": result["total"],
                        "more": result["total"] > page * per,
                        "cards": [{"id": r["id"], "version": r["version"], "title": _title(table, r),
                                   "record": r, "movable": r["id"] in movable} for r in result["records"]]})
        return {"table": table.api_name, "field": field.api_name, "per_column": per, "page": page,
                "columns": out}

    def move_kanban(self, actor, table_name: str, settings: dict, record_id: int, version, value) -> dict:
        table = self.access.view(actor).snap.table(table_name)  # a hidden field: 403 from the service
        field = _field(table, settings.get("field"), ("choice",), "choice")
        return self.records.update(actor, table.api_name, record_id, {field.api_name: value or None},
                                   version=version)

    # --- internals ----------------------------------------------------------------------
    def _list(self, actor, table: TableDef, board: Board | None, filters: list, sort: list,
              per_page: int, page: int = 1) -> dict:
        board = board or Board(filters=[])
        where = where_filter(board.where, self.registry, me=actor) if board.where else None
        q = ListQuery(filters=[*board.filters, *filters], search=board.search, sort=sort,
                      page=page, per_page=per_page, where=where)
        return self.records.list(actor, table.api_name, q)

    def _movable(self, actor, view, table: TableDef, field: FieldDef, records: list) -> set[int]:
        """The ids among ``records`` the actor may update, when they may set ``field``: the
        record service answers which lie within the actor's update scope."""
        if not records or not view.allows(table, "update") or actor.previewed_by is not None:
            return set()
        if field.api_name not in {f.api_name for f in view.writable(table, "update")}:
            return set()
        if view.admin:
            return {r["id"] for r in records}

        def in_update_scope(_snap, t, sql, reach):
            clause = reach(t, sql, "update")
            return true() if clause is None else clause

        ids = ",".join(str(r["id"]) for r in records)
        found = self.records.list(actor, table.api_name, ListQuery(
            filters=[("id", "in", ids)], per_page=len(records), where=in_update_scope))
        return {r["id"] for r in found["records"]}

    def _instant(self, moment) -> dt.datetime:
        """A local day (midnight) or local date-time in the office's zone, as UTC."""
        if not isinstance(moment, dt.datetime):
            moment = dt.datetime.combine(moment, dt.time())
        return moment.replace(tzinfo=self.tz).astimezone(dt.timezone.utc)

    def _local(self, value: str) -> dt.datetime:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(self.tz)

    def _place(self, field: FieldDef, value) -> tuple[str | None, str | None]:
        if not value:
            return None, None
        if field.type == "date":
            return value, None
        local = self._local(value)
        return local.date().isoformat(), local.strftime("%H:%M")


def _title(table: TableDef, record: dict) -> str:
    shown = table.display_field
    value = record.get(shown.api_name) if shown is not None else None
    if isinstance(value, dict):
        value = value.get("display")
    return str(value) if value not in (None, "") else f"#{record['id']}"


def _choice(field: FieldDef | None, record: dict) -> dict | None:
    if field is None or field.type != "choice":
        return None
    value = record.get(field.api_name)
    for c in field.opt("choices", []):
        if c["value"] == value:
            return {"value": value, "label": c.get("label") or value, "color": c.get("color")}
    return None
