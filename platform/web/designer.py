"""The designers: tables and fields, card layouts, default list views, navigation sections.

These pages need the design right (``Access.check_design``). They render the current
metadata; ``static/js/designer.js``, ``layout-designer.js`` and ``list-designer.js`` make
the changes through the REST API, so a design change follows exactly the API's rules
(retype plans with ``dry_run``, trash instead of delete, formula checks).
"""

from __future__ import annotations

from flask import g, render_template
from flask_babel import lazy_gettext as _l

from cardfile.metamodel.records.query import ListQuery
from cardfile.platform.app.factory import get_runtime

from .cards import card_sections
from .field_dialog import field_entries, formula_names, option_specs
from .views import bp, layouts, views

#: The types the field dialog offers, in the order a business owner thinks of them.
TYPE_ORDER = ("text", "long_text", "integer", "decimal", "money", "percent", "boolean", "date",
              "datetime", "choice", "multi_choice", "email", "phone", "url", "link", "lines",
              "file", "image", "counter", "formula", "user")

#: Translated names of the built-in types (a plugin's type shows its own label).
TYPE_LABELS = {
    "text": _l("Single-line text"), "long_text": _l("Long text"), "integer": _l("Integer"),
    "decimal": _l("Decimal"), "money": _l("Money"), "percent": _l("Percent"), "boolean": _l("Yes / no"),
    "date": _l("Date"), "datetime": _l("Date and time"), "choice": _l("Choice"),
    "multi_choice": _l("Multiple choice"), "email": _l("Email"), "phone": _l("Phone"), "url": _l("URL"),
    "link": _l("Link to a record"), "lines": _l("Line items"), "file": _l("File"), "image": _l("Image"),
    "counter": _l("Counter"), "formula": _l("Formula"), "user": _l("User"),
}


def type_label(ftype) -> str:
    return str(TYPE_LABELS.get(ftype.key, ftype.label))


def field_types(registry) -> list[dict]:
    known = {t.key: t for t in registry.all()}
    ordered = [known[k] for k in TYPE_ORDER if k in known] + [t for k, t in known.items() if k not in TYPE_ORDER]
    return [{"key": t.key, "label": type_label(t), "options": sorted(t.options_schema()["properties"]),
             "specs": option_specs(t)} for t in ordered]


@bp.get("/design")
def design_home():
    rt = get_runtime()
    rt.access.check_design(g.user)
    tables = rt.schema.list_tables(g.user)
    trashed = [t for t in rt.schema.list_tables(g.user, include_trashed=True) if t["trashed"]]
    return render_template("design/home.html", tables=tables, trashed=trashed,
                           sections=layouts().list_sections(g.user))


@bp.get("/design/t/<table>")
def design_table(table):
    rt = get_runtime()
    rt.access.check_design(g.user)
    described = rt.schema.get_table(g.user, table)
    snap = rt.schema.snapshot()
    tables = [{"api_name": t.api_name, "label": t.label} for t in snap.live_tables()]
    tdef = snap.table(described["api_name"])
    fields = field_entries(rt, snap, tdef, [f for f in described["fields"] if not f["trashed"]])
    trashed = [f for f in described["fields"] if f["trashed"]]
    labels = {t.key: type_label(t) for t in rt.registry.all()}
    return render_template("design/table.html", table=described, fields=fields, trashed=trashed,
                           types=field_types(rt.registry), type_labels=labels, tables=tables,
                           names=formula_names(rt, snap, tdef))


@bp.get("/design/t/<table>/layout")
def design_layout(table):
    rt = get_runtime()
    rt.access.check_design(g.user)
    snap = rt.schema.snapshot()
    tdef = snap.table(table)
    got = layouts().get_layout(g.user, tdef.api_name)
    sample = rt.records.list(g.user, tdef.api_name, ListQuery(per_page=1, sort=["-id"]))["records"]
    record = sample[0] if sample else {}
    preview = card_sections(rt.registry, snap, tdef, got["layout"], record)
    fields = [{"name": f.api_name, "label": f.label, "type": f.type} for f in tdef.fields]
    return render_template("design/layout.html", table=tdef, layout=got["layout"], stored=got["stored"],
                           fields=fields, preview=preview, sample=record)


@bp.get("/design/t/<table>/list")
def design_list(table):
    rt = get_runtime()
    rt.access.check_design(g.user)
    tdef = rt.schema.snapshot().table(table)
    default = views().default_view(g.user, tdef.api_name)
    fields = [{"name": f.api_name, "label": f.label, "sortable": bool(rt.registry.get(f.type).sortable)}
              for f in tdef.fields if rt.registry.get(f.type).has_column]
    return render_template("design/list.html", table=tdef, fields=fields, default=default)
