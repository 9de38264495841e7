"""Upgrading a live base with a package: the plan of an upgrade, then one transaction.

``plan_upgrade`` adds to ``plan_apply`` what only the history (``history.py``) can tell:

* **dropped**: a table or field the previous version of this package brought and this version
  does not (and no ``renamed_from`` names) moves to the trash — a destructive step, counted
  in records that hold a value;
* **local**: tables and fields no package ever brought are the customer's own; they are kept
  and listed;
* **conflicts**: this version brings a table or field whose name a local one already has; the
  plan names it with a suggested resolution and nothing is applied (``adopt=True`` lets the
  package take the local one over).

``upgrade`` refuses conflicts, blocked steps and (without ``allow_destructive``) destructive
ones; takes a backup first when the plan has destructive steps; then carries out the schema
changes, groups, layouts, views, sections, reminder rules and the caller's ``steps`` (reports
and templates live above this package) through services bound to one connection
(``shared_tx``), and records the apply in ``cf_package_applies`` in the same transaction.
A failure anywhere rolls everything back and is recorded as a failed apply.
"""

from __future__ import annotations

from typing import Callable, Iterable

from ..actors import Actor
from ..errors import CardfileError
from ..records.query import ListQuery
from . import history
from .apply import PackageChangesRefused, apply_package
from .extras import apply_extras, extra_objects, shared_views
from .loader import Package
from .plan import Change, Plan, plan_apply
from .shared_tx import transactional

Step = Callable[..., dict | None]  # step(runtime, actor, pkg) -> a report of what it did, or None


class PackageConflict(CardfileError):
    """The package brings a table or field with the name of one the customer added."""

    code = "PACKAGE_CONFLICT"


def plan_upgrade(runtime, pkg: Package, actor: Actor | None = None) -> Plan:
    plan = plan_apply(runtime, pkg, actor)
    latest, every = history.brought(runtime.engine)
    previous = latest.get(pkg.name)
    snap = runtime.schema.snapshot()
    live = {t.api_name: t for t in snap.live_tables()}
    tables_renamed = {c.changes["api_name"][0]: c.table for c in plan.changes if c.action == "rename_table"}
    fields_renamed = {(c.table, c.changes["api_name"][0]) for c in plan.changes if c.action == "rename_field"}
    wanted = {t.api_name: t.spec for t in pkg.tables}
    if previous is not None:
        plan.previous = previous["version"]
        drops: list[Change] = []
        for key in previous["objects"]:
            kind, _, name = key.partition(":")
            if kind == "table" and name not in wanted and name not in tables_renamed and name in live:
                change = Change("drop_table", name, destructive=True)
                change.lost = _count(runtime, actor, name, None, change)
                drops.append(change)
            elif kind == "field":
                drops += _field_drop(runtime, actor, snap, live, wanted, tables_renamed, fields_renamed, name)
        plan.changes += sorted(drops, key=lambda c: c.action != "drop_table")  # whole tables first
        gone = tuple(f"{'table' if c.action == 'drop_table' else 'field'} {c.subject} " for c in drops)
        plan.notices = [n for n in plan.notices if not n.startswith(gone)] if gone else plan.notices
    if every or previous is not None:
        _local_and_conflicts(plan, pkg, snap, live, every, tables_renamed, fields_renamed)
        _local_views_and_reports(runtime, actor, plan, pkg, every)
    return plan


def _local_views_and_reports(runtime, actor, plan: Plan, pkg: Package, every: set[str]) -> None:
    """Shared views and reports made here (no package brought them) are kept and listed; a
    report of the package with the name of a local one is a conflict."""
    from sqlalchemy import select

    from ..storage.platform_tables import cf_reports

    if actor is not None:
        for view in shared_views(runtime, actor):
            if f"view:{view['table']}/{view['name']}" not in every:
                plan.local.append(f"view {view['table']}/{view['name']}")
    with runtime.engine.connect() as conn:
        local = conn.execute(select(cf_reports.c.name).where(cf_reports.c.package.is_(None),
                                                             cf_reports.c.shared.is_(True))
                             .order_by(cf_reports.c.id)).scalars().all()
    brings = {r["name"] for r in pkg.reports or []}
    for name in local:
        if name in brings:
            plan.conflicts.append({
                "subject": name, "kind": "report",
                "message": f"the package brings report {name!r}, and a shared report of that name was made here",
                "suggestion": "rename the local report (Reports -> the report -> name) and apply again"})
        else:
            plan.local.append(f"report {name}")


def _field_drop(runtime, actor, snap, live, wanted, tables_renamed, fields_renamed, name) -> list[Change]:
    parts = name.split(".")
    table = tables_renamed.get(parts[0], parts[0])
    spec = wanted.get(table)
    if spec is None or parts[0] not in live:
        return []
    fields = {f["api_name"]: f for f in spec["fields"]}
    if len(parts) == 2:
        if parts[1] in fields or (table, parts[1]) in fields_renamed or live[parts[0]].field(parts[1]) is None:
            return []
        change = Change("drop_field", table, parts[1], destructive=True)
        change.lost = _count(runtime, actor, parts[0], parts[1], change)
        return [change]
    lines = fields.get(parts[1])
    parent = live[parts[0]].field(parts[1])
    if lines is None or lines["type"] != "lines" or parent is None or parent.type != "lines":
        return []
    child = snap.child_table(parent)
    children = {f["api_name"] for f in (lines.get("options") or {}).get("fields") or []}
    if parts[2] in children or (child.api_name, parts[2]) in fields_renamed or child.field(parts[2]) is None:
        return []
    change = Change("drop_field", child.api_name, parts[2], destructive=True)
    change.lost = _count(runtime, actor, child.api_name, parts[2], change)
    return [change]


