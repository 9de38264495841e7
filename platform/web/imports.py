"""Import in the browser: upload, check what was detected, map the columns, dry run, import;
and the imports history with "Revert this import".

    GET  /t/<table>/import                  the upload form
    POST /t/<table>/import                  keep the file for this user, go to its page
    GET  /t/<table>/import/<token>          detected encoding, delimiter and header row (can
                                            be changed), the first rows, the column mapping
                                            to the table's fields (by label), the mode
    POST /t/<table>/import/<token>          action=check: a dry run listing every problem by
                                            row and column; action=run: the import itself
    GET  /t/<table>/import/<token>/status   a running check or import: rows done (JSON)
    GET  /t/<table>/imports                 the history; POST …/imports/<id>/revert

Reading, converting and writing are ``reports.imports.run_import`` (the import API's
code): all or nothing, journaled for revert. A file larger than ``INLINE_BYTES`` is checked
and imported on a worker thread while the page shows how many rows are done. Uploaded
files wait in ``<data dir>/imports`` under a random token, readable only by the user who
sent them, and are removed after the import (or after ``KEEP_SECONDS``).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import os
import re
import secrets
import threading
import time
from pathlib import Path

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from cardfile.metamodel.errors import CardfileError, NotFound
from cardfile.metamodel.records import batch, journal
from cardfile.metamodel.records.query import ListQuery
from cardfile.platform.app.factory import get_runtime
from cardfile.reports.imports import ImportOptions, open_source, run_import
from cardfile.reports.imports.convert import NOT_IMPORTABLE
from cardfile.reports.imports.run import CURRENCY_PART, ID_PART, merged_mapping

from .formatting import format_timestamp, format_value
from .inputs import locale
from .views import bp

log = logging.getLogger(__name__)

SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")
#: files up to this size are checked and imported while the request waits
INLINE_BYTES = 1024 * 1024
KEEP_SECONDS = 2 * 24 * 3600
#: a job whose progress has not moved for this long is taken as lost (the process ended)
STALE_JOB_SECONDS = 15 * 60
SAMPLE_ROWS = 5
SHOWN_PROBLEMS = 200
ENCODINGS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM)", "cp1251": "Windows-1251", "koi8-r": "KOI8-R",
             "cp866": "DOS-866", "utf-16": "UTF-16", "iso8859-5": "ISO-8859-5", "cp1252": "Windows-1252",
             "cp1250": "Windows-1250", "iso8859-1": "ISO-8859-1"}
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,40}")


def delimiter_names() -> dict:
    return {";": _("; (semicolon)"), ",": _(", (comma)"), "\t": _("Tab")}


# --- the uploaded files ------------------------------------------------------------------
class Staging:
    """Uploaded files waiting for their import, each with a small JSON of its state."""

    def __init__(self, data_dir):
        self.root = Path(data_dir) / "imports"

    def _paths(self, token: str) -> tuple[Path, Path]:
        if not _TOKEN.fullmatch(token or ""):
            raise NotFound(_("This upload is no longer here; upload the file again."), {})
        return self.root / f"{token}.upload", self.root / f"{token}.json"

    def create(self, user_id: int, table: str, filename: str, upload, lines: dict | None = None) -> str:
        """``lines``: lines field -> (file name, upload) of its line items (a CSV export's
        second file)."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.sweep()
        token = secrets.token_urlsafe(18)
        data, meta = self._paths(token)
        upload.save(str(data))
        kept = {}
        for i, (field, (name, part)) in enumerate(sorted((lines or {}).items())):
            target = self.root / f"{token}.lines{i}{Path(name).suffix.lower()}"
            part.save(str(target))
            kept[field] = {"file": target.name, "filename": name}
        self._write(meta, {"user": user_id, "table": table, "filename": filename, "at": time.time(),
                           "size": data.stat().st_size + sum((self.root / k["file"]).stat().st_size
                                                             for k in kept.values()),
                           "lines": kept})
        return token

    def lines_files(self, meta: dict) -> dict:
        """Lines field -> the path of its uploaded line-item file."""
        return {field: self.root / kept["file"] for field, kept in (meta.get("lines") or {}).items()
                if (self.root / kept["file"]).exists()}

    def get(self, token: str, user_id: int, table: str) -> tuple[Path, dict]:
        data, meta_path = self._paths(token)
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
        except (OSError, ValueError):
            raise NotFound(_("This upload is no longer here; upload the file again."), {}) from None
        if meta.get("user") != user_id or meta.get("table") != table or not data.exists():
            raise NotFound(_("This upload is no longer here; upload the file again."), {})
        return data, meta

    def update(self, token: str, **changes) -> None:
        data, meta_path = self._paths(token)
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
        except (OSError, ValueError):
            return
        meta.update(changes)
        self._write(meta_path, meta)

    def remove(self, token: str) -> None:
        for path in self._paths(token):
            path.unlink(missing_ok=True)
        for path in self.root.glob(f"{token}.lines*"):
            path.unlink(missing_ok=True)

    def sweep(self) -> None:
        limit = time.time() - KEEP_SECONDS
        for path in self.root.glob("*.json"):
            try:
                if path.stat().st_mtime < limit:
                    self.remove(path.stem)
            except (OSError, CardfileError):
                continue

    @staticmethod
    def _write(path: Path, meta: dict) -> None:
        tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(meta, ensure_ascii=False, default=str), "utf-8")
        os.replace(tmp, path)


