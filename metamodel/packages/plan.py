"""Planning a package upgrade: compare the package with the live metadata, change nothing.

The plan is a list of ``Change`` objects (create a table, change a table's label, section
or display field, add a field, change a field's label, options or type) plus notices for
what the database has and the package does not: those tables and fields are kept, never
deleted. A change is *destructive* when values would not survive it (a retype or a
narrower option, checked with the schema service's dry run), and *blocked* when it cannot
be applied at all (an unsupported retype, a link whose target changed).
"""

from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from typing import Any

from ..actors import Actor
from ..catalog import Snapshot
from ..describe import describe_table
from ..errors import CardfileError
from ..fieldtypes.conversions import supported
from ..fieldtypes.registry import FieldTypeRegistry
from ..naming import clean_label
from .loader import Package
from .validate import validate_package

#: Options kept in the metadata that a package does not spell out.
INTERNAL_OPTION_KEYS = ("target_id", "table_id", "table", "fields")
#: Options the platform works out when a field is saved (a formula's result type).
DERIVED_OPTION_KEYS = ("result",)
#: Boolean options whose absence means ``false``.
FLAG_OPTIONS = ("required", "unique", "indexed")


@dataclass
class Change:
    action: str  # create_table | rename_table | update_table | add_field | rename_field | update_field
    #              | drop_field | drop_table (upgrade.py: fields and tables the previous version brought)
    table: str
    field: str | None = None
    changes: dict[str, list] = dc_field(default_factory=dict)  # attribute -> [old, new]
    spec: dict | None = None  # the package definition (create_table, add_field)
    destructive: bool = False
    blocked: str | None = None
    lost: int = 0
    losses: list[dict] = dc_field(default_factory=list)
    unchecked: bool = False  # a retype planned without an actor: values not checked yet
    live_table: str | None = None  # the table's name in the base before a rename (dry runs)
    live_field: str | None = None  # the field's name in the base before a rename (dry runs)

    @property
    def subject(self) -> str:
        return f"{self.table}.{self.field}" if self.field else self.table

    def describe(self) -> str:
        if self.action == "create_table":
            text = f"create table {self.table} ({len(self.spec.get('fields') or [])} fields)"
        elif self.action in ("rename_table", "rename_field"):
            old, new = self.changes["api_name"]
            kind = "table" if self.action == "rename_table" else f"field {self.table}."
            text = f"rename {kind}{'' if kind.endswith('.') else ' '}{old} -> {new} (values kept)"
        elif self.action == "drop_table":
            text = f"move table {self.table} to the trash (not in this version; {self.lost} record(s))"
        elif self.action == "drop_field":
            text = (f"move field {self.subject} to the trash (not in this version; "
                    + ("values are counted when applied)" if self.unchecked else f"{self.lost} record(s) have a value)"))
        elif self.action == "add_field":
            text = f"add field {self.subject} ({self.spec['type']})"
        else:
            parts = []
            for key, (old, new) in self.changes.items():
                if key == "options":
                    if not new:
                        continue
                    shown = ", ".join(f"{k}: {_short(o)} -> {_short(n)}" for k, (o, n) in new.items())
                    parts.append(f"options ({shown})")
                else:
                    parts.append(f"{key} {_short(old)} -> {_short(new)}")
            text = f"change {'table' if self.action == 'update_table' else 'field'} {self.subject}: " + "; ".join(parts)
        if self.blocked:
            text += f"  [cannot apply: {self.blocked}]"
        elif self.destructive and self.action.startswith("drop_"):
            text += "  [destructive]"
        elif self.destructive:
            if self.unchecked:
                text += "  [destructive: values are checked when applied]"
            else:
                shown = ", ".join(f"#{l['id']}" for l in self.losses[:5]) + ("…" if self.lost > 5 else "")
                text += f"  [destructive: {self.lost} value(s) would be lost: {shown}]"
        return text

    def to_dict(self) -> dict:
        return {"action": self.action, "table": self.table, "field": self.field,
                "changes": self.changes, "destructive": self.destructive, "blocked": self.blocked,
                "lost": self.lost, "losses": self.losses, "description": self.describe()}