def _count(runtime, actor, table: str, field: str | None, change: Change) -> int:
    """Records of ``table`` (holding a value in ``field``) — through the record service."""
    if actor is None:
        change.unchecked = True
        return 0
    filters = [(field, "is_not_empty", "")] if field else []
    try:
        return int(runtime.records.list(actor, table, ListQuery(filters=filters, per_page=1))["total"])
    except CardfileError:  # line items are read through their parent: counted when applied
        change.unchecked = True
        return 0


def _local_and_conflicts(plan, pkg, snap, live, every, tables_renamed, fields_renamed) -> None:
    ours: set[str] = set(history.package_objects(pkg))
    kept_local: set[str] = set()
    for name, table in live.items():
        fields = [(f"field:{name}.{f.api_name}", f) for f in table.fields]
        for f in table.fields:
            if f.type == "lines":
                fields += [(f"field:{name}.{f.api_name}.{c.api_name}", c) for c in snap.child_table(f).fields]
        if f"table:{name}" not in every and name not in tables_renamed:
            if f"table:{name}" in ours:
                plan.conflicts.append(_conflict("table", name, table.label))
            else:
                plan.local.append(f"table {name} ({table.label})")
                kept_local.add(f"table {name} ")
                continue
        for key, field in fields:
            subject = key.split(":", 1)[1]
            if key in every or (name, field.api_name) in fields_renamed:
                continue
            if key in ours:
                plan.conflicts.append(_conflict("field", subject, field.label))
            else:
                plan.local.append(f"field {subject} ({field.label})")
                kept_local.add(f"field {subject} ")
    plan.notices = [n for n in plan.notices if not any(n.startswith(k) for k in kept_local)]


def _conflict(kind: str, subject: str, label: str) -> dict:
    new = subject.rsplit(".", 1)[-1]
    return {"subject": subject, "kind": kind,
            "message": f"the package brings {kind} {subject}, and this base already has a {kind} {subject} "
                       f"({label}) that was added here, not by a package",
            "suggestion": f"rename the local {kind} (for example to {new}_local) in the designer and apply "
                          f"again; or, if it is meant to be the package's {kind}, apply with --adopt so the "
                          f"package takes it over (its values are kept)"}


def upgrade(runtime, actor: Actor, pkg: Package, *, allow_destructive: bool = False, adopt: bool = False,
            dry_run: bool = False, source: str | None = None, steps: Iterable[tuple[str, Step]] = (),
            backup: Callable[[], str] | None = None) -> dict:
    """Apply ``pkg`` as one transaction; return the report (plan, what each step did, history id)."""
    runtime.access.check_design(actor)
    plan = plan_upgrade(runtime, pkg, actor)
    report = {**plan.to_dict(), "applied": 0, "dry_run": dry_run, "steps": {}, "backup": None}
    if plan.conflicts and not adopt:
        lines = "\n".join(f"  {c['message']}.\n    Suggested: {c['suggestion']}." for c in plan.conflicts)
        raise PackageConflict(f"Package {pkg.name!r} conflicts with additions made here; nothing was changed:\n"
                              f"{lines}", report)
    if plan.blocked:
        lines = "\n".join(f"  {c.describe()}" for c in plan.blocked)
        raise PackageChangesRefused(f"Package {pkg.name!r} cannot be applied:\n{lines}", report)
    if plan.destructive and not allow_destructive:
        if dry_run:
            return report
        lines = "\n".join(f"  {c.describe()}" for c in plan.destructive)
        raise PackageChangesRefused(
            f"Package {pkg.name!r} has destructive changes; nothing was changed:\n{lines}\n"
            "Apply with --allow-destructive (a backup is taken first), or fix the values first.", report)
    if dry_run:
        return report
    if plan.destructive:
        report["backup"] = backup() if backup is not None else _backup(runtime)
    try:
        with runtime.engine.connect() as conn, conn.begin():
            rt = transactional(runtime, conn)
            done = apply_package(rt, actor, pkg, allow_destructive=allow_destructive, source=source, plan=plan)
            report["applied"] = done["applied"]
            if done.get("groups"):
                report["steps"]["groups"] = done["groups"]
            previous = history.brought(rt.engine)[0].get(pkg.name) or {}
            report["steps"]["layouts and views"] = apply_extras(rt, actor, pkg.extras, previous.get("objects") or {})
            for name, step in steps:
                result = step(rt, actor, pkg)
                if result:
                    report["steps"][name] = result
            objects = {**history.package_objects(pkg), **extra_objects(rt, actor, pkg.extras)}
            report["history"] = history.record(conn, pkg, actor, state="applied", plan=plan.to_dict(),
                                               objects=objects, source=source, backup=report["backup"])
    except BaseException as exc:
        runtime.catalog.invalidate()
        with runtime.engine.begin() as conn:
            history.record(conn, pkg, actor, state="failed", plan=plan.to_dict(), objects={}, source=source,
                           backup=report["backup"], error=str(getattr(exc, "message", None) or exc)[:2000])
        raise
    runtime.catalog.invalidate()
    return report


def _backup(runtime) -> str:
    from ..backup import make_backup

    return make_backup(runtime.settings, keep=0)["file"]
