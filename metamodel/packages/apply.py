"""Applying a package: plan first, refuse what must not happen, then change through the schema service.

Order: new tables are created first, each with the fields whose link targets already
exist; fields that link to tables defined later (or to their own table), and formula
fields, default formulas and line items with formulas (which may read back-links, line
items and each other), are added once every table exists, in package order and at their
package position; one whose expression names a field not added yet waits for the others. Then added fields,
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
from ..formulas.hooks import FormulaDefinitionError
from ..storage.platform_tables import cf_meta
from .loader import Package
from .plan import INTERNAL_OPTION_KEYS, Plan, field_changes, plan_apply, table_update


class PackageChangesRefused(CardfileError):
    """The plan holds changes that cannot be applied, or destructive ones without the flag."""

    code = "PACKAGE_CHANGES_REFUSED"


def apply_package(runtime, actor: Actor, pkg: Package, allow_destructive: bool = False,
                  dry_run: bool = False, source: str | None = None, plan: Plan | None = None) -> dict:
    """Apply ``pkg``; return a report (``changes``, ``applied``, ``notices``).

    ``source`` is recorded with the package (a sample name or a path) so that demo data
    can find the package later.
    """
    runtime.access.check_design(actor)
    plan = plan if plan is not None else plan_apply(runtime, pkg, actor)  # upgrade.py plans renames and drops
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
    for change in plan.changes:  # renames first: every later step uses the new names
        if change.action == "rename_table":
            schema.update_table(actor, change.changes["api_name"][0], {"api_name": change.table})
        elif change.action == "rename_field":
            schema.update_field(actor, change.table, change.field, {"api_name": change.changes["api_name"][1]})
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
            waits = _computes(field) or not _targets(field) <= exists  # formulas may read any table
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
    added = [(c.table, _field_spec(c.spec)) for c in plan.changes if c.action == "add_field"]
    _add_fields(schema, actor, deferred + added)  # a new table's formula may read a field new to an old one
    for table, display in displays:
        schema.update_table(actor, table, {"display_field": display})
    for table, table_options in options:
        schema.update_table(actor, table, {"options": table_options})
    later_tables = []  # display fields may name fields added below
    for change in plan.changes:
        if change.action == "update_table":
            later_tables.append(change)
        elif change.action == "update_field":
            schema.update_field(actor, change.table, change.field, field_changes(change), force=force)
    for change in later_tables:
        schema.update_table(actor, change.table, table_update(change))
    for change in plan.changes:  # what the previous version brought and this one does not: to the trash
        if change.action == "drop_field":
            schema.delete_field(actor, change.table, change.field)
        elif change.action == "drop_table":
            schema.delete_table(actor, change.table)


def _add_fields(schema, actor: Actor, pending: list[tuple[str, dict]]) -> None:
    """Add fields in package order; one whose expression (a formula, a default formula, a
    line's formula) names a field not added yet waits until the others are in, so formulas
    of several tables may read each other's formulas in any package order. Line items whose
    formulas wait (a line's discount read from its receipt, whose total sums the lines) are
    added without them, and their formulas join the waiting fields of the child table."""
    while pending:
        waiting, first_error = [], None
        for table, field in pending:
            try:
                schema.add_field(actor, table, field)
            except FormulaDefinitionError as exc:
                first_error = first_error or exc
                waiting += _split_lines(schema, actor, table, field)
        if len(waiting) == len(pending):
            raise first_error
        pending = waiting


def _split_lines(schema, actor: Actor, table: str, field: dict) -> list[tuple[str, dict]]:
    """Line items whose formulas cannot be added yet: add the plain fields now, return the rest."""
    children = field["options"]["fields"] if field["type"] == "lines" else []
    plain = [{**f, "position": i} for i, f in enumerate(children, 1) if not _computes(f)]
    if not plain or len(plain) == len(children):
        return [(table, field)]
    schema.add_field(actor, table, {**field, "options": {**field["options"], "fields": plain}})
    child = f"{table}_{field['api_name']}"
    return [(child, {**f, "position": i}) for i, f in enumerate(children, 1) if _computes(f)]


def _computes(field: dict) -> bool:
    """A formula, a default formula, or line items holding one: it may read fields added later."""
    if field["type"] == "formula" or "default_formula" in (field.get("options") or {}):
        return True
    return field["type"] == "lines" and any(_computes(f) for f in field["options"]["fields"])


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
    write_meta(runtime, META_PREFIX + pkg.name, value)


def write_meta(runtime, key: str, value: str) -> None:
    """Insert or replace one ``cf_meta`` entry (keys are cut to the column's 64 characters)."""
    key = key[:64]
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
