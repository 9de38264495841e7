"""``/documents``: print templates, batches, the copies kept with a record.

    GET  /documents/                          templates of every table the user designs
    GET  /documents/new, POST /documents/new  a new template (table, name, kind)
    GET  /documents/<id>                      the editor
    POST /documents/t/<table>/print/<template>   print a list's selected records, or all
                                              that its filters match (the list's query
                                              string), on a worker -> the run's page
    GET  /documents/runs/<token>              progress; ``…/status`` (JSON), ``…/file``
    GET  /documents/t/<table>/<id>/copies     documents kept with a record and sent from it

``print_templates(table)`` is given to every page: the templates the user may print the
table with, for the Print menus that card.html and list.html include.
"""

from __future__ import annotations

import logging
import threading

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from cardfile.metamodel.errors import AccessDenied, CardfileError
from cardfile.platform.app.factory import get_runtime
from cardfile.platform.app.sessions import session_actor
from cardfile.reports.documents import FORMATS
from cardfile.reports.documents.batch import PrintJobs, print_many, select_ids
from cardfile.reports.documents.company import IMAGES, TEXTS
from cardfile.reports.documents.store import LANGUAGES, PAPER_SIZES

from ..i18n import local

log = logging.getLogger(__name__)

bp = Blueprint("documents", __name__, url_prefix="/documents", template_folder="templates",
               static_folder="static", static_url_path="/static")

FILE_CHUNK = 256 * 1024


def documents():
    from cardfile.platform.api.document_routes import documents as service

    return service()


@bp.before_request
def _require_login():
    g.user = session_actor()
    if g.user is None:
        return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
    return None


@bp.app_context_processor
def _print_menus():
    return {"print_templates": print_templates}


@bp.context_processor
def _shell():
    from ..views import navigation, report_links

    user = session_actor()
    return {"nav_sections": navigation(user), "nav_reports": report_links(user)} if user is not None else {}


def print_templates(table_name: str) -> list[dict]:
    """The templates the signed-in user may print ``table_name`` with (none when signed out)."""
    user = session_actor()
    if user is None:
        return []
    cache = g.setdefault("print_templates", {})
    if table_name not in cache:
        try:
            cache[table_name] = [t for t in documents().templates.list(user, table_name, usable_only=True)]
        except CardfileError:
            cache[table_name] = []
    return cache[table_name]


# --- the templates and the editor ------------------------------------------------------------
@bp.get("/")
def template_list():
    rt = get_runtime()
    snap = local(rt.schema.snapshot())
    view = rt.access.view(g.user, snap)
    tables = [t for t in snap.live_tables() if view.admin or view.allows(t, "design")]
    if not tables:
        raise AccessDenied(_("Designing print templates needs the design right on a table."), {})
    templates = documents().templates.list(g.user)
    by_table = {t.api_name: {"table": t, "templates": []} for t in tables}
    for template in templates:
        if template["table"] in by_table and template["designable"]:
            by_table[template["table"]]["templates"].append(template)
    trashed = [t for t in documents().templates.list(g.user, trashed=True) if t["designable"]]
    return render_template("documents/list.html", groups=list(by_table.values()), trashed=trashed,
                           chosen=request.args.get("table"))


@bp.route("/new", methods=["GET", "POST"])
def template_new():
    rt = get_runtime()
    snap = local(rt.schema.snapshot())
    view = rt.access.view(g.user, snap)
    tables = [t for t in snap.live_tables() if view.admin or view.allows(t, "design")]
    form = {"table": request.values.get("table") or "", "name": request.values.get("name") or "",
            "kind": request.values.get("kind") if request.values.get("kind") in ("html", "docx") else "html"}
    error = None
    if request.method == "POST":
        body = STARTER_HTML if form["kind"] == "html" else None
        try:
            created = documents().templates.create(g.user, {**form, "body": body})
        except CardfileError as exc:
            error = exc.message
        else:
            return redirect(url_for("documents.template_edit", template_id=created["id"]))
    return render_template("documents/new.html", tables=tables, form=form, error=error), 422 if error else 200


@bp.post("/<int:template_id>/restore")
def template_restore(template_id):
    restored = documents().templates.restore(g.user, template_id)
    flash(_("Restored."), "success")
    return redirect(url_for("documents.template_edit", template_id=restored["id"]))


@bp.get("/<int:template_id>")
def template_edit(template_id):
    rt = get_runtime()
    docs = documents()
    template = docs.templates.get(g.user, template_id)
    rt.access.check_design(g.user, template["table"])
    snap = local(rt.schema.snapshot())
    table = snap.table(template["table"])
    config = {
        "template": template, "table": table.api_name, "table_label": table.label,
        "display": table.display_field.api_name if table.display_field is not None else None,
        "api": {"template": url_for("api.get_template", template_id=template_id),
                "check": url_for("api.check_template"), "preview": url_for("api.preview_template"),
                "variables": url_for("api.template_variables", table=table.api_name),
                "records": url_for("api.list_records", table=table.api_name),
                "docx": url_for("api.upload_template_docx", template_id=template_id),
                "versions": url_for("api.template_versions", template_id=template_id),
                "revert": url_for("api.revert_template", template_id=template_id)},
        "list_url": url_for("documents.template_list", table=table.api_name),
        "strings": editor_strings(),
    }
    return render_template("documents/editor.html", template=template, table=table, config=config,
                           template_languages=LANGUAGES, papers=PAPER_SIZES, groups=_group_names(rt))


def _group_names(rt) -> list[str]:
    try:
        return sorted(g_["name"] for g_ in rt.groups.list(g.user))
    except CardfileError:
        return []


