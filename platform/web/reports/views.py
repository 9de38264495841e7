"""``/reports``: saved reports, and the designer for a new or a saved one."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for

from cardfile.metamodel.errors import AccessDenied
from cardfile.platform.app.factory import get_runtime
from cardfile.platform.app.sessions import session_actor
from cardfile.reports.exports import FORMATS
from cardfile.reports.service import ReportService

from ..i18n import local, local_report
from ..views import navigation

bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates",
               static_folder="static", static_url_path="/static")

#: Field types that can be measured by sum and average (the others: count, min, max).
NUMERIC = ("integer", "decimal", "money", "percent")
FORMULA_KINDS = {"NUMBER": "decimal", "MONEY": "money", "TEXT": "text", "BOOL": "boolean",
                 "DATE": "date", "DATETIME": "datetime"}
NOT_GROUPABLE = ("lines", "file", "image", "long_text", "multi_choice")


@bp.before_request
def _require_login():
    g.user = session_actor()
    if g.user is None:
        return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
    return None


@bp.get("/")
def report_list():
    reports = [local_report(r) for r in ReportService(get_runtime()).list(g.user)]
    return render_template("reports/list.html", reports=reports, tables=_tables(),
                           nav_sections=navigation(g.user))


@bp.get("/new")
def report_new():
    tables = _tables()
    table = request.args.get("table") or (tables[0]["api_name"] if tables else None)
    report = {"id": None, "name": "", "table": table, "shared": False, "definition": {
        "rows": [], "columns": [], "values": [{"agg": "count"}]}}
    return _designer(report, tables)


@bp.get("/<int:report_id>")
def report_open(report_id):
    report = ReportService(get_runtime()).get(g.user, report_id)
    return _designer(report, _tables())


def _designer(report: dict, tables: list[dict]):
    config = {"report": report, "tables": tables, "formats": [f for f in FORMATS if f in ("xlsx", "csv")],
              "list_url": url_for("web.table_list", table="__table__")}
    return render_template("reports/designer.html", report=report, config=config,
                           nav_sections=navigation(g.user))


def _tables() -> list[dict]:
    """Readable tables with the fields a report may use: own fields, then one hop through links."""
    rt = get_runtime()
    snap = local(rt.schema.snapshot())  # labels in the user's language
    out = []
    for table in snap.live_tables(include_children=True):
        try:
            fields = _local(snap, rt.access.readable_fields(g.user, table))
            rt.access.check_table(g.user, table, "read")
        except AccessDenied:  # an unreadable table is simply not offered
            continue
        own = [_field(f, f.api_name, f.label) for f in fields if f.type not in NOT_GROUPABLE]
        hops = []
        for f in fields:
            if f.type == "link":
                target = snap.table_by_id(int(f.options["target_id"]))
                for tf in _local(snap, rt.access.readable_fields(g.user, target)):
                    if tf.type not in NOT_GROUPABLE + ("link",):
                        hops.append(_field(tf, f"{f.api_name}.{tf.api_name}", f"{f.label} › {tf.label}"))
        if table.is_child:
            parent = snap.parent_of(table)[0]
            for pf in _local(snap, rt.access.readable_fields(g.user, parent)):
                if pf.type not in NOT_GROUPABLE:
                    hops.append(_field(pf, f"parent.{pf.api_name}", f"{parent.label} › {pf.label}"))
        label = f"{snap.parent_of(table)[0].label} › {table.label}" if table.is_child else table.label
        out.append({"api_name": table.api_name, "label": label, "fields": own + hops[:80]})
    return out


def _local(snap, fields: list) -> list:
    """The same fields, labelled in the user's language."""
    return [snap.tables[f.table_id].field_by_id(f.id) or f for f in fields]


def _field(f, path: str, label: str) -> dict:
    kind = f.type
    if kind == "formula":
        kind = FORMULA_KINDS.get((f.options.get("result") or {}).get("kind", "TEXT"), "text")
    return {"path": path, "label": label, "type": kind, "numeric": kind in NUMERIC,
            "date": kind in ("date", "datetime")}
