"""Applying a package: plan first, refuse what must not happen, then change through the schema service.

Order: new tables are created first, each with the fields whose link targets already
exist; fields that link to tables defined later (or to their own table), and formula
fields (which may read back-links and line items), are added once every table exists, in
package order and at their package position. Then added fields,
field changes (a lossy one only with ``allow_destructive``), and last the table changes
(a display field may name a field added just before; table options such as record rules
come after every field, since a rule may read any of them). Nothing is deleted. The applied package is recorded in ``cf_meta`` (``package:<name>``).
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import insert, select, update

from ..actors import Actor
from ..errors import CardfileError
from ..storage.platform_tables import cf_meta
from .loader import Package
from .plan import INTERNAL_OPTION_KEYS, Plan, field_changes, plan_apply, table_update


class PackageChangesRefused(CardfileError):
    """The plan holds changes that cannot be applied, or destructive ones without the flag."""

    code = "PACKAGE_CHANGES_REFUSED"


def apply_package(runtime, actor: Actor, pkg: Package, allow_destructive: bool = False,
                  dry_run: bool = False, source: str | None = None) -> dict:
    """Apply ``pkg``; return a report (``changes``, ``applied``, ``notices``).

    ``source`` is recorded with the package (a sample name or a path) so that demo data
    can find the package later.
    """
    runtime.access.check_design(actor)
    plan = plan_apply(runtime, pkg, actor)
    report = {**plan.to_dict(), "applied": 0, "dry_run": dry_run}
    if plan.blocked:
        lines = "\n".join(f"  {c.describe()}" for c in plan.blocked)
        raise PackageChangesRefused(f"Package {pkg.name!r} cannot be applied:\n{lines}", report)
    if plan.destructive and not allow_destructive and not dry_run:
        lines = "\n".join(f"  {c.describe()}" for c in plan.destructive)
        raise PackageChangesRefused(
            f"Package {pkg.name!r} has destructive changes; nothing was changed:\n{lines}\n"
            "Fix the values first, or allow destructive changes to empty them.", report)
    if dry_run:
        return report
    _execute(runtime, actor, plan, force=allow_destructive)
    if pkg.groups:
        report["groups"] = runtime.groups.apply_roles(actor, pkg.groups, package=pkg.name)
    record_installed(runtime, pkg, source)
    report["applied"] = len(plan.changes)
    return report


def _execute(runtime, actor: Actor, plan: Plan, force: bool) -> None:
    schema = runtime.schema
    exists = {t["api_name"] for t in schema.list_tables(actor)}
    deferred: list[tuple[str, dict]] = []
    displays: list[tuple[str, str]] = []
    options: list[tuple[str, dict]] = []
    for change in plan.changes:
        if change.action != "create_table":
            continue
        spec = change.spec
        inline, later = [], []
        for position, field in enumerate(spec["fields"], 1):
            field = {**_field_spec(field), "position": position}
            waits = field["type"] == "formula" or not _targets(field) <= exists  # formulas may read any table
            (later if waits else inline).append(field)
        table_spec = {"api_name": spec["api_name"], "label": spec["label"], "fields": inline}
        if spec.get("section") is not None:
            table_spec["section"] = spec["section"]
        if spec.get("options"):  # rules may read fields added below: set once every field exists
            options.append((change.table, spec["options"]))
        display = spec.get("display_field")
        if display and any(f["api_name"] == display for f in inline):
            table_spec["display_field"] = display
        elif display:
            displays.append((change.table, display))
        schema.create_table(actor, table_spec)
        exists.add(change.table)
        deferred += [(change.table, f) for f in later]
    for table, field in deferred:
        schema.add_field(actor, table, field)
    for table, display in displays:
        schema.update_table(actor, table, {"display_field": display})
    for table, table_options in options:
        schema.update_table(actor, table, {"options": table_options})
    later_tables = []  # display fields may name fields added below
    for change in plan.changes:
        if change.action == "update_table":
            later_tables.append(change)
        elif change.action == "add_field":
            schema.add_field(actor, change.table, _field_spec(change.spec))
        elif change.action == "update_field":
            schema.update_field(actor, change.table, change.field, field_changes(change), force=force)
    for change in later_tables:
        schema.update_table(actor, change.table, table_update(change))


def _field_spec(spec: dict) -> dict:
    """A package field as a SchemaService field spec (line items keep their child fields)."""
    options = {k: v for k, v in (spec.get("options") or {}).items() if k not in INTERNAL_OPTION_KEYS}
    if spec["type"] == "lines":
        options["fields"] = [_field_spec(f) for f in spec["options"]["fields"]]
    return {"api_name": spec["api_name"], "label": spec["label"], "type": spec["type"], "options": options}


def _targets(field: dict) -> set[str]:
    """Tables a field (or, for line items, its child fields) links to."""
    if field["type"] == "link":
        return {field["options"]["target"]}
    if field["type"] == "lines":
        return set().union(*(_targets(f) for f in field["options"]["fields"]))
    return set()


# --- installed packages -----------------------------------------------------------------
META_PREFIX = "package:"


def record_installed(runtime, pkg: Package, source: str | None) -> None:
    value = json.dumps({"name": pkg.name, "version": pkg.version, "title": pkg.title,
                        "source": source or str(pkg.root.resolve()),
                        "applied_at": dt.datetime.now(dt.timezone.utc).isoformat()})
    key = (META_PREFIX + pkg.name)[:64]
    with runtime.engine.begin() as conn:
        if conn.execute(select(cf_meta.c.key).where(cf_meta.c.key == key)).first() is None:
            conn.execute(insert(cf_meta).values(key=key, value=value))
        else:
            conn.execute(update(cf_meta).where(cf_meta.c.key == key).values(value=value))


def installed_packages(runtime) -> list[dict]:
    """Packages applied to this database, oldest name first."""
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(cf_meta.c.value).where(cf_meta.c.key.like(META_PREFIX + "%"))
                            .order_by(cf_meta.c.key)).scalars().all()
    return [json.loads(v) for v in rows]
