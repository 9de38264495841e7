"""``RecordService.preview``: what a save would compute, without saving anything.

The card calls it (debounced) while the user types. It runs the save's own steps on the
unsaved values, in a read-only transaction: the access checks (the right to create or
update, the record in reach, the fields the user may set), parsing and validation by the
field types (required, bounds, patterns), links and unique values checked against the
database, values copied from a picked record (a link's ``fill``), defaults (``default`` and
``default_formula``) for what a new record or a new line leaves out, then formula fields, "show only when" and the table's rules over the draft
(:mod:`cardfile.metamodel.formulas.preview`). Counters are not allocated (they are given
when the record is saved) and files are not attached.

The answer holds the record's values as JSON (the readable fields only, line items with
theirs), which fields got a default, which are visible, every problem by field (line items
by line), and the rules a save would refuse with. A problem is an answer, not a failure:
only a table, record or right that is missing is an error. Asked with no changes, a stored
record needs only the right to read it (a card that opens read-only still knows which
fields its "show only when" conditions hide).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from ..errors import AccessDenied
from ..formulas.context import Loader
from ..formulas.preview import Draft, compute_draft, fill_draft_defaults
from ..formulas.propagate import Clock
from ..model import TableDef
from .fill import fill_from_links
from .output import RecordReader
from .validate import parse_input

FILE_TYPES = ("file", "image")


def preview(service, actor, table_name: str, data: Any, record_id: int | None = None) -> dict:
    with service.engine.connect().execution_options(cf_readonly=True) as conn, conn.begin():
        snap, table = service._table(conn, table_name)
        view = service.access.view(actor, snap, conn)
        data = dict(data) if isinstance(data, dict) else {}
        # a stored record without changes (the card as it opens) needs only the right to read it
        action = "create" if record_id is None else "update" if data else "read"
        view.check(table, action)
        errors: dict[str, list[str]] = {}
        _drop_refused(view, table, data, action, errors)
        row = None
        current: dict = {}
        if record_id is not None:
            row = service._existing(conn, snap, table, record_id)
            view.require_reach(conn, table, row["id"], action)
            current = RecordReader(service.registry, snap).values(table, row)
        fs = service.computed.formulas(conn, snap)
        loader = Loader(conn, fs.schema, service.registry)
        clock = Clock(service.clock())
        work = _Work(service, conn, snap, view, actor, fs, loader, clock)
        draft, problems = work.record(table, data, row, current)
        errors.update(problems)
        result = compute_draft(fs, draft, actor, clock)
        return work.answer(table, draft, errors, result)


def _drop_refused(view, table: TableDef, data: dict, action: str, errors: dict) -> None:
    """Fields the actor may not set are left out and named, as the save would refuse them."""
    try:
        view.check_values(table, data, action)
    except AccessDenied as exc:
        for name in exc.details.get("fields") or []:
            data.pop(name, None)
            errors.setdefault(name, []).append("you may not set this field")


class _Work:
    def __init__(self, service, conn, snap, view, actor, fs, loader, clock):
        self.service, self.conn, self.snap, self.view, self.actor = service, conn, snap, view, actor
        self.registry = service.registry
        self.fs, self.loader, self.clock = fs, loader, clock
        self.defaults: dict[int, set[str]] = {}  # id(draft) -> names filled by defaults

    def record(self, table: TableDef, data: dict, row, current: dict) -> tuple[Draft, dict]:
        new = row is None
        values, errors = parse_input(self.registry, table, data, partial=not new,
                                     current=None if new else current, exempt=self.view.unrequired(table))
        lines_in = {k: values.pop(k) for k in [k for k in values if table.field(k).type == "lines"]}
        static = {k for k in values if new and k not in data}  # a field's plain default
        static |= set(fill_from_links(self.conn, self.snap, self.registry, self.view, table, data, values, errors,
                                      None if new else current))  # copied from the record a link picks
        self._check_refs(table, values, errors, row, current)
        merged = {**current, **values}
        system = self._system(row)
        draft = Draft(self.loader, table, merged, row=dict(row) if row is not None else None, system=system)
        for name, lines in lines_in.items():
            draft.lines[name] = self._lines(table, table.field(name), draft, lines or [], row, errors)
        filled = static | (fill_draft_defaults(self.fs, draft, data, self.service.computed, self.actor,
                                               self.clock, errors) if new else set())
        self.defaults[id(draft)] = filled
        for name in filled:
            if errors.get(name) == ["is required"]:
                errors.pop(name)
        return draft, errors

    def _system(self, row) -> dict:
        if row is not None:
            return {k: row.get(k) for k in ("owner", "created_by", "updated_by", "created_at", "updated_at")}
        now = self.clock.now
        me = getattr(self.actor, "id", None)
        return {"owner": me, "created_by": me, "updated_by": me, "created_at": now, "updated_at": now}

    def _lines(self, parent: TableDef, field, draft: Draft, lines: list, row, errors: dict) -> list[Draft]:
        child = self.snap.child_table(field)
        stored = {}
        if row is not None:
            sql = self.snap.sql_table(child)
            stored = {r["id"]: r for r in self.conn.execute(
                select(sql).where(sql.c.parent_id == row["id"], sql.c.deleted_at.is_(None))).mappings()}
        reader = RecordReader(self.registry, self.snap)
        drafts = []
        for index, line in enumerate(lines):
            line = line if isinstance(line, dict) else {}
            existing = stored.get(line.get("id")) if line.get("id") is not None else None
            current = reader.values(child, existing) if existing is not None else {}
            values, problems = parse_input(self.registry, child, line, partial=existing is not None,
                                           current=current if existing is not None else None,
                                           exempt=self.view.unrequired(child))
            copied = fill_from_links(self.conn, self.snap, self.registry, self.view, child, line, values, problems,
                                     current if existing is not None else None)
            self._check_refs(child, values, problems, existing, current)
            merged = {**current, **values}
            if line.get("id") is not None and existing is None:
                problems.setdefault("id", []).append(f"line #{line.get('id')} does not belong to this record")
            line_draft = Draft(self.loader, child, merged, row=dict(existing) if existing is not None else None,
                               parent=draft, system=draft.system)
            filled = {k for k in values if existing is None and k not in line} | set(copied)
            if existing is None:
                filled |= fill_draft_defaults(self.fs, line_draft, line, self.service.computed, self.actor,
                                              self.clock, problems)
            for name in filled:
                if problems.get(name) == ["is required"]:
                    problems.pop(name)
            self.defaults[id(line_draft)] = filled
            for name, messages in problems.items():
                errors[f"{field.api_name}[{index}].{name}"] = messages
            drafts.append(line_draft)
        return drafts

    def _check_refs(self, table: TableDef, values: dict, errors: dict, row, current: dict) -> None:
        """Links the actor may reach, users that exist, unique values (files are checked on
        save, when they are attached); a link that fails is empty for the formulas."""
        checked = {k: v for k, v in values.items()
                   if table.field(k) is not None and table.field(k).type not in FILE_TYPES + ("lines",)}
        found: dict[str, list[str]] = {}
        self.service._check_refs(self.conn, self.snap, table, checked, found, self.actor,
                                 exclude_id=row["id"] if row is not None else None, current=current)
        for name, messages in found.items():
            errors.setdefault(name, []).extend(messages)
            if table.field(name).type in ("link", "user"):
                values[name] = None

    # --- the answer --------------------------------------------------------------------
    def answer(self, table: TableDef, draft: Draft, errors: dict, result) -> dict:
        readable = {f.api_name for f in self.view.readable(table)}
        values = self._json(table, draft, readable)
        for name, lines in draft.lines.items():
            if name not in readable:
                continue
            child = lines[0].table if lines else None
            shown = {f.api_name for f in self.view.readable(child)} if child is not None else set()
            values[name] = [{**({"id": line.row["id"]} if line.row is not None else {}),
                             **self._json(line.table, line, shown),
                             "_defaults": sorted(self.defaults.get(id(line), set()) & shown)}
                            for line in lines]
        return {"values": values,
                "defaults": sorted(self.defaults.get(id(draft), set()) & readable),
                "visible": {k: v for k, v in result.visible.items() if k in readable},
                "errors": {k: v for k, v in errors.items() if _base(k) in readable or table.field(_base(k)) is None},
                "rules": result.rules}

    def _json(self, table: TableDef, draft: Draft, shown: set[str]) -> dict:
        out = {}
        for f in table.fields:
            if f.api_name not in shown or f.type == "lines":
                continue
            ftype = self.registry.get(f.type)
            value = draft.values.get(f.api_name)
            try:
                out[f.api_name] = ftype.to_json(value, f) if value is not None else None
            except (TypeError, ValueError, KeyError):
                out[f.api_name] = None
        return out


def _base(key: str) -> str:
    """``lines[0].price`` -> ``lines``: the record's field an error key belongs to."""
    return re.split(r"[\[.]", key, maxsplit=1)[0]