def staging() -> Staging:
    return Staging(get_runtime().settings.data_dir)


# --- pages -------------------------------------------------------------------------------
def _fields(rt, tdef) -> list:
    """The fields a column can go to: readable, writable, importable, in the table's order."""
    readable = rt.access.readable_fields(g.user, tdef)
    return [f for f in readable if not rt.registry.get(f.type).read_only and f.type not in NOT_IMPORTABLE]


def _targets(fields) -> list[tuple[str, str]]:
    """What a column can go to: each field, a link's or user's id (the ``(id)`` column of an
    export) and a money field's currency (its ``(currency)`` column)."""
    out = []
    for f in fields:
        out.append((f.api_name, f.label))
        if f.type in ("link", "user"):
            out.append((f"{f.api_name}.{ID_PART}", _("%(field)s (id)", field=f.label)))
        elif f.type == "money":
            out.append((f"{f.api_name}.{CURRENCY_PART}", _("%(field)s (currency)", field=f.label)))
    return out


def _lines_fields(rt, tdef) -> list:
    """Line-item fields whose lines a CSV import can take from a file of their own."""
    readable = rt.access.readable_fields(g.user, tdef)
    return [f for f in readable if f.type == "lines"]


def _options_from(args, meta: dict) -> dict:
    """Reading settings chosen on the page (or remembered), else detected."""
    chosen = dict(meta.get("settings") or {})
    for key in ("encoding", "delimiter", "header_row", "sheet"):
        if key in args:
            chosen[key] = args.get(key) or None
    if chosen.get("delimiter") == "tab":
        chosen["delimiter"] = "\t"
    if chosen.get("header_row") not in (None, ""):
        try:
            chosen["header_row"] = max(1, int(chosen["header_row"]))
        except ValueError:
            chosen["header_row"] = None
    if chosen.get("encoding"):
        try:
            chosen["encoding"] = codecs.lookup(chosen["encoding"]).name
        except LookupError:
            chosen["encoding"] = None
    return {k: v for k, v in chosen.items() if v not in (None, "")}


def _sample(source) -> list[list]:
    rows = []
    for _number, cells in source.rows():
        rows.append([_cell_text(c) for c in cells[:len(source.headers)]])
        if len(rows) >= SAMPLE_ROWS:
            break
    return rows


def _cell_text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value)


def _mapping_from(form, headers: list[str], targets: set) -> dict:
    mapping = {}
    for i, header in enumerate(headers):
        chosen = form.get(f"col-{i}", "")
        if header in mapping and not chosen:
            continue  # a repeated header: its first column decides
        mapping[header] = chosen if chosen in targets else None
    return mapping


def _job_state(meta: dict) -> dict | None:
    job = meta.get("job")
    if job and job.get("state") == "running" and time.time() - job.get("moved", 0) > STALE_JOB_SECONDS:
        job = {**job, "state": "failed", "error": _("The import stopped without finishing; nothing was written. "
                                                     "Try again.")}
    return job


