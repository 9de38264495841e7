"""The home page: per table the number of records and what is due today or overdue, and a
search across every table the user may read.

Everything is asked of ``RecordService.list`` as the signed-in user, so row rules and
hidden fields hold: a manager's tile counts their clients, a search never matches a field
hidden from them.

What "due" means is read from the table's fields: a date (or date-time) field whose name
says it is a deadline (``due_date``, ``valid_until``, ``deadline``…), or on a table with a
status a planned moment (``starts_at``); a record is open while its status is not one that
ends it (done, completed, paid, cancelled…). A table without such a field has no due line.
The tiles link to the list with the same condition (``where=``).
"""

from __future__ import annotations

import re

from flask import g, url_for
from flask_babel import gettext as _

from cardfile.metamodel.errors import CardfileError
from cardfile.metamodel.formulas.filters import where_filter
from cardfile.metamodel.records.query import ListQuery
from cardfile.platform.app.factory import get_runtime

from .formatting import format_value

#: Names of deadline fields; on a table with a status, planned moments count too.
DEADLINE = re.compile(r"due|deadline|until|expir|end|срок|оплатить")
PLANNED = re.compile(r"start|plan|when|remind|начал|план")
#: Status values (or labels) that end a record: it is then never due.
CLOSED = {"done", "completed", "complete", "closed", "cancelled", "canceled", "paid", "lost", "terminated",
          "archived", "finished", "resolved", "rejected", "выполнено", "завершено", "оплачен", "отменён",
          "отменено", "закрыт", "закрыто"}
SEARCH_ROWS = 5
MAX_SEARCH = 200


def _status(table):
    for f in table.fields:
        if f.api_name == "status" or f.label.casefold() in ("status", "статус", "состояние"):
            if f.options.get("choices") or f.type == "formula":
                return f
    return None


def due_field(table):
    """(date field, status field or None), or None when the table has nothing due."""
    status = _status(table)
    dates = [f for f in table.fields if f.type in ("date", "datetime")]
    for f in dates:
        if DEADLINE.search(f.api_name) or DEADLINE.search(f.label.casefold()):
            return f, status
    if status is not None:
        for f in dates:
            if PLANNED.search(f.api_name) or PLANNED.search(f.label.casefold()):
                return f, status
    return None


def due_conditions(table) -> dict[str, str] | None:
    """``{"today": expression, "overdue": expression}`` for the table, or None."""
    found = due_field(table)
    if found is None:
        return None
    field, status = found
    day = f"date({field.api_name})" if field.type == "datetime" else field.api_name
    open_ = ""
    if status is not None:
        closed = [c["value"] for c in status.options.get("choices") or []
                  if str(c["value"]).casefold() in CLOSED or str(c.get("label") or "").casefold() in CLOSED]
        for value in closed:
            open_ += f' and {status.api_name} != "{_text(value)}"'
    return {"today": f"{day} == today(){open_}", "overdue": f"{day} < today(){open_}", "field": field}


def _text(value) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"')


def tiles(sections: list[dict]) -> dict[str, dict]:
    """api name -> {"count", "due": [{"key", "label", "count", "url"}]} for the home tiles."""
    rt = get_runtime()
    snap = rt.access.view(g.user).snapshot()  # only what the user may read names a due field
    out: dict[str, dict] = {}
    for section in sections:
        for t in section["tables"]:
            name = t["api_name"]
            table = snap.table(name)
            info = {"count": _count(rt, name, None), "due": []}
            conditions = due_conditions(table)
            if conditions is not None:
                for key, label in (("today", _("due today")), ("overdue", _("overdue"))):
                    number = _count(rt, name, conditions[key])
                    if number:
                        info["due"].append({"key": key, "label": label, "count": number,
                                            "url": url_for("web.table_list", table=name, where=conditions[key])})
                info["due_field"] = conditions["field"].label
            out[name] = info
    return out


def _count(rt, table: str, expression: str | None) -> int | None:
    try:
        where = where_filter(expression, rt.registry, me=g.user) if expression else None
        return rt.records.list(g.user, table, ListQuery(per_page=1, where=where))["total"]
    except CardfileError:  # a table the user may list but not count this way: no number
        return None


def search(sections: list[dict], text: str) -> list[dict]:
    """The first records of every readable table matching ``text`` (the list's quick search)."""
    text = " ".join(text.split())[:MAX_SEARCH]
    if not text:
        return []
    rt = get_runtime()
    snap = rt.access.view(g.user).snapshot()
    found = []
    for section in sections:
        for t in section["tables"]:
            table = snap.table(t["api_name"])
            try:
                result = rt.records.list(g.user, table.api_name, ListQuery(search=text, per_page=SEARCH_ROWS))
            except CardfileError:
                continue
            if not result["total"]:
                continue
            shown = table.display_field
            found.append({"table": table, "total": result["total"],
                          "all_url": url_for("web.table_list", table=table.api_name, q=text),
                          "rows": [{"id": r["id"], "url": url_for("web.record_card", table=table.api_name,
                                                                  record_id=r["id"]),
                                    "text": (format_value(rt.registry, shown, r.get(shown.api_name))
                                             if shown is not None else "") or f"#{r['id']}"}
                                   for r in result["records"]]})
    return found
