"""Reminder rules as metadata (``cf_reminder_rules``): define, check, change, trash.

A rule as the API and configuration packages write it::

    {"table": "events", "name": "Planned call",
     "kind": "reminder",                       # or "digest": a daily list of the records
     "field": "starts_at",                     # a date or date-time field (not for digests)
     "offset": {"amount": 15, "unit": "minutes", "direction": "before"},
     "at": "09:00",                            # time of day: date fields, yearly rules, digests
     "repeat": "none",                         # or "yearly" (birthdays, anniversaries)
     "condition": "status != \\"done\\"",       # the expression language; optional (digests: required)
     "recipients": [{"type": "field", "field": "responsible"},   # a user field, or a path
                    {"type": "owner"}, {"type": "group", "group": "managers"}],
     "message": "Call {client} about {subject}",
     "channels": ["inbox", "email"], "enabled": true}

Everything is checked when saved, like every formula: the condition with the expression
checker (a yes/no expression over the table, compiled to SQL; refused with its position),
recipient paths (links ending in a user field), placeholders (known fields, with position).
The date field is stored by id, so renaming it keeps the rule; saving a rule on a date field
without an index gives the field one (the scheduler's query reads a range of it).

Designing rules needs the table's ``design`` right; whoever may read the table may read
its rules. Delete moves a rule to the trash; restore brings it back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, insert, select, update

from ...formula.checker import check
from ...formula.errors import FormulaError
from ...formula.to_sql import to_sql
from ...formula.types import BOOL, accepts
from ..actors import Actor
from ..errors import InvalidDefinition, NotFound
from ..formulas.bridge import FormulaSchema
from ..formulas.compiled import errors_of
from ..formulas.hooks import CHECK_DIALECT, FormulaDefinitionError
from ..ids import as_id
from ..model import TableDef
from ..storage.messaging_tables import cf_reminder_log, cf_reminder_rules
from ..storage.platform_tables import cf_audit, cf_groups
from . import placeholders, timing

KINDS = ("reminder", "digest")
REPEATS = ("none", "yearly")
CHANNELS = ("inbox", "email")
DATE_TYPES = ("date", "datetime")
KEYS = {"table", "name", "kind", "field", "offset", "at", "repeat", "condition", "recipients", "message",
        "channels", "enabled"}
MAX_OFFSET_MINUTES = 3660 * 1440  # ten years
MAX_MESSAGE = 5000
#: names a reminder's message may use besides the fields; a digest adds {count}
REMINDER_NAMES = ("record", "rule", "date")
DIGEST_NAMES = ("rule", "date", "count")


class RuleNotFound(NotFound):
    code = "REMINDER_RULE_NOT_FOUND"

    def __init__(self, rule_id):
        super().__init__(f"No reminder rule #{rule_id}.", {"rule": rule_id})


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _ts(value):
    return None if value is None else value.isoformat().replace("+00:00", "Z")


class RuleService:
    def __init__(self, runtime, clock=utcnow):
        self.rt = runtime
        self.clock = clock

    # --- reading ---------------------------------------------------------------------
    def list(self, actor: Actor, table: str | None = None, trashed: bool = False) -> list[dict]:
        """The rules of the tables ``actor`` may read (one table's, when named)."""
        view = self.rt.access.view(actor)
        snap = view.snap
        stmt = select(cf_reminder_rules).order_by(cf_reminder_rules.c.name, cf_reminder_rules.c.id)
        stmt = stmt.where(cf_reminder_rules.c.deleted_at.is_not(None) if trashed
                          else cf_reminder_rules.c.deleted_at.is_(None))
        if table is not None:
            stmt = stmt.where(cf_reminder_rules.c.table_id == snap.table(table).id)
        with self.rt.engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
            groups = self._group_names(conn)
        out = []
        for row in rows:
            t = snap.tables.get(row["table_id"])
            if t is None or not t.live or not view.allows(t, "read"):
                continue
            out.append(self.describe(row, t, groups, designable=view.allows(t, "design")))
        return out

    def get(self, actor: Actor, rule_id, trashed: bool | None = False) -> dict:
        row = self._row(rule_id, trashed)
        view = self.rt.access.view(actor)
        table = view.snap.tables.get(row["table_id"])
        if table is None or not view.allows(table, "read"):
            raise RuleNotFound(rule_id)
        with self.rt.engine.connect() as conn:
            groups = self._group_names(conn)
        return self.describe(row, table, groups, designable=view.allows(table, "design"))

    def log(self, actor: Actor, rule_id, limit: int = 200) -> list[dict]:
        """What the rule did not do, and why (newest first); for its designers."""
        row = self._row(rule_id, None)
        table = self.rt.schema.snapshot().tables.get(row["table_id"])
        self.rt.access.check_design(actor, table.api_name if table else None)
        with self.rt.engine.connect() as conn:
            rows = conn.execute(select(cf_reminder_log).where(cf_reminder_log.c.rule_id == row["id"])
                                .order_by(cf_reminder_log.c.id.desc()).limit(limit)).mappings().all()
        return [{"at": _ts(r["at"]), "level": r["level"], "message": r["message"], "record": r["record_id"],
                 "user": r["user_id"]} for r in rows]

    def describe(self, row, table: TableDef, groups: dict[int, str], designable: bool = False) -> dict:
        d = dict(row["definition"] or {})
        field = table.field_by_id(d.get("field_id")) if d.get("field_id") else None
        recipients = []
        for r in d.get("recipients") or []:
            if r.get("type") == "group":
                recipients.append({"type": "group", "group": groups.get(r.get("group_id"), f"#{r.get('group_id')}")})
            else:
                recipients.append(dict(r))
        return {
            "id": row["id"], "table": table.api_name, "name": row["name"], "kind": d.get("kind", "reminder"),
            "field": field.api_name if field is not None else None,
            "offset": d.get("offset") or {"amount": 0, "unit": "minutes", "direction": "before"},
            "at": d.get("at", "09:00"), "repeat": d.get("repeat", "none"), "condition": d.get("condition"),
            "recipients": recipients, "message": d.get("message", ""), "channels": d.get("channels", ["inbox"]),
            "enabled": bool(row["enabled"]), "problem": row["problem"], "checked_until": _ts(row["checked_until"]),
            "package": row["package"], "designable": designable,
            "created_at": _ts(row["created_at"]), "updated_at": _ts(row["updated_at"]),
            "deleted_at": _ts(row["deleted_at"]),
        }

    # --- writing ---------------------------------------------------------------------
    def create(self, actor: Actor, spec: dict, package: str | None = None) -> dict:
        spec = _require_dict(spec)
        table_name = spec.get("table")
        if not isinstance(table_name, str):
            raise InvalidDefinition("Say which table the rule is on: \"table\".", {"field": "table"})
        self.rt.access.check_design(actor, table_name)
        snap = self.rt.schema.snapshot()
        table = snap.table(table_name)
        name, definition, enabled = self._normalize(actor, snap, table, spec)
        now = self.clock()
        with self.rt.engine.begin() as conn:
            rule_id = conn.execute(insert(cf_reminder_rules).values(
                table_id=table.id, name=name, definition=definition, enabled=enabled, problem=None,
                checked_until=now, package=package, created_at=now, created_by=actor.id, updated_at=now,
                updated_by=actor.id).returning(cf_reminder_rules.c.id)).scalar_one()
            self._audit(conn, table, actor, "create", {"name": name, "id": rule_id}, now)
        self._ensure_index(actor, snap, table, definition)
        return self.get(actor, rule_id)

    def update(self, actor: Actor, rule_id, changes: dict) -> dict:
        changes = _require_dict(changes)
        row = self._row(rule_id)
        snap = self.rt.schema.snapshot()
        table = snap.tables.get(row["table_id"])
        if table is None or not table.live:
            raise RuleNotFound(rule_id)
        self.rt.access.check_design(actor, table.api_name)
        if "table" in changes and changes["table"] != table.api_name:
            raise InvalidDefinition("A rule stays on its table; make a new rule for another table.",
                                    {"field": "table"})
        with self.rt.engine.connect() as conn:
            current = self.describe(row, table, self._group_names(conn))
        merged = {k: current[k] for k in KEYS if k in current}
        merged.update(changes)
        name, definition, enabled = self._normalize(actor, snap, table, merged)
        now = self.clock()
        values: dict[str, Any] = dict(name=name, definition=definition, enabled=enabled, problem=None,
                                      updated_at=now, updated_by=actor.id)
        if enabled and not row["enabled"]:
            values["checked_until"] = now  # a rule switched back on does not catch up
        with self.rt.engine.begin() as conn:
            conn.execute(update(cf_reminder_rules).where(cf_reminder_rules.c.id == row["id"]).values(**values))
            self._audit(conn, table, actor, "update", {"name": name, "id": row["id"]}, now)
        self._ensure_index(actor, snap, table, definition)
        return self.get(actor, row["id"])

    def delete(self, actor: Actor, rule_id) -> dict:
        return self._trash(actor, rule_id, True)

    def restore(self, actor: Actor, rule_id) -> dict:
        return self._trash(actor, rule_id, False)

    def _trash(self, actor: Actor, rule_id, trashed: bool) -> dict:
        row = self._row(rule_id, not trashed)
        table = self.rt.schema.snapshot().tables.get(row["table_id"])
        self.rt.access.check_design(actor, table.api_name if table is not None else None)
        now = self.clock()
        values = {"deleted_at": now if trashed else None, "updated_at": now, "updated_by": actor.id}
        if not trashed:
            values["checked_until"] = now  # nothing is sent for the time it spent in the trash
        with self.rt.engine.begin() as conn:
            conn.execute(update(cf_reminder_rules).where(cf_reminder_rules.c.id == row["id"]).values(**values))
            if table is not None:
                self._audit(conn, table, actor, "delete" if trashed else "restore",
                            {"name": row["name"], "id": row["id"]}, now)
        return {"id": row["id"], "trashed": trashed}

    def apply_package(self, actor: Actor, package: str, rules: list[dict]) -> dict:
        """Create or update the package's rules (matched by table and name)."""
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        existing = {(r["table"], r["name"]): r for r in self.list(actor)}
        for spec in rules:
            found = existing.get((spec.get("table"), spec.get("name")))
            if found is None:
                self.create(actor, spec, package=package)
                counts["created"] += 1
                continue
            wanted = {k: v for k, v in spec.items() if k != "table"}
            if all(found.get(k) == v for k, v in wanted.items()):
                counts["unchanged"] += 1
                continue
            self.update(actor, found["id"], wanted)
            counts["updated"] += 1
        return counts

    # --- checking ----------------------------------------------------------------------
    def _normalize(self, actor: Actor, snap, table: TableDef, spec: dict) -> tuple[str, dict, bool]:
        unknown = sorted(set(spec) - KEYS - {"id", "problem", "checked_until", "package", "designable",
                                             "created_at", "updated_at", "deleted_at"})
        if unknown:
            raise InvalidDefinition(f"Unknown key(s) in the rule: {', '.join(unknown)}.", {"unknown": unknown})
        if table.is_child:
            raise InvalidDefinition("Reminders are set on a table, not on its line items.", {"field": "table"})
        name = spec.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise InvalidDefinition("A rule needs a name (up to 200 characters).", {"field": "name"})
        kind = spec.get("kind") or "reminder"
        _one_of(kind, KINDS, "kind")
        definition: dict[str, Any] = {"kind": kind}
        field = None
        if kind == "reminder":
            field_name = spec.get("field")
            field = table.field(field_name) if isinstance(field_name, str) else None
            if field is None or field.type not in DATE_TYPES:
                dates = [f.api_name for f in table.fields if f.type in DATE_TYPES]
                raise InvalidDefinition(
                    f"A reminder needs a date or date-time field of {table.label!r}"
                    + (f": one of {', '.join(dates)}." if dates else f"; {table.label!r} has none."),
                    {"field": "field", "allowed": dates})
            definition["field_id"] = field.id
            definition["offset"] = _offset(spec.get("offset"))
            repeat = spec.get("repeat") or "none"
            _one_of(repeat, REPEATS, "repeat")
            definition["repeat"] = repeat
        else:
            definition["offset"] = {"amount": 0, "unit": "minutes", "direction": "before"}
            definition["repeat"] = "none"
        at = spec.get("at") or "09:00"
        try:
            parsed = timing.parse_time(at)
        except (TypeError, ValueError):
            raise InvalidDefinition(f"at is a time of day such as 09:00, not {at!r}.", {"field": "at"}) from None
        definition["at"] = parsed.strftime("%H:%M")
        condition = spec.get("condition")
        if condition is not None and not isinstance(condition, str):
            raise InvalidDefinition("condition is an expression (text).", {"field": "condition"})
        condition = condition.strip() if condition else None
        if kind == "digest" and not condition:
            raise InvalidDefinition("A digest lists the records that meet its condition: give one, e.g. "
                                    "due_date < today() and status != \"paid\".", {"field": "condition"})
        if condition:
            self._check_condition(snap, table, condition)
        definition["condition"] = condition
        definition["recipients"] = self._recipients(snap, table, spec.get("recipients"))
        message = spec.get("message") or ""
        if not isinstance(message, str) or len(message) > MAX_MESSAGE:
            raise InvalidDefinition(f"message is text of up to {MAX_MESSAGE} characters.", {"field": "message"})
        placeholders.check_template(message, snap, table,
                                    REMINDER_NAMES if kind == "reminder" else DIGEST_NAMES)
        definition["message"] = message
        channels = spec.get("channels") or ["inbox"]
        if not isinstance(channels, list) or not channels or any(c not in CHANNELS for c in channels):
            raise InvalidDefinition("channels is a list of: inbox, email.", {"field": "channels",
                                                                              "allowed": list(CHANNELS)})
        definition["channels"] = [c for c in CHANNELS if c in channels]
        enabled = spec.get("enabled", True)
        if not isinstance(enabled, bool):
            raise InvalidDefinition("enabled is true or false.", {"field": "enabled"})
        return name.strip(), definition, enabled

    def _check_condition(self, snap, table: TableDef, source: str) -> None:
        schema = FormulaSchema(snap, self.rt.registry, CHECK_DIALECT)
        view = schema.view(table)
        try:
            if len(source) > 2000:
                from ...formula import errors as E
                raise FormulaError(E.LIMIT, "a condition has at most 2000 characters")
            compiled = check(source, view, schema)
            if not accepts(BOOL, compiled.type) and compiled.type.kind != "BOOL":
                from ...formula import errors as E
                raise FormulaError(E.TYPE, f"a condition must give yes or no, not {compiled.type}",
                                   compiled.parsed.sources.position(compiled.tree.span))
            if compiled.uses_me:
                from ...formula import errors as E
                raise FormulaError(E.TYPE, "a reminder's condition cannot use me: it is checked for the "
                                   "record, before anyone receives it", None)
            to_sql(compiled, view.sql_table(), schema, CHECK_DIALECT)
        except FormulaError as exc:
            raise FormulaDefinitionError(errors_of(exc), "The condition", source) from None

    def _recipients(self, snap, table: TableDef, recipients) -> list[dict]:
        if not isinstance(recipients, list) or not recipients:
            raise InvalidDefinition("Say who receives the reminder: recipients, e.g. "
                                    "[{\"type\": \"field\", \"field\": \"responsible\"}].", {"field": "recipients"})
        out = []
        with self.rt.engine.connect() as conn:
            groups = {name: gid for gid, name in self._group_names(conn).items()}
        for i, r in enumerate(recipients):
            if not isinstance(r, dict) or r.get("type") not in ("field", "owner", "group") \
                    or set(r) - {"type", "field", "group"}:
                raise InvalidDefinition(f"recipients[{i}] is {{\"type\": \"field\", \"field\": …}}, "
                                        "{\"type\": \"owner\"} or {\"type\": \"group\", \"group\": …}.",
                                        {"field": f"recipients[{i}]"})
            if r["type"] == "owner":
                out.append({"type": "owner"})
            elif r["type"] == "group":
                gid = groups.get(r.get("group"))
                if gid is None:
                    raise InvalidDefinition(f"recipients[{i}]: there is no group {r.get('group')!r}.",
                                            {"field": f"recipients[{i}]"})
                out.append({"type": "group", "group_id": gid})
            else:
                path = r.get("field")
                problem = user_path_problem(snap, table, path)
                if problem:
                    raise InvalidDefinition(f"recipients[{i}]: {problem}", {"field": f"recipients[{i}]"})
                out.append({"type": "field", "field": path})
        if len({str(sorted(r.items())) for r in out}) != len(out):
            raise InvalidDefinition("A recipient is named twice.", {"field": "recipients"})
        return out

    def _ensure_index(self, actor: Actor, snap, table: TableDef, definition: dict) -> None:
        """The scheduler reads a range of the date field: give it an index if it has none."""
        field = table.field_by_id(definition.get("field_id")) if definition.get("field_id") else None
        if field is None or field.opt("indexed") or field.opt("unique") or definition.get("repeat") == "yearly":
            return
        self.rt.schema.update_field(actor, table.api_name, field.api_name, {"options": {"indexed": True}})

    # --- internals ------------------------------------------------------------------
    def _row(self, rule_id, trashed: bool | None = False):
        rid = as_id(rule_id)
        if rid is None:
            raise RuleNotFound(rule_id)
        with self.rt.engine.connect() as conn:
            row = conn.execute(select(cf_reminder_rules).where(cf_reminder_rules.c.id == rid)).mappings().first()
        if row is None or (trashed is not None and (row["deleted_at"] is not None) != trashed):
            raise RuleNotFound(rule_id)
        return row

    @staticmethod
    def _group_names(conn) -> dict[int, str]:
        return dict(conn.execute(select(cf_groups.c.id, cf_groups.c.name)).all())

    @staticmethod
    def _audit(conn, table: TableDef, actor: Actor, action: str, what: dict, now) -> None:
        """A table-level entry (``record_id`` empty) in the audit log, as templates write."""
        conn.execute(insert(cf_audit).values(table_id=table.id, record_id=None, action=f"rule_{action}",
                                             user_id=actor.id, changes={"reminder_rule": what}, version=None,
                                             at=now))


def user_path_problem(snap, table: TableDef, path) -> str | None:
    """Why ``path`` (``responsible``, ``client.manager``) does not name a user field, or None."""
    if not isinstance(path, str) or not placeholders.NAME.match(path):
        return f"{path!r} is not a field name"
    parts = path.split(".")
    current = table
    for i, name in enumerate(parts):
        f = current.field(name)
        if f is None:
            return f"{current.label!r} has no field {name!r}"
        if i < len(parts) - 1:
            if f.type != "link":
                return f"{f.label!r} is not a link"
            current = snap.tables.get(int(f.options["target_id"]))
            if current is None or not current.live:
                return f"{path!r} leads to a table that no longer exists"
        elif f.type != "user":
            return f"{f.label!r} is not a user field"
    return None


def _offset(offset) -> dict:
    if offset is None:
        return {"amount": 0, "unit": "minutes", "direction": "before"}
    if not isinstance(offset, dict) or set(offset) - {"amount", "unit", "direction"}:
        raise InvalidDefinition("offset is {\"amount\": 15, \"unit\": \"minutes\", \"direction\": \"before\"}.",
                                {"field": "offset"})
    amount = offset.get("amount", 0)
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise InvalidDefinition("offset.amount is a whole number from 0.", {"field": "offset.amount"})
    unit = offset.get("unit", "minutes")
    _one_of(unit, tuple(timing.UNITS), "offset.unit")
    direction = offset.get("direction", "before")
    _one_of(direction, ("before", "after"), "offset.direction")
    if amount * timing.UNITS[unit] > MAX_OFFSET_MINUTES:
        raise InvalidDefinition("offset is at most ten years.", {"field": "offset.amount"})
    return {"amount": amount, "unit": unit, "direction": direction}


def _one_of(value, allowed: tuple, name: str) -> None:
    if value not in allowed:
        raise InvalidDefinition(f"{name} is one of: {', '.join(allowed)} (not {value!r}).",
                                {"field": name, "allowed": list(allowed)})


def _require_dict(spec) -> dict:
    if not isinstance(spec, dict):
        raise InvalidDefinition("A rule is a JSON object.", {})
    return spec


def rule_timing(definition: dict, field_type: str, tz) -> timing.Timing:
    return timing.Timing(field_type="digest" if definition.get("kind") == "digest" else field_type,
                         offset_minutes=timing.offset_minutes(definition.get("offset")),
                         at=timing.parse_time(definition.get("at")), yearly=definition.get("repeat") == "yearly",
                         tz=tz)


def live_rules(conn) -> list:
    return conn.execute(select(cf_reminder_rules).where(and_(cf_reminder_rules.c.deleted_at.is_(None),
                                                             cf_reminder_rules.c.enabled.is_(True)))
                        .order_by(cf_reminder_rules.c.id)).mappings().all()