def _problems(result: dict) -> list[dict]:
    return result.get("errors") or []


@bp.get("/t/<table>/import")
def import_start(table):
    rt = get_runtime()
    tdef = rt.schema.snapshot().table(table)
    rt.access.check_table(g.user, tdef, "create")
    return render_template("import.html", table=tdef, step="upload", fields=_fields(rt, tdef),
                           lines_fields=_lines_fields(rt, tdef))


@bp.post("/t/<table>/import")
def import_upload(table):
    rt = get_runtime()
    tdef = rt.schema.snapshot().table(table)
    rt.access.check_table(g.user, tdef, "create")
    upload = request.files.get("file")
    filename = Path((upload.filename if upload else "") or "").name
    if upload is None or not filename:
        return render_template("import.html", table=tdef, step="upload", fields=_fields(rt, tdef),
                               lines_fields=_lines_fields(rt, tdef), error=_("Choose a CSV or Excel (XLSX) file.")), 400
    if not filename.lower().endswith(SUFFIXES):
        return render_template("import.html", table=tdef, step="upload", fields=_fields(rt, tdef),
                               lines_fields=_lines_fields(rt, tdef), error=_("“%(name)s” is not a CSV or Excel (XLSX) file.", name=filename)), 400
    lines = {}
    for f in _lines_fields(rt, tdef):
        part = request.files.get(f"lines-{f.api_name}")
        name = Path((part.filename if part else "") or "").name
        if not name:
            continue
        if not name.lower().endswith(SUFFIXES):
            return render_template("import.html", table=tdef, step="upload", fields=_fields(rt, tdef),
                                   lines_fields=_lines_fields(rt, tdef),
                                   error=_("“%(name)s” is not a CSV or Excel (XLSX) file.", name=name)), 400
        lines[f.api_name] = (name, part)
    token = staging().create(g.user.id, tdef.api_name, filename, upload, lines)
    return redirect(url_for("web.import_file", table=tdef.api_name, token=token))


@bp.route("/t/<table>/import/<token>", methods=["GET", "POST"])
def import_file(table, token):
    rt = get_runtime()
    tdef = rt.schema.snapshot().table(table)
    rt.access.check_table(g.user, tdef, "create")
    store = staging()
    path, meta = store.get(token, g.user.id, tdef.api_name)
    fields = _fields(rt, tdef)
    by_name = {f.api_name: f for f in fields}
    targets = _targets(fields)
    lines_files = store.lines_files(meta)
    settings = _options_from(request.form if request.method == "POST" else request.args, meta)
    page = {"table": tdef, "token": token, "meta": meta, "fields": fields, "step": "map", "targets": targets,
            "lines_files": meta.get("lines") or {}, "encodings": ENCODINGS, "delimiters": delimiter_names(), "settings": settings}
    try:
        source = open_source(path, meta["filename"], settings)
    except CardfileError as exc:
        return render_template("import.html", **page, source=None, error=exc.message), 200
    detected = source.describe()
    page.update(source=detected, sample=_sample_or_error(source), headers=source.headers)
    job = _job_state(meta)
    if request.method == "GET" and job is not None and job.get("settings") == settings:
        if job["state"] == "running":
            return render_template("import.html", **{**page, "step": "progress"}, job=job)
        if job["state"] == "done" and job.get("kind") == "run" and job["result"].get("written"):
            return _finished(store, token, tdef, job["result"])
        mapping = job.get("mapping") or {}
        page.update(mapping=mapping, mode=job.get("mode", "create"), key=job.get("key") or "")
        if job["state"] == "failed":
            return render_template("import.html", **page, error=job.get("error"))
        return _render_result(rt, tdef, page, job["result"], job.get("kind"))
    if request.method == "GET":
        page.update(mapping=merged_mapping(source.headers, by_name, None), mode="create", key="")
        return render_template("import.html", **page)

    # POST: check (a dry run) or run the import
    mapping = _mapping_from(request.form, source.headers, {value for value, _label in targets})
    mode = request.form.get("mode") if request.form.get("mode") in ("create", "update", "upsert") else "create"
    key = request.form.get("key") if request.form.get("key") in by_name else None
    kind = "run" if request.form.get("action") == "run" else "check"
    page.update(mapping=mapping, mode=mode, key=key or "")
    options = ImportOptions(mapping=mapping, mode=mode, key=key if mode != "create" else None, locale=str(locale()),
                            dry_run=kind == "check", **{k: settings.get(k) for k in
                                                        ("encoding", "delimiter", "header_row", "sheet")})
    job = {"kind": kind, "state": "running", "done": 0, "total": (meta.get("job") or {}).get("total"),
           "moved": time.time(), "settings": settings, "mapping": mapping, "mode": mode, "key": key}
    if meta.get("size", 0) > INLINE_BYTES:  # on a worker: the page shows the rows done
        store.update(token, settings=settings, job=job)
        _start(rt, g.user, tdef.api_name, token, path, meta["filename"], options, job, lines_files)
    else:
        try:
            result = run_import(rt, g.user, tdef.api_name, path, meta["filename"], options,
                                lines_files=lines_files)
        except CardfileError as exc:
            return render_template("import.html", **page, error=exc.message), 422
        store.update(token, settings=settings, job={**job, "state": "done", "done": result["rows"],
                                                    "total": result["rows"], "result": result})
    return redirect(url_for("web.import_file", table=tdef.api_name, token=token, **_settings_args(settings)))


