"""``cardfile config export``: the running configuration written as a package.

The files are laid out the way a consultant writes them by hand (``docs/config-packages.md``)::

    package.yaml  tables/<table>.yaml  groups.yaml  reports.yaml  reminders.yaml
    layouts.yaml  views.yaml  sections.yaml  templates/<name>.yaml + .html/.docx
    translations/<language>.yaml

Tables, fields, groups, reports, templates and reminders come in the base's order (the
order a package created them in), mappings whose order means nothing are sorted, empty and
default values are left out, and YAML is block style without anchors (``yamlout``): the same
configuration always gives the same bytes. Records, users, memberships, personal views and
reports, mailings and secrets never leave the base this way.
"""

from __future__ import annotations

from pathlib import Path

from slugify import slugify
from sqlalchemy import select

from ..actors import Actor
from ..catalog import Snapshot
from ..model import FieldDef, TableDef
from ..storage.platform_tables import cf_groups, cf_reports, cf_templates
from . import extras
from .apply import installed_packages
from .plan import DERIVED_OPTION_KEYS, FLAG_OPTIONS, INTERNAL_OPTION_KEYS
from .yamlout import dump

FORMAT = 1
TEMPLATE_DEFAULTS = {"filename": "", "groups": [], "keep_copy": False, "layout": "pages", "email": {}}
TEMPLATE_SETTINGS = ("language", "paper", "filename", "groups", "keep_copy", "layout", "email")


def render_package(runtime, actor: Actor, *, name: str | None = None, version: str | None = None,
                   title: str | None = None) -> dict[str, bytes]:
    """Every file of the package as ``{relative path: bytes}``, in a stable order."""
    runtime.access.check_design(actor)
    snap = runtime.schema.snapshot()
    tables = [t for t in snap.live_tables() if not t.is_child]
    words: dict = {}
    files: dict[str, bytes] = {}
    installed = installed_packages(runtime)
    last = max(installed, key=lambda p: p.get("applied_at") or "") if installed else {}
    manifest = {"format": FORMAT, "name": name or last.get("name") or "configuration",
                "version": version or last.get("version") or "1.0.0",
                "title": title or last.get("title") or "Configuration"}
    manifest["tables"] = [t.api_name for t in tables]
    files["package.yaml"] = dump(manifest, "Written by `cardfile config export`.")
    for table in tables:
        files[f"tables/{table.api_name}.yaml"] = dump(table_spec(snap, table, words))
    groups = _groups(runtime, actor, snap)
    if groups:
        files["groups.yaml"] = dump({"groups": groups})
    reports = _reports(runtime, words)
    if reports:
        files["reports.yaml"] = dump({"reports": reports})
    reminders = _reminders(runtime, actor, snap)
    if reminders:
        files["reminders.yaml"] = dump({"reminders": reminders})
    layouts = extras.stored_layouts(runtime, actor)
    if layouts:
        files["layouts.yaml"] = dump({"layouts": layouts})
    views = [{k: v for k, v in view.items() if k != "id"} for view in extras.shared_views(runtime, actor)]
    if views:
        files["views.yaml"] = dump({"views": views})
    sections = extras.stored_sections(runtime, actor)
    if sections:
        files["sections.yaml"] = dump({"sections": sections})
    files.update(_templates(runtime, snap))
    for lang in sorted(words):
        files[f"translations/{lang}.yaml"] = dump(words[lang])
    return files


def write_package(files: dict[str, bytes], target: str | Path) -> list[str]:
    """Write ``files`` under ``target``; files of an earlier export that are no longer part of
    the package are removed (only in the folders an export writes)."""
    root = Path(target)
    root.mkdir(parents=True, exist_ok=True)
    for folder in ("tables", "templates", "translations"):
        if (root / folder).is_dir():
            for old in (root / folder).iterdir():
                if old.is_file() and f"{folder}/{old.name}" not in files:
                    old.unlink()
    for name in ("groups.yaml", "reports.yaml", "reminders.yaml", "layouts.yaml", "views.yaml", "sections.yaml"):
        if (root / name).is_file() and name not in files:
            (root / name).unlink()
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return list(files)


# --- tables ---------------------------------------------------------------------------------
def table_spec(snap: Snapshot, table: TableDef, words: dict) -> dict:
    spec: dict = {"api_name": table.api_name, "label": table.label}
    if table.section:
        spec["section"] = table.section
    if table.display_field is not None:
        spec["display_field"] = table.display_field.api_name
    options = dict(table.options or {})
    for lang, given in (options.pop("translations", None) or {}).items():
        _words(words, lang, table.api_name).update({k: given[k] for k in ("label", "section", "rules") if k in given})
    options = {k: v for k, v in options.items() if v not in (None, [], {})}
    if options:
        spec["options"] = options
    spec["fields"] = [field_spec(snap, f, _field_words(words, table.api_name)) for f in table.fields]
    return spec


