"""The history of applied packages (``cf_package_applies``, revision 0011) and what each brought.

Every apply writes one row: package, version, format, who, when, the plan it carried out, the
backup taken before destructive steps, and ``objects`` — the metadata the package brought
(``table:clients``, ``field:clients.name``, ``field:invoices.lines.product``,
``report:<name>``, ``reminder:<table>/<name>``, ``template:<table>/<name>``, and for layouts
and views a digest of what the base held after the apply). From these rows an upgrade knows
which tables and fields the previous version brought (gone from the new version: dropped)
and which ones no package ever brought (the customer's own, *local* additions: kept).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select

from ..storage.package_tables import cf_package_applies
from .loader import FORMAT, Package


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def package_objects(pkg: Package) -> dict[str, str]:
    """The tables, fields, reports, reminders and templates ``pkg`` brings (digests are empty)."""
    out: dict[str, str] = {}
    for table in pkg.tables:
        name = table.spec["api_name"]
        out[f"table:{name}"] = ""
        for field in table.spec["fields"]:
            out[f"field:{name}.{field['api_name']}"] = ""
            if field["type"] == "lines":
                for child in (field.get("options") or {}).get("fields") or []:
                    out[f"field:{name}.{field['api_name']}.{child['api_name']}"] = ""
    for report in pkg.reports or []:
        out[f"report:{report['name']}"] = ""
    for template in pkg.templates:
        out[f"template:{template.definition['table']}/{template.definition['name']}"] = ""
    return out


def record(conn, pkg: Package, actor, *, state: str, plan: dict, objects: dict, source: str | None,
           backup: str | None = None, error: str | None = None) -> int:
    return conn.execute(insert(cf_package_applies).values(
        package=pkg.name, version=pkg.version, format_version=int(pkg.manifest.get("format", FORMAT)),
        source=source, actor_id=getattr(actor, "id", None), actor_name=getattr(actor, "username", None),
        applied_at=utcnow(), state=state, plan=plan, objects=objects, backup=backup,
        error=error).returning(cf_package_applies.c.id)).scalar_one()


def history(engine, package: str | None = None) -> list[dict]:
    """Every apply, newest first."""
    stmt = select(cf_package_applies).order_by(cf_package_applies.c.id.desc())
    if package:
        stmt = stmt.where(cf_package_applies.c.package == package)
    with engine.connect() as conn:
        rows = conn.execute(stmt).mappings().all()
    return [{**dict(r), "applied_at": r["applied_at"].isoformat().replace("+00:00", "Z")} for r in rows]


def brought(engine) -> tuple[dict[str, dict], set[str]]:
    """``({package: {version, objects}} of each package's latest successful apply, every object
    any package brought)``."""
    stmt = (select(cf_package_applies.c.package, cf_package_applies.c.version, cf_package_applies.c.objects)
            .where(cf_package_applies.c.state == "applied").order_by(cf_package_applies.c.id))
    latest: dict[str, dict] = {}
    every: set[str] = set()
    with engine.connect() as conn:
        for package, version, objects in conn.execute(stmt):
            latest[package] = {"version": version, "objects": objects or {}}
            every |= set(objects or {})
    return latest, every
