"""Messages with placeholders: ``Call {client} about {subject} at {starts_at}``.

A placeholder names a field of the record (``{subject}``), a field of a linked record
(``{client.manager}``, ``{contract.client.name}``), or one of the names the message's
purpose adds (``{record}``: the record's display value; reminders: ``{rule}``, ``{date}``;
digests: ``{count}``; mailings: ``{unsubscribe}``). ``{{`` and ``}}`` are literal braces.

Checked when a rule or mailing is saved (``check_template``: unknown names and unclosed
braces are refused with the position), and rendered for **one reader**
(``render``): the record as that reader reads it through the record service, links
followed as that reader. A field the reader may not read — hidden, or in a linked
record out of their reach — renders as empty and is reported in ``hidden`` so the caller
can write a warning in the rule's log. User text is never evaluated: a placeholder is a
path of names, looked up in the reader's JSON.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field as dc_field

from ..catalog import Snapshot
from ..errors import CardfileError, InvalidDefinition
from ..model import TableDef

TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
MAX_DEPTH = 4


@dataclass
class Placeholder:
    path: str
    start: int
    end: int


def parse(text: str) -> list:
    """Pieces of ``text``: strings and ``Placeholder``s; a stray brace is an error."""
    pieces: list = []
    pos = 0
    for m in TOKEN.finditer(text or ""):
        if m.start() > pos:
            pieces.append(text[pos:m.start()])
        token = m.group(0)
        if token in ("{{", "}}"):
            pieces.append(token[0])
        elif token in ("{", "}"):
            raise InvalidDefinition(f"A lone {token!r} at {_where(text, m.start())}; write {token * 2} for the "
                                    "brace itself, or close the placeholder.",
                                    {"position": _position(text, m.start())})
        else:
            pieces.append(Placeholder(m.group(1).strip(), m.start(), m.end()))
        pos = m.end()
    if pos < len(text or ""):
        pieces.append(text[pos:])
    return pieces


def check_template(text: str, snap: Snapshot, table: TableDef, extra: tuple = (), what: str = "The message",
                   readable=None) -> list[str]:
    """The placeholder paths of ``text``; an unknown name is refused with its position.

    ``readable(table)`` (optional) gives the fields the designer may see; a hidden field
    is then as unknown as a field that does not exist."""
    paths = []
    for piece in parse(text):
        if not isinstance(piece, Placeholder):
            continue
        problem = _path_problem(piece.path, snap, table, extra, readable)
        if problem:
            raise InvalidDefinition(f"{what}: {problem} at {_where(text, piece.start)}.",
                                    {"placeholder": piece.path, "position": _position(text, piece.start)})
        paths.append(piece.path)
    return paths


def _path_problem(path: str, snap: Snapshot, table: TableDef, extra: tuple, readable) -> str | None:
    if path in extra:
        return None
    if not NAME.match(path):
        return f"{{{path}}} is not a field name"
    parts = path.split(".")
    if len(parts) > MAX_DEPTH:
        return f"{{{path}}} goes through more than {MAX_DEPTH - 1} links"
    current = table
    for i, name in enumerate(parts):
        fields = readable(current) if readable is not None else current.fields
        f = next((x for x in fields if x.api_name == name), None)
        if f is None:
            return f"{current.label!r} has no field {name!r} ({{{path}}})"
        if i < len(parts) - 1:
            if f.type != "link":
                return f"{f.label!r} is not a link, so {{{path}}} cannot follow it"
            current = snap.tables.get(int(f.options["target_id"]))
            if current is None or not current.live:
                return f"{{{path}}} leads to a table that no longer exists"
        elif f.type in ("lines", "file", "image"):
            return f"{f.label!r} cannot be shown in a message ({{{path}}})"
    return None


def _position(text: str, index: int) -> dict:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return {"line": line, "column": column, "offset": index}


def _where(text: str, index: int) -> str:
    p = _position(text, index)
    return f"line {p['line']}, column {p['column']}"


# --- rendering ---------------------------------------------------------------------------
@dataclass
class Rendered:
    text: str
    hidden: list[str] = dc_field(default_factory=list)


class Renderer:
    """Renders messages for one reader; linked records are read (as that reader) once."""

    def __init__(self, records, snap: Snapshot, actor, tz: dt.tzinfo = dt.timezone.utc):
        self.records = records
        self.snap = snap
        self.actor = actor
        self.tz = tz
        self._linked: dict = {}

    def render(self, text: str, table: TableDef, record: dict, extra: dict | None = None,
               escape=None) -> Rendered:
        """``text`` with each placeholder replaced by the reader's value (``escape`` applied to
        values only, e.g. HTML escaping for an HTML body)."""
        out, hidden = [], []
        for piece in parse(text):
            if not isinstance(piece, Placeholder):
                out.append(piece)
                continue
            if extra is not None and piece.path in extra:
                value = extra[piece.path]
                out.append(value if escape is None or getattr(value, "__html__", None) else escape(value))
                continue
            value, ok = self._value(piece.path, table, record)
            if not ok:
                hidden.append(piece.path)
            out.append(escape(value) if escape is not None else value)
        return Rendered("".join(out), hidden)

    def _value(self, path: str, table: TableDef, record: dict | None) -> tuple[str, bool]:
        parts = path.split(".")
        current, values = table, record
        for i, name in enumerate(parts):
            f = current.field(name)
            if f is None or values is None:
                return "", False
            if name not in values:  # hidden from this reader
                return "", False
            value = values[name]
            if i == len(parts) - 1:
                return plain(f, value, self.tz), True
            if not isinstance(value, dict) or value.get("id") is None:
                return "", True  # an empty link: nothing to show, nothing hidden
            current = self.snap.tables.get(int(f.options["target_id"]))
            if current is None:
                return "", False
            values = self._read(current, int(value["id"]))
        return "", False

    def _read(self, table: TableDef, record_id: int) -> dict | None:
        key = (table.id, record_id)
        if key not in self._linked:
            try:
                self._linked[key] = self.records.get(self.actor, table.api_name, record_id)
            except CardfileError:  # out of the reader's reach: an empty link
                self._linked[key] = None
        return self._linked[key]


def plain(field, value, tz: dt.tzinfo = dt.timezone.utc) -> str:
    """A field's JSON value as plain text for a message."""
    if value is None or value == "":
        return ""
    kind = field.type if field is not None else None
    if isinstance(value, dict):
        if "display" in value:
            return str(value["display"])
        if "amount" in value:
            return f"{value['amount']} {value.get('currency', '')}".strip()
        return ""
    if kind == "choice":
        for choice in field.options.get("choices") or []:
            if choice.get("value") == value:
                return str(choice.get("label") or value)
    if kind == "multi_choice" and isinstance(value, list):
        labels = {c.get("value"): c.get("label") or c.get("value") for c in field.options.get("choices") or []}
        return ", ".join(str(labels.get(v, v)) for v in value)
    if kind == "boolean":
        return "yes" if value else "no"
    if kind == "datetime" and isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def display_of(table: TableDef, record: dict, tz: dt.tzinfo = dt.timezone.utc) -> str:
    """The record's display value as its reader sees it (``#id`` when hidden or empty)."""
    shown = table.display_field
    if shown is not None and shown.api_name in record:
        text = plain(shown, record[shown.api_name], tz)
        if text:
            return text
    return f"#{record.get('id')}"