def field_spec(snap: Snapshot, field: FieldDef, words) -> dict:
    options = {k: v for k, v in field.options.items()
               if k not in INTERNAL_OPTION_KEYS and k not in DERIVED_OPTION_KEYS and v is not None
               and not (k in FLAG_OPTIONS and v is False)}
    translations = options.pop("translations", None) or {}
    if field.type == "link":
        target = snap.tables.get(field.options.get("target_id"))
        options = {"target": target.api_name if target else None, **options}
    children: dict = {}
    if field.type == "lines":
        child = snap.child_table(field)
        options["fields"] = [field_spec(snap, c, lambda lang, name=field.api_name: _child_words(children, lang))
                             for c in child.fields]
    for lang, given in translations.items():
        given = dict(given)
        words(lang)[field.api_name] = given["label"] if list(given) == ["label"] else given
    for lang, child_words in children.items():
        entry = words(lang).setdefault(field.api_name, {})
        if isinstance(entry, str):
            entry = words(lang)[field.api_name] = {"label": entry}
        entry["fields"] = child_words
    spec = {"api_name": field.api_name, "label": field.label, "type": field.type}
    if options:
        spec["options"] = options
    return spec


def _words(words: dict, lang: str, table: str) -> dict:
    return words.setdefault(lang, {}).setdefault("tables", {}).setdefault(table, {})


def _field_words(words: dict, table: str):
    return lambda lang: _words(words, lang, table).setdefault("fields", {})


def _child_words(children: dict, lang: str) -> dict:
    return children.setdefault(lang, {})


# --- groups, reports, reminders, templates ---------------------------------------------------
def _groups(runtime, actor: Actor, snap: Snapshot) -> list[dict]:
    order = {t.api_name: i for i, t in enumerate(snap.live_tables())}
    with runtime.engine.connect() as conn:
        names = conn.execute(select(cf_groups.c.name).order_by(cf_groups.c.id)).scalars().all()
    out = []
    for name in names:
        group = runtime.groups.get(actor, name)
        item: dict = {"name": group["name"]}
        if group["description"]:
            item["description"] = group["description"]
        if group["is_admin"]:
            item["is_admin"] = True
        if group["sections"] is not None:
            item["sections"] = sorted(group["sections"])
        perms = []
        for grant in sorted(group.get("permissions") or [],
                            key=lambda g: -1 if g["table"] == "*" else order.get(g["table"], 10 ** 6)):
            perm: dict = {"table": grant["table"], "actions": list(grant["actions"])}
            if grant["rows"] != "all":
                perm["rows"] = grant["rows"]
            if grant["fields"]:
                perm["fields"] = dict(sorted(grant["fields"].items()))
            perms.append(perm)
        if perms:
            item["permissions"] = perms
        out.append(item)
    return out


def _reports(runtime, words: dict) -> list[dict]:
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(cf_reports).where(cf_reports.c.shared.is_(True))
                            .order_by(cf_reports.c.id)).mappings().all()
    out = []
    for row in rows:
        definition = dict(row["definition"])
        for lang, given in (definition.pop("translations", None) or {}).items():
            words.setdefault(lang, {}).setdefault("reports", {})[row["name"]] = dict(given)
        item = {"name": row["name"], "table": row["table_name"]}
        if row["description"]:
            item["description"] = row["description"]
        item["definition"] = definition
        out.append(item)
    return out


def _reminders(runtime, actor: Actor, snap: Snapshot) -> list[dict]:
    from ..reminders.rules import RuleService

    out = []
    for rule in sorted(RuleService(runtime).list(actor), key=lambda r: r["id"]):
        item: dict = {"table": rule["table"], "name": rule["name"]}
        if rule["kind"] != "reminder":
            item["kind"] = rule["kind"]
        else:
            item["field"] = rule["field"]
            item["offset"] = rule["offset"]
        item["at"] = rule["at"]
        if rule["repeat"] != "none":
            item["repeat"] = rule["repeat"]
        if rule["condition"]:
            item["condition"] = rule["condition"]
        item["recipients"] = rule["recipients"]
        item["message"] = rule["message"]
        item["channels"] = rule["channels"]
        if not rule["enabled"]:
            item["enabled"] = False
        out.append(item)
    return out


def _templates(runtime, snap: Snapshot) -> dict[str, bytes]:
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(cf_templates).where(cf_templates.c.deleted_at.is_(None))
                            .order_by(cf_templates.c.id)).mappings().all()
    files: dict[str, bytes] = {}
    taken: set[str] = set()
    for row in rows:
        table = snap.tables.get(row["table_id"])
        if table is None or not table.live:
            continue
        base = slugify(row["name"]) or "template"
        stem, n = base, 2
        while stem in taken:
            stem, n = f"{base}-{n}", n + 1
        taken.add(stem)
        if row["kind"] == "docx":
            if not row["docx_sha256"]:
                continue
            body_name, content = f"{stem}.docx", runtime.files.path(row["docx_sha256"]).read_bytes()
        else:
            body_name, content = f"{stem}.html", (row["body"] or "").encode("utf-8")
        item: dict = {"name": row["name"], "table": table.api_name, "kind": row["kind"], "file": body_name}
        if row["description"]:
            item["description"] = row["description"]
        settings = row["settings"] or {}
        for key in TEMPLATE_SETTINGS:
            if key in settings and settings[key] != TEMPLATE_DEFAULTS.get(key, object()):
                item[key] = settings[key]
        files[f"templates/{stem}.yaml"] = dump(item)
        files[f"templates/{body_name}"] = content
    return dict(sorted(files.items()))
