"""TemplateService: print templates as metadata (``cf_templates``), versioned and audited.

A template belongs to a table: ``name``, ``kind`` (``html`` or ``docx``), the ``body``
(HTML with Jinja) or an uploaded DOCX (in the file store), and ``settings``: ``paper``
(size, orientation, margins in mm), ``filename`` (a pattern such as
``Invoice {{ number }}``), ``language`` (words, numbers and dates), ``groups`` (who may
use it; empty: everyone who may print the table), ``keep_copy`` (attach each PDF to the
record), ``layout`` (``pages``: each record on its own sheets; ``flow``: records one after
another on the same sheets, for price tags and labels) and ``email`` (recipient, subject
and message with placeholders, the attached format).

Lifecycle: every save is checked first (a syntax error is refused with line and column,
and nothing is saved), bumps ``version``, keeps the whole definition in
``cf_template_versions`` and writes a table-level entry in the audit log. Delete moves to
the trash (``deleted_at``); restore brings it back. Designing templates needs the table's
``design`` right; using one needs ``print`` (checked again by the record service).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import jsonschema
from sqlalchemy import insert, select, update

from cardfile.metamodel.errors import AccessDenied, InvalidDefinition, NameClash, NotFound, StaleVersion
from cardfile.metamodel.ids import as_id
from cardfile.metamodel.storage.platform_tables import cf_audit, cf_groups, cf_templates, cf_template_versions

from .docx_check import check_docx
from .sandbox import DocumentEnvironment, TemplateInvalid

KINDS = ("html", "docx")
LANGUAGES = ("en", "ru", "uk", "ro", "hy")
PAPER_SIZES = ("A4", "A5", "A3", "letter", "legal")
MAX_BODY = 500_000
MM = {"type": "number", "minimum": 0, "maximum": 100}
SETTINGS_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "paper": {"type": "object", "additionalProperties": False, "properties": {
            "size": {"enum": list(PAPER_SIZES)},
            "orientation": {"enum": ["portrait", "landscape"]},
            "margins": {"type": "object", "additionalProperties": False,
                        "properties": {k: MM for k in ("top", "right", "bottom", "left")}}}},
        "filename": {"type": "string", "maxLength": 200},
        "language": {"enum": list(LANGUAGES)},
        "groups": {"type": "array", "maxItems": 100, "items": {"type": "string", "minLength": 1, "maxLength": 100}},
        "keep_copy": {"type": "boolean"},
        "layout": {"enum": ["pages", "flow"]},
        "email": {"type": "object", "additionalProperties": False, "properties": {
            "to": {"type": "string", "maxLength": 200},
            "subject": {"type": "string", "maxLength": 500},
            "body": {"type": "string", "maxLength": 20000},
            "format": {"enum": ["pdf", "docx"]}}},
    },
}
DEFAULT_SETTINGS = {"paper": {"size": "A4", "orientation": "portrait",
                              "margins": {"top": 15, "right": 15, "bottom": 15, "left": 20}},
                    "filename": "", "language": "en", "groups": [], "keep_copy": False, "layout": "pages",
                    "email": {}}
FIELDS = ("name", "kind", "body", "description", "settings")


class TemplateNotFound(NotFound):
    code = "TEMPLATE_NOT_FOUND"

    def __init__(self, template_id):
        super().__init__(f"No print template #{template_id}.", {"template": template_id})


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _ts(value):
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def merged_settings(settings: dict | None) -> dict:
    out = {**DEFAULT_SETTINGS, **(settings or {})}
    out["paper"] = {**DEFAULT_SETTINGS["paper"], **(settings or {}).get("paper", {})}
    out["paper"]["margins"] = {**DEFAULT_SETTINGS["paper"]["margins"],
                               **((settings or {}).get("paper") or {}).get("margins", {})}
    return out


class TemplateService:
    def __init__(self, runtime, clock=utcnow):
        self.rt = runtime
        self.clock = clock
        self.checker = DocumentEnvironment(autoescape=True)

    # --- reading --------------------------------------------------------------------------
    def describe(self, row, snap=None) -> dict:
        snap = snap or self.rt.schema.snapshot()
        table = snap.tables.get(row["table_id"])
        return {"id": row["id"], "table": table.api_name if table else None, "name": row["name"],
                "kind": row["kind"], "description": row["description"],
                "body": row["body"], "docx": ({"sha256": row["docx_sha256"], "name": row["docx_name"]}
                                              if row["docx_sha256"] else None),
                "settings": merged_settings(row["settings"]), "package": row["package"],
                "version": row["version"], "created_at": _ts(row["created_at"]),
                "updated_at": _ts(row["updated_at"]), "deleted_at": _ts(row["deleted_at"])}

    def list(self, actor, table_name: str | None = None, trashed: bool = False, usable_only: bool = False) -> list[dict]:
        """Templates of readable tables: all of them for a designer, else those ``actor`` may use."""
        actor = self.rt.access.require_active(actor)
        snap = self.rt.schema.snapshot()
        stmt = select(cf_templates).order_by(cf_templates.c.name, cf_templates.c.id)
        stmt = stmt.where(cf_templates.c.deleted_at.is_not(None) if trashed else cf_templates.c.deleted_at.is_(None))
        if table_name is not None:
            stmt = stmt.where(cf_templates.c.table_id == snap.table(table_name).id)
        with self.rt.engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        view = self.rt.access.view(actor, snap)
        groups = self._group_names(actor)
        out = []
        for row in rows:
            table = snap.tables.get(row["table_id"])
            if table is None or not table.live or not view.allows(table, "read"):
                continue
            designer = view.admin or view.allows(table, "design")
            usable = view.allows(table, "print") and self._in_groups(view, row, groups)
            if (usable_only and not usable) or not (designer or usable):
                continue
            out.append({**self.describe(row, snap), "usable": usable, "designable": designer})
        return out

    def get(self, actor, template_id, trashed: bool = False) -> dict:
        row = self._row(template_id, trashed=trashed)
        snap = self.rt.schema.snapshot()
        table = snap.tables.get(row["table_id"])
        view = self.rt.access.view(actor, snap)
        if table is None or not view.allows(table, "read"):
            raise TemplateNotFound(template_id)
        if not (view.admin or view.allows(table, "design") or view.allows(table, "print")):
            raise TemplateNotFound(template_id)
        return self.describe(row, snap)

    def for_use(self, actor, template_id, table_name: str | None = None) -> dict:
        """The template ``actor`` is about to print with: the table's print right and the
        template's groups are checked here (the record service checks print again)."""
        row = self._row(template_id)
        snap = self.rt.schema.snapshot()
        table = snap.tables.get(row["table_id"])
        view = self.rt.access.view(actor, snap)
        if table is None or not view.allows(table, "read") or (table_name and table.api_name != table_name):
            raise TemplateNotFound(template_id)
        view.check(table, "print")
        if not self._in_groups(view, row, self._group_names(actor)):
            raise AccessDenied(f"The template {row['name']!r} is for other groups.",
                               {"template": row["id"], "groups": merged_settings(row["settings"])["groups"]})
        return self.describe(row, snap)

    def versions(self, actor, template_id) -> list[dict]:
        row = self._row(template_id, any_state=True)
        self._check_design(actor, row)
        with self.rt.engine.connect() as conn:
            rows = conn.execute(select(cf_template_versions).where(cf_template_versions.c.template_id == row["id"])
                                .order_by(cf_template_versions.c.version.desc())).mappings().all()
        return [{"version": r["version"], "action": r["action"], "at": _ts(r["created_at"]),
                 "user": r["created_by"], "definition": r["definition"]} for r in rows]

    # --- writing --------------------------------------------------------------------------
    def create(self, actor, data: dict, package: str | None = None) -> dict:
        snap = self.rt.schema.snapshot()
        table = snap.table(str(data.get("table") or ""))
        self.rt.access.check_design(actor, table.api_name)
        values = self._checked(data, None, table.id)
        now = self.clock()
        with self.rt.engine.begin() as conn:
            self._check_name(conn, table.id, values["name"], None)
            template_id = conn.execute(insert(cf_templates).values(
                table_id=table.id, package=package, version=1, created_at=now, created_by=actor.id,
                updated_at=now, updated_by=actor.id, **values).returning(cf_templates.c.id)).scalar_one()
            self._version(conn, template_id, 1, "create", actor, now)
        return self.get(actor, template_id)

    def update(self, actor, template_id, changes: dict) -> dict:
        row = self._row(template_id)
        self._check_design(actor, row)
        unknown = set(changes) - set(FIELDS) - {"table", "version", "id", "docx"}
        if unknown:
            raise InvalidDefinition(f"Unknown template key(s): {', '.join(sorted(unknown))}.", {"keys": sorted(unknown)})
        if "version" in changes and changes["version"] is not None and int(changes["version"]) != row["version"]:
            raise StaleVersion(f"The template was changed since you opened it (your version {changes['version']}, "
                               f"now {row['version']}). Reload it, or save your text again.",
                               {"your_version": changes["version"], "current_version": row["version"]})
        merged = {k: row[k] for k in ("name", "kind", "body", "description")}
        merged["settings"] = {**merged_settings(row["settings"]), **(changes.get("settings") or {})}
        merged.update({k: v for k, v in changes.items() if k in ("name", "kind", "body", "description")})
        values = self._checked(merged, row, row["table_id"])
        return self._write(actor, row, values, "update")

    def attach_docx(self, actor, template_id, data: bytes, name: str) -> dict:
        """A DOCX for a ``docx`` template: checked (a real DOCX, no zip bomb, Jinja that parses),
        then kept in the file store; the unknown placeholders are returned as a warning."""
        row = self._row(template_id)
        self._check_design(actor, row)
        if row["kind"] != "docx":
            raise InvalidDefinition("This is an HTML template; a Word file belongs to a template of kind docx.",
                                    {"kind": row["kind"]})
        report = check_docx(data, self.checker)
        stored = self.rt.files.put(actor, io.BytesIO(data), name or "template.docx",
                                   "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        result = self._write(actor, row, {"docx_sha256": stored["sha256"], "docx_name": (name or "template.docx")[:255]},
                             "upload")
        return {**result, "variables": report["variables"]}

    def docx_bytes(self, actor, template_id) -> tuple[bytes, str]:
        row = self._row(template_id)
        self._check_design_or_use(actor, row)
        if not row["docx_sha256"]:
            raise NotFound("This template has no Word file yet; upload one.", {"template": row["id"]})
        path, _ = self.rt.files.open(actor, row["docx_sha256"])
        return path.read_bytes(), row["docx_name"] or "template.docx"

    def delete(self, actor, template_id) -> dict:
        row = self._row(template_id)
        self._check_design(actor, row)
        self._write(actor, row, {"deleted_at": self.clock()}, "delete")
        return {"id": row["id"], "trashed": True}

    def restore(self, actor, template_id) -> dict:
        row = self._row(template_id, trashed=True)
        self._check_design(actor, row)
        with self.rt.engine.connect() as conn:
            self._check_name(conn, row["table_id"], row["name"], row["id"])
        return self._write(actor, row, {"deleted_at": None}, "restore")

    def revert(self, actor, template_id, version: int) -> dict:
        """Save an earlier version's text and settings as the newest version."""
        row = self._row(template_id)
        self._check_design(actor, row)
        old = next((v for v in self.versions(actor, template_id) if v["version"] == int(version)), None)
        if old is None:
            raise NotFound(f"Template #{row['id']} has no version {version}.", {"version": version})
        d = old["definition"]
        values = self._checked({k: d.get(k) for k in ("name", "kind", "body", "description", "settings")}, row,
                               row["table_id"])
        values.update(docx_sha256=d.get("docx_sha256"), docx_name=d.get("docx_name"))
        return self._write(actor, row, values, "revert")

    # --- internals ------------------------------------------------------------------------
    def _write(self, actor, row, values: dict, action: str) -> dict:
        now = self.clock()
        with self.rt.engine.begin() as conn:
            if "name" in values:
                self._check_name(conn, row["table_id"], values["name"], row["id"])
            result = conn.execute(update(cf_templates).where(cf_templates.c.id == row["id"],
                                                             cf_templates.c.version == row["version"])
                                  .values(**values, version=row["version"] + 1, updated_at=now, updated_by=actor.id))
            if result.rowcount != 1:
                raise StaleVersion("The template was changed at the same time; reload it.", {"template": row["id"]})
            self._version(conn, row["id"], row["version"] + 1, action, actor, now)
        trashed = values.get("deleted_at", row["deleted_at"]) is not None
        return self.get(actor, row["id"], trashed=trashed)

    def _version(self, conn, template_id: int, version: int, action: str, actor, now) -> None:
        row = conn.execute(select(cf_templates).where(cf_templates.c.id == template_id)).mappings().one()
        definition = {k: row[k] for k in ("name", "kind", "body", "description", "docx_sha256", "docx_name")}
        definition["settings"] = row["settings"]
        conn.execute(insert(cf_template_versions).values(template_id=template_id, version=version, action=action,
                                                         definition=definition, created_at=now, created_by=actor.id))
        conn.execute(insert(cf_audit).values(
            table_id=row["table_id"], record_id=None, action=f"template_{action}"[:20], user_id=actor.id,
            changes={"template": [row["id"], row["name"]]}, version=version, at=now))

    def _checked(self, data: dict, row, table_id: int) -> dict:
        name = str(data.get("name") or "").strip()
        if not name or len(name) > 200:
            raise InvalidDefinition("A template needs a name of 1 to 200 characters.", {"field": "name"})
        kind = data.get("kind") or (row["kind"] if row is not None else "html")
        if kind not in KINDS:
            raise InvalidDefinition(f"kind is one of {', '.join(KINDS)}, not {kind!r}.", {"field": "kind"})
        if row is not None and kind != row["kind"]:
            raise InvalidDefinition("A template's kind cannot change; make a new template.", {"field": "kind"})
        body = data.get("body")
        if kind == "html":
            if not isinstance(body, str) or not body.strip():
                raise InvalidDefinition("An HTML template needs a body.", {"field": "body"})
            if len(body) > MAX_BODY:
                raise InvalidDefinition(f"The template is longer than {MAX_BODY:,} characters.", {"field": "body"})
            self._syntax(body, "body")
        elif body:
            raise InvalidDefinition("A Word template's text is in its DOCX file; upload it instead of a body.",
                                    {"field": "body"})
        settings = merged_settings(data.get("settings"))
        try:
            jsonschema.validate(settings, SETTINGS_SCHEMA)
        except jsonschema.ValidationError as exc:
            where = "/".join(str(p) for p in exc.absolute_path) or "settings"
            raise InvalidDefinition(f"Template settings are not valid at {where}: {exc.message}.",
                                    {"field": f"settings.{where}"}) from None
        for key in ("filename",):
            self._syntax(settings[key], f"settings.{key}")
        for key in ("to", "subject", "body"):
            self._syntax(settings["email"].get(key) or "", f"settings.email.{key}")
        description = data.get("description")
        return {"name": name, "kind": kind, "body": body if kind == "html" else None,
                "description": str(description)[:2000] if description else None, "settings": settings}

    def _syntax(self, source: str, field: str) -> None:
        try:
            self.checker.compile_source(source)
        except TemplateInvalid as exc:
            exc.details["field"] = field
            if field != "body":
                exc.message = f"{field}: {exc.message}"
            raise

    def _check_name(self, conn, table_id: int, name: str, template_id: int | None) -> None:
        stmt = select(cf_templates.c.id).where(cf_templates.c.table_id == table_id, cf_templates.c.name == name,
                                               cf_templates.c.deleted_at.is_(None))
        if template_id is not None:
            stmt = stmt.where(cf_templates.c.id != template_id)
        if conn.execute(stmt).first() is not None:
            raise NameClash(f"This table already has a template named {name!r}.", {"field": "name", "name": name})

    def _row(self, template_id, trashed: bool = False, any_state: bool = False):
        key = as_id(template_id)
        if key is None:
            raise TemplateNotFound(template_id)
        with self.rt.engine.connect() as conn:
            row = conn.execute(select(cf_templates).where(cf_templates.c.id == key)).mappings().first()
        if row is None or (not any_state and (row["deleted_at"] is not None) != trashed):
            raise TemplateNotFound(template_id)
        return row

    def _check_design(self, actor, row) -> None:
        snap = self.rt.schema.snapshot()
        table = snap.tables.get(row["table_id"])
        if table is None:
            raise TemplateNotFound(row["id"])
        self.rt.access.check_design(actor, table.api_name)

    def _check_design_or_use(self, actor, row) -> None:
        try:
            self._check_design(actor, row)
        except AccessDenied:
            self.for_use(actor, row["id"])

    def _group_names(self, actor) -> set[str]:
        policy = self.rt.access.policy(actor)
        if not policy.groups:
            return set()
        with self.rt.engine.connect() as conn:
            return set(conn.execute(select(cf_groups.c.name).where(cf_groups.c.id.in_(policy.groups))).scalars())

    @staticmethod
    def _in_groups(view, row, groups: set[str]) -> bool:
        wanted = merged_settings(row["settings"])["groups"]
        return view.admin or not wanted or bool(set(wanted) & groups)


def definition_of(template: dict) -> dict[str, Any]:
    """A template in the package shape (``templates/<name>.yaml``)."""
    settings = template["settings"]
    return {"name": template["name"], "table": template["table"], "kind": template["kind"],
            "description": template.get("description"), **{k: settings[k] for k in settings}}


__all__ = ["KINDS", "LANGUAGES", "TemplateNotFound", "TemplateService", "definition_of", "merged_settings"]