@dataclass
class Plan:
    package: str
    version: str
    changes: list[Change] = dc_field(default_factory=list)
    notices: list[str] = dc_field(default_factory=list)
    local: list[str] = dc_field(default_factory=list)  # the customer's own additions, kept
    conflicts: list[dict] = dc_field(default_factory=list)  # {subject, message, suggestion}
    previous: str | None = None  # the version of this package applied before, if any

    def ordered(self) -> list[Change]:
        """Destructive steps first, then the rest in the order they are carried out."""
        return [c for c in self.changes if c.destructive or c.blocked] + \
            [c for c in self.changes if not (c.destructive or c.blocked)]

    @property
    def destructive(self) -> list[Change]:
        return [c for c in self.changes if c.destructive and not c.blocked]

    @property
    def blocked(self) -> list[Change]:
        return [c for c in self.changes if c.blocked]

    def to_dict(self) -> dict:
        return {"package": self.package, "version": self.version, "previous": self.previous,
                "changes": [c.to_dict() for c in self.ordered()], "notices": list(self.notices),
                "local": list(self.local), "conflicts": list(self.conflicts)}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def plan_apply(runtime, pkg: Package, actor: Actor | None = None) -> Plan:
    """What applying ``pkg`` would change. With an administrator ``actor``, type and option
    changes are dry-run through the schema service so lossy ones are marked with the records
    that would lose values; without one, retypes are marked destructive unchecked.
    The package is read in the currency this base installed it in (currency.py)."""
    from .currency import localised

    pkg = localised(runtime, pkg)
    snap = runtime.schema.snapshot()
    live = {t.api_name: t for t in snap.live_tables()}
    validate_package(pkg, runtime.registry, existing_tables=live)
    plan = Plan(pkg.name, pkg.version)
    trashed = {t.api_name for t in snap.tables.values() if not t.live and not t.is_child}
    wanted = {t.api_name for t in pkg.tables}
    renamed: set[str] = set()
    for ptable in pkg.tables:
        spec = ptable.spec
        name = spec["api_name"]
        here = name
        if name not in live:
            here = renamed_from(spec, live, wanted | renamed)
            if here is None:
                change = Change("create_table", name, spec=spec)
                if name in trashed:
                    change.blocked = f"a table named {name!r} is in the trash; restore or purge it first"
                plan.changes.append(change)
                continue
            renamed.add(here)
            plan.changes.append(Change("rename_table", name, changes={"api_name": [here, name]}, live_table=here))
        current = describe_table(snap, live[here])
        table_changes = {}
        if clean_label(spec["label"]) != current["label"]:
            table_changes["label"] = [current["label"], clean_label(spec["label"])]
        if "section" in spec and spec["section"] != current["section"]:
            table_changes["section"] = [current["section"], spec["section"]]
        options = table_options_change(live[here], spec)
        if options is not None:
            table_changes["options"] = options
        if table_changes:
            plan.changes.append(Change("update_table", name, changes=table_changes))
        _plan_fields(runtime, snap, actor, plan, name, spec["fields"], current, here)
        display = spec.get("display_field")
        if display is not None and display != current["display_field"]:
            plan.changes.append(Change("update_table", name, changes={
                "display_field": [current["display_field"], display]}))
    for name, table in live.items():
        if name not in wanted and name not in renamed:
            plan.notices.append(f"table {name} ({table.label}) is not in the package; it is kept")
    return plan


def renamed_from(spec: dict, live, taken: set[str]) -> str | None:
    """The live name a package table or field had before (``renamed_from``), if one is live."""
    given = spec.get("renamed_from") or []
    for old in [given] if isinstance(given, str) else given:
        if old in live and old not in taken:
            return old
    return None


def table_options_change(table, spec: dict) -> list | None:
    """``[current options, {option: [old, new]}]`` when the package's table options (rules)
    differ from the table's; options the package does not name are kept."""
    wanted = spec.get("options") or {}
    current = dict(table.options or {})
    diff = {k: [current.get(k), v] for k, v in wanted.items() if current.get(k) != v}
    return [current, diff] if diff else None


def table_update(change: Change) -> dict:
    """The ``update_table`` changes dict for a planned table change."""
    result = {k: new for k, (_old, new) in change.changes.items() if k != "options"}
    if "options" in change.changes:
        stored, diff = change.changes["options"]
        result["options"] = {**stored, **{k: new for k, (_old, new) in diff.items()}}
    return result