def _sample_or_error(source) -> list[list]:
    try:
        return _sample(source)
    except CardfileError:
        return []


def _settings_args(settings: dict) -> dict:
    args = dict(settings)
    if args.get("delimiter") == "\t":
        args["delimiter"] = "tab"
    return args


def _start(rt, user, table: str, token: str, path, filename: str, options, job: dict,
           lines_files: dict) -> None:
    store = Staging(rt.settings.data_dir)

    def progress(rows: int) -> None:
        store.update(token, job={**job, "done": rows, "moved": time.time()})

    def work() -> None:
        try:
            result = run_import(rt, user, table, path, filename, options, progress=progress,
                                lines_files=lines_files)
        except CardfileError as exc:
            store.update(token, job={**job, "state": "failed", "error": exc.message})
        except Exception:  # noqa: BLE001 - logged; the page says it failed
            log.exception("Import of %s into %s failed", filename, table)
            store.update(token, job={**job, "state": "failed",
                                     "error": "Something went wrong on the server; the error was logged."})
        else:
            store.update(token, job={**job, "state": "done", "done": result["rows"], "total": result["rows"],
                                     "moved": time.time(), "result": result})

    threading.Thread(target=work, name=f"import-{token[:6]}", daemon=True).start()


def _finished(store: Staging, token: str, tdef, result: dict):
    store.remove(token)
    flash(_("Imported %(rows)s rows: %(created)s records created, %(updated)s updated.",
            rows=result["rows"], created=result["created"], updated=result["updated"]), "success")
    return redirect(url_for("web.import_history", table=tdef.api_name, done=result.get("import_id")))


def _render_result(rt, tdef, page: dict, result: dict, kind: str | None):
    problems = _problems(result)
    labels = {f.api_name: f.label for f in tdef.fields}
    shown = [{**p, "field_label": labels.get(p.get("field"), p.get("field") or ""),
              "value_text": "" if p.get("value") is None else str(p["value"])} for p in problems[:SHOWN_PROBLEMS]]
    mapped = [by for by in (result.get("mapping") or {}).values() if by]
    preview_fields = [tdef.field(n) for n in mapped if tdef.field(n) is not None]
    failed = {p["row"] for p in problems}
    rows = [p for p in result.get("preview") or [] if p["row"] not in failed]  # rows that will be stored
    names = _link_names(rt, tdef, preview_fields, rows)
    preview = [{"row": p["row"], "action": p["action"], "id": p.get("id"),
                "cells": [format_value(rt.registry, f, _shown_value(names, f, p["values"].get(f.api_name)))
                          for f in preview_fields]}
               for p in rows]
    return render_template("import.html", **{**page, "step": "result"}, result=result, kind=kind,
                           problems=shown, more_problems=max(0, result["error_count"] - len(shown)),
                           preview_rows=preview, preview_fields=preview_fields)


