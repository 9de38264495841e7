"""A configuration package's print templates (``templates/`` in the package), installed.

    install_templates(rt, actor, package, templates) -> counts

A template is known by its package, table and name. A new one is created; one the package
changed is saved as a new version (action ``package``); an unchanged one is left alone.
A template the owner edited after the package installed it is **kept as edited** (counted
as ``kept``), so a package upgrade never overwrites the customer's own changes; a template
the owner moved to the trash stays there. Every text is checked as any save is (syntax
with line and column; a Word file as an upload).
"""

from __future__ import annotations

import hashlib
import io

from sqlalchemy import select

from cardfile.metamodel.errors import AccessDenied
from cardfile.metamodel.storage.platform_tables import cf_templates, cf_template_versions

from .docx_check import DOCX_TYPE, check_docx
from .store import DEFAULT_SETTINGS, TemplateService, merged_settings

SETTING_KEYS = tuple(DEFAULT_SETTINGS)


def package_settings(definition: dict) -> dict:
    return {k: definition[k] for k in SETTING_KEYS if k in definition}


def install_templates(rt, actor, package: str, templates) -> dict:
    """Install ``templates`` (``PackageTemplate``s) of ``package``; administrators only."""
    actor = rt.access.require_active(actor)
    if not actor.is_admin:
        raise AccessDenied("Only an administrator installs a package's templates.", {"package": package})
    service = TemplateService(rt)
    snap = rt.schema.snapshot()
    counts = {"created": 0, "updated": 0, "unchanged": 0, "kept": 0}
    for item in templates:
        d = item.definition
        table = snap.table(d["table"])
        data = {"table": table.api_name, "name": d["name"], "kind": d["kind"], "description": d.get("description"),
                "body": item.body, "settings": package_settings(d)}
        with rt.engine.connect() as conn:
            row = conn.execute(select(cf_templates).where(
                cf_templates.c.package == package, cf_templates.c.table_id == table.id,
                cf_templates.c.name == d["name"])).mappings().first()
            edited = row is not None and _edited_here(conn, row)
        if row is None:
            created = service.create(actor, data, package=package)
            if d["kind"] == "docx":  # the Word file is the package's too: a "package" version
                _attach(rt, service, actor, created["id"], item.content, d["file"])
            counts["created"] += 1
        elif row["deleted_at"] is not None or edited:
            counts["kept"] += 1
        elif _same(row, data, item):
            counts["unchanged"] += 1
        else:
            values = service._checked(data, row, table.id)
            if d["kind"] == "docx":
                values.update(_stored_docx(rt, service, actor, item.content, d["file"]))
            service._write(actor, row, values, "package")
            counts["updated"] += 1
    return counts


def _stored_docx(rt, service: TemplateService, actor, content: bytes, name: str) -> dict:
    check_docx(content, service.checker)
    stored = rt.files.put(actor, io.BytesIO(content), name, DOCX_TYPE)
    return {"docx_sha256": stored["sha256"], "docx_name": name}


def _attach(rt, service: TemplateService, actor, template_id: int, content: bytes, name: str) -> None:
    row = service._row(template_id)
    service._write(actor, row, _stored_docx(rt, service, actor, content, name), "package")


def _edited_here(conn, row) -> bool:
    """Whether someone saved the template after the package last wrote it."""
    rows = conn.execute(select(cf_template_versions.c.version, cf_template_versions.c.action)
                        .where(cf_template_versions.c.template_id == row["id"])).all()
    by_package = [v for v, action in rows if action == "package" or (v == 1 and action == "create")]
    return row["version"] > max(by_package, default=0)


def _same(row, data: dict, item) -> bool:
    if (row["body"] or None) != (data["body"] or None) or (row["description"] or None) != (data["description"] or None):
        return False
    if merged_settings(row["settings"]) != merged_settings(data["settings"]):
        return False
    if data["kind"] == "docx":
        return row["docx_sha256"] == hashlib.sha256(item.content).hexdigest()
    return True
