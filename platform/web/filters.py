"""A list's filters between the URL and the record service, in the user's terms.

* ``read_filters``: a value typed into the filter bar is read like a card's input (numbers
  and dates in the user's locale); a link filter takes the chosen record's id or, typed,
  the linked record's display value (looked up among the records the user may read); a
  user filter takes a user's id, name or sign-in name. A value that cannot be read does
  not turn the page into an error: the filter is left out and its chip says why.
* ``chip_text``: what a filter chip shows: labels, never stored values ("Kind is
  Organization", "Client is ACME Ltd", "Due at least 31.12.2026").
"""

from __future__ import annotations

from flask_babel import gettext as _

from cardfile.metamodel.errors import CardfileError

from .formatting import format_value
from .inputs import LOCALE_TYPES, InputError, locale, read_value

NO_VALUE = ("is_empty", "is_not_empty")
LIST_OPERATORS = ("in", "not_in")


def _users(rt) -> list[dict]:
    return [{"id": u["id"], "display": u.get("name") or u["username"], "username": u["username"]}
            for u in rt.users.list() if u.get("is_active", True)]


def user_choices(rt) -> list[dict]:
    """The users a user-field filter offers, by name."""
    return sorted(({"value": str(u["id"]), "label": u["display"]} for u in _users(rt)), key=lambda c: c["label"].casefold())


def _target(snap, field):
    return snap.table_by_id(int(field.options["target_id"]))


def _one_value(rt, user, snap, field, text: str) -> str:
    """One filter value as the record service reads it; InputError when it cannot be."""
    kind = field.type
    if kind in LOCALE_TYPES:
        value = read_value(field, text, locale())
        return value["amount"] if isinstance(value, dict) else str(value)
    if kind == "link":
        if text.strip().lstrip("#").isdigit():
            return text.strip().lstrip("#")
        target = _target(snap, field)
        ids = rt.records.lookup(user, target.api_name, None, [text.strip()]).get(text.strip().casefold(), [])
        if len(ids) == 1:
            return str(ids[0])
        if ids:
            raise InputError(_("%(count)s records of %(table)s are called “%(text)s”; choose one from the list.",
                               count=len(ids), table=target.label, text=text))
        raise InputError(_("No record of %(table)s is called “%(text)s”.", table=target.label, text=text))
    if kind == "user":
        if text.strip().isdigit():
            return text.strip()
        wanted = text.strip().casefold()
        ids = [u["id"] for u in _users(rt) if wanted in (u["display"].casefold(), u["username"].casefold())]
        if len(ids) == 1:
            return str(ids[0])
        raise InputError(_("No single user is called “%(text)s”.", text=text))
    return text


def read_filters(rt, user, snap, table, filters: list[tuple]) -> tuple[list[tuple | None], dict[int, str]]:
    """(each filter as the record service reads it, None where it cannot be read; the
    problem by the filter's position)."""
    out, problems = [], {}
    for i, (name, op, value) in enumerate(filters):
        field = table.field(name) if "." not in name else None
        if field is None or op in NO_VALUE or value in (None, ""):
            out.append((name, op, value))
            continue
        try:
            if op in LIST_OPERATORS:
                read = ",".join(_one_value(rt, user, snap, field, v) for v in str(value).split(",") if v.strip())
            else:
                read = _one_value(rt, user, snap, field, str(value))
        except InputError as exc:
            problems[i] = str(exc)
            out.append(None)
            continue
        out.append((name, op, read))
    return out, problems


def _shown(rt, user, snap, field, value: str) -> str:
    kind = field.type
    if kind in ("choice", "multi_choice"):
        labels = {c["value"]: c.get("label") or c["value"] for c in field.opt("choices", [])}
        return labels.get(value, value)
    if kind == "boolean":
        return _("Yes") if str(value).lower() in ("true", "1", "yes") else _("No")
    if kind == "link" and str(value).isdigit():
        target = _target(snap, field)
        try:
            record = rt.records.get(user, target.api_name, int(value))
        except CardfileError:
            return f"#{value}"
        shown = target.display_field
        text = format_value(rt.registry, shown, record.get(shown.api_name)) if shown else ""
        return text or f"#{value}"
    if kind == "user" and str(value).isdigit():
        return next((u["display"] for u in _users(rt) if u["id"] == int(value)), f"#{value}")
    if kind in LOCALE_TYPES:
        try:
            read = read_value(field, value, locale())
        except InputError:
            return value
        return format_value(rt.registry, field, read)
    return value


def chip_text(rt, user, snap, table, name: str, op: str, value) -> str:
    """The value part of a filter chip, in labels and the user's formats."""
    field = table.field(name) if "." not in name else None
    if field is None or op in NO_VALUE or value in (None, ""):
        return "" if op in NO_VALUE else str(value or "")
    parts = str(value).split(",") if op in LIST_OPERATORS else [str(value)]
    return ", ".join(_shown(rt, user, snap, field, v.strip()) for v in parts if v.strip())