def _shown_value(names: dict, field, value):
    return names.get((field.api_name, value), value) if field.type == "link" and isinstance(value, int) else value


def _link_names(rt, tdef, fields, rows) -> dict:
    """(link field, id) -> the linked record as a list shows it, for the preview's rows."""
    names = {}
    snap = rt.schema.snapshot()
    for f in fields:
        if f.type != "link":
            continue
        ids = sorted({p["values"].get(f.api_name) for p in rows} - {None}, key=str)
        ids = [i for i in ids if isinstance(i, int)]
        if not ids:
            continue
        target = snap.table_by_id(int(f.options["target_id"]))
        shown = target.display_field
        found = rt.records.list(g.user, target.api_name, ListQuery(
            filters=[("id", "in", ",".join(map(str, ids)))], per_page=len(ids)))["records"]
        for record in found:
            text = format_value(rt.registry, shown, record.get(shown.api_name)) if shown else ""
            names[(f.api_name, record["id"])] = {"id": record["id"], "display": text or f"#{record['id']}"}
    return names


@bp.get("/t/<table>/import/<token>/status")
def import_status(table, token):
    rt = get_runtime()
    tdef = rt.schema.snapshot().table(table)
    _path, meta = staging().get(token, g.user.id, tdef.api_name)
    job = _job_state(meta) or {}
    return {"state": job.get("state"), "done": job.get("done", 0), "total": job.get("total")}


@bp.get("/t/<table>/import/<token>/problems.csv")
def import_problems(table, token):
    """Every problem of the last check, as a CSV the user can open next to the file."""
    rt = get_runtime()
    tdef = rt.schema.snapshot().table(table)
    _path, meta = staging().get(token, g.user.id, tdef.api_name)
    problems = _problems(((meta.get("job") or {}).get("result")) or {})
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Row"), _("Column"), _("Value"), _("Problem")])
    for p in problems:
        writer.writerow([p["row"], p.get("column") or "", "" if p.get("value") is None else p["value"], p["reason"]])
    response = Response("\ufeff" + buffer.getvalue(), mimetype="text/csv; charset=utf-8")
    response.headers.set("Content-Disposition", "attachment", filename=f"{Path(meta['filename']).stem}-problems.csv")
    return response


# --- history and revert ------------------------------------------------------------------
@bp.get("/t/<table>/imports")
def import_history(table):
    rt = get_runtime()
    tdef = rt.schema.snapshot().table(table)
    entries = journal.list_imports(rt.records, g.user, tdef.api_name)
    for e in entries:
        e["when"] = format_timestamp(e["created_at"])
        e["reverted"] = format_timestamp(e["reverted_at"]) if e["reverted_at"] else ""
    force = request.args.get("force", type=int)
    return render_template("imports.html", table=tdef, entries=entries, force=force,
                           done=request.args.get("done", type=int),
                           can_import=rt.access.view(g.user).allows(tdef, "create"))


@bp.post("/t/<table>/imports/<int:import_id>/revert")
def import_revert(table, import_id):
    rt = get_runtime()
    tdef = rt.schema.snapshot().table(table)
    force = request.form.get("force") == "1"
    try:
        done = rt.records.revert_import(g.user, import_id, force=force)
    except batch.ImportNotRevertible as exc:
        changed = (exc.details or {}).get("records") or []
        if changed and not force:
            flash(_("%(count)s record(s) of import #%(id)s were changed after it: reverting puts them back as they "
                    "were before the import, and the changes are lost. Revert anyway?",
                    count=len(changed), id=import_id), "error")
            return redirect(url_for("web.import_history", table=tdef.api_name, force=import_id))
        flash(_("Import #%(id)s was already reverted.", id=import_id), "error")
        return redirect(url_for("web.import_history", table=tdef.api_name))
    except CardfileError as exc:
        flash(exc.message, "error")
        return redirect(url_for("web.import_history", table=tdef.api_name))
    flash(_("Import #%(id)s was reverted: %(trashed)s records moved to the trash, %(restored)s restored.",
            id=import_id, trashed=done["trashed"], restored=done["restored"]), "success")
    return redirect(url_for("web.import_history", table=tdef.api_name))