def _plan_fields(runtime, snap: Snapshot, actor, plan: Plan, table: str, specs: list[dict],
                 current: dict, live_table: str | None = None) -> None:
    registry = runtime.registry
    live_table = live_table or table
    existing = {f["api_name"]: f for f in current["fields"]}
    wanted = {s["api_name"] for s in specs}
    renamed: set[str] = set()
    for spec in specs:
        name = spec["api_name"]
        have = existing.get(name)
        here = name
        if have is None:
            here = renamed_from(spec, existing, wanted | renamed)
            if here is None:
                plan.changes.append(Change("add_field", table, name, spec=spec))
                continue
            renamed.add(here)
            have = existing[here]
            plan.changes.append(Change("rename_field", table, here, changes={"api_name": [here, name]},
                                       live_table=live_table))
        change = Change("update_field", table, name, live_table=live_table, live_field=here)
        if clean_label(spec["label"]) != have["label"]:
            change.changes["label"] = [have["label"], clean_label(spec["label"])]
        desired = desired_options(registry, spec)
        stored = {k: v for k, v in have["options"].items() if k not in INTERNAL_OPTION_KEYS}
        if spec["type"] != have["type"]:
            change.changes["type"] = [have["type"], spec["type"]]
            change.changes["options"] = [stored, {k: [stored.get(k), v] for k, v in desired.items()
                                                  if stored.get(k) != v}]
            change.spec = spec
            if not supported(have["type"], spec["type"]):
                change.blocked = f"a {have['type']} field cannot be changed into a {spec['type']} field"
        else:
            diff = {k: [stored.get(k), v] for k, v in desired.items() if stored.get(k) != v
                    and not (k in FLAG_OPTIONS and not v and not stored.get(k))}
            for key, value in stored.items():
                if key in desired or value in (None, False) or key in DERIVED_OPTION_KEYS:
                    continue
                if key == "indexed":  # an index the base added (a reminder's date) stays unless the package says false
                    continue
                if key in FLAG_OPTIONS:
                    diff[key] = [value, False]
                else:
                    plan.notices.append(f"field {table}.{name}: option {key}={value!r} is not in the package; it is kept")
            if spec["type"] == "link" and "target" in diff:
                change.blocked = (f"the link's target cannot change ({diff['target'][0]} -> {diff['target'][1]}); "
                                  "add a new link field instead")
            if diff:
                change.changes["options"] = [stored, diff]
        if change.changes:
            if not change.blocked and ("type" in change.changes or "options" in change.changes) \
                    and not _only_widens(change):
                _dry_run(runtime, actor, change)
            plan.changes.append(change)
        if spec["type"] == "lines" and have["type"] == "lines":
            child = snap.child_table(snap.table(live_table).field(here))
            _plan_fields(runtime, snap, actor, plan, child.api_name,
                         (spec.get("options") or {}).get("fields") or [], describe_table(snap, child))
    for name, have in existing.items():
        if name not in wanted and name not in renamed:
            plan.notices.append(f"field {table}.{name} ({have['label']}) is not in the package; it is kept")


def desired_options(registry: FieldTypeRegistry, spec: dict) -> dict:
    options = {k: v for k, v in (spec.get("options") or {}).items() if k not in INTERNAL_OPTION_KEYS}
    return registry.get(spec["type"]).normalize_options(options)


def field_changes(change: Change) -> dict:
    """The ``update_field`` changes dict for a planned field change."""
    result: dict[str, Any] = {}
    if "label" in change.changes:
        result["label"] = change.changes["label"][1]
    if "type" in change.changes:
        result["type"] = change.changes["type"][1]
        result["options"] = {k: v for k, v in (change.spec.get("options") or {}).items()
                             if k not in INTERNAL_OPTION_KEYS}
    elif "options" in change.changes:
        result["options"] = {k: new for k, (_old, new) in change.changes["options"][1].items()}
    return result


def _only_widens(change: Change) -> bool:
    """Whether the change only adds choices, raises a length limit or changes words: no value
    can be lost, so the records need not be read to plan it."""
    if "type" in change.changes or "options" not in change.changes:
        return False
    for key, (old, new) in change.changes["options"][1].items():
        if key == "choices" and isinstance(old, list) and isinstance(new, list):
            if not {c.get("value") for c in old if isinstance(c, dict)} <= \
                    {c.get("value") for c in new if isinstance(c, dict)}:
                return False
        elif key == "max_length":  # no limit, or a higher one
            if new is not None and (old is None or new < old):
                return False
        elif key not in ("help_text", "translations", "placeholder", "default", "default_formula"):
            return False
    return True


def _dry_run(runtime, actor, change: Change) -> None:
    if actor is None:
        if "type" in change.changes:
            change.destructive, change.unchecked = True, True
        return
    try:
        result = runtime.schema.update_field(actor, change.live_table or change.table, change.live_field or change.field,
                                             field_changes(change), dry_run=True)
    except CardfileError as exc:
        change.blocked = exc.message
        return
    conversion = result.get("conversion") or {}
    change.lost = int(conversion.get("lost") or 0)
    change.losses = list(conversion.get("losses") or [])
    change.destructive = change.lost > 0