def editor_strings() -> dict:
    return {"saved": _("Saved."), "saving": _("Saving…"), "checking": _("Checking…"),
            "syntax_ok": _("No mistakes found."), "unknown": _("Names this table does not have:"),
            "line": _("line"), "column": _("column"), "stale": _("Someone saved this template since you opened it."),
            "no_records": _("The table has no records to preview with."),
            "uploaded": _("The Word file was checked and saved."), "unknown_placeholders":
                _("Placeholders this table does not know (check their spelling):"),
            "hidden": _("Not readable for you, printed as a placeholder:"), "confirm_delete":
                _("Move this template to the trash?"), "deleted": _("Moved to the trash."),
            "reverted": _("Version %(version)s is current again.", version="{version}"),
            "error": _("Something went wrong. Please try again.")}


STARTER_HTML = """<!doctype html>
<html>
<head>
<style>
  body { font-size: 10pt; }
  h1 { font-size: 16pt; }
  table.items { width: 100%; border-collapse: collapse; }
  table.items th, table.items td { border: 1px solid #000; padding: 1mm 2mm; }
</style>
</head>
<body>
<h1>{{ template.name }} #{{ id }}</h1>
<p>{{ company.name }}</p>
<p>{{ today }}</p>
</body>
</html>
"""


# --- printing a list -------------------------------------------------------------------------
@bp.post("/t/<table>/print/<int:template_id>")
def print_list(table, template_id):
    """``scope=selected`` with ``ids`` (comma-separated), or ``scope=all`` with the list's query
    string (its filters, search, expression and sort): printed on a worker."""
    from ..lists import _state, list_query

    rt = get_runtime()
    docs = documents()
    template = docs.templates.for_use(g.user, template_id, table)
    fmt = request.form.get("format") or ("docx" if template["kind"] == "docx" else "pdf")
    if fmt not in FORMATS:
        abort(400)
    docs.check_format(template, fmt)
    snap = local(rt.access.view(g.user).snapshot())
    tdef = snap.table(table)
    if request.form.get("scope") == "selected":
        ids = [part for part in (request.form.get("ids") or "").split(",") if part.strip()]
        chosen = select_ids(rt, g.user, table, ids=ids)
    else:
        state = _state(tdef, rt.registry)
        query, _read, problems = list_query(rt, snap, tdef, state)
        if problems:
            raise CardfileError(next(iter(problems.values())), {"filters": list(problems.values())})
        query.sort = query.sort or ["id"]
        chosen = select_ids(rt, g.user, table, query=query)
    jobs = PrintJobs(rt.settings.data_dir)
    token = jobs.create(g.user.id, table, template, fmt, len(chosen))
    user = g.user

    def work() -> None:
        try:
            jobs.run(token, lambda out, progress: print_many(docs, user, table, template["id"], chosen, fmt, out,
                                                             progress))
        except Exception:  # noqa: BLE001 - the page says it failed
            log.exception("Printing %s records of %s with template %s failed", len(chosen), table, template["id"])

    threading.Thread(target=work, name=f"print-{token[:6]}", daemon=True).start()
    return redirect(url_for("documents.print_run", token=token))


@bp.get("/runs/<token>")
def print_run(token):
    rt = get_runtime()
    run = PrintJobs(rt.settings.data_dir).get(token, g.user.id)
    snap = local(rt.schema.snapshot())
    table = snap.table(run["table"])
    return render_template("documents/run.html", run=run, token=token, table=table,
                           config={"status": url_for("documents.print_run_status", token=token),
                                   "file": url_for("documents.print_run_file", token=token),
                                   "strings": {"done": _("Done: %(count)s records.", count="{count}"),
                                               "progress": _("%(done)s of %(total)s records", done="{done}",
                                                             total="{total}")}})


@bp.get("/runs/<token>/status")
def print_run_status(token):
    run = PrintJobs(get_runtime().settings.data_dir).get(token, g.user.id)
    return {k: run.get(k) for k in ("state", "done", "total", "error", "filename", "size")}


@bp.get("/runs/<token>/file")
def print_run_file(token):
    path, run = PrintJobs(get_runtime().settings.data_dir).output(token, g.user.id)

    def chunks():
        with open(path, "rb") as handle:
            while chunk := handle.read(FILE_CHUNK):
                yield chunk

    response = Response(chunks(), mimetype=run["media_type"].split(";")[0])
    response.headers.set("Content-Disposition", "attachment", filename=run["filename"])
    response.headers["Content-Length"] = str(path.stat().st_size)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- copies kept with a record ----------------------------------------------------------------
@bp.get("/t/<table>/<int:record_id>/copies")
def record_copies(table, record_id):
    rt = get_runtime()
    copies = documents().copies.list(g.user, table, record_id)
    snap = local(rt.schema.snapshot())
    tdef = snap.table(table)
    record = rt.records.get(g.user, table, record_id)
    display = tdef.display_field
    title = str(record.get(display.api_name) or f"#{record_id}") if display is not None else f"#{record_id}"
    return render_template("documents/copies.html", table=tdef, record=record, title=title, copies=copies)


# --- the company's details --------------------------------------------------------------------
@bp.get("/company")
def company():
    rt = get_runtime()
    rt.access.check_admin(g.user)
    return render_template("documents/company.html", details=documents().company.get(g.user), texts=TEXTS,
                           images=IMAGES, config={"api": url_for("api.update_company"),
                                                  "upload": url_for("api.upload_file"),
                                                  "strings": {"saved": _("Saved.")}})
