"""What the administration pages show, in the owner's words: the permission rows of a group
(tables and fields by label, row rules as choices), what "reassign" can move, users and
security-log entries with names and dates in the reader's format.

Pure helpers over the catalog snapshot and the services' answers; the routes are in
``views.py``.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _, lazy_gettext as _l

from cardfile.metamodel.permissions import ACTIONS

from ..formatting import format_timestamp

ACTION_LABELS = {"read": _l("Read"), "create": _l("Create"), "update": _l("Change"),
                 "delete": _l("Delete"), "export": _l("Export"), "print": _l("Print"),
                 "design": _l("Design"), "mail": _l("Send mail"),
                 "purge": _l("Empty trash")}
ACTION_HELP = {"read": _l("see the records"), "create": _l("add records"),
               "update": _l("change records"), "delete": _l("move records to the trash"),
               "export": _l("export lists"), "print": _l("print documents"),
               "design": _l("change the table's fields"), "mail": _l("send mail from records"),
               "purge": _l("delete records from the trash for good")}
#: ``rows`` of a condition that says "this user field is the user", shown as a choice.
USER_RULE = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*==\s*me\s*$")
EVENTS = {
    "login": _l("Signed in"), "login_failed": _l("Sign-in failed"),
    "login_locked": _l("Sign-in locked"), "logout": _l("Signed out"),
    "password_changed": _l("Password changed"), "sessions_ended": _l("Signed out everywhere"),
    "user_created": _l("User created"), "user_changed": _l("User changed"),
    "user_enabled": _l("User enabled"), "user_disabled": _l("User disabled"),
    "token_created": _l("API token created"), "token_revoked": _l("API token revoked"),
    "group_created": _l("Group created"), "group_changed": _l("Group changed"),
    "group_deleted": _l("Group deleted"), "membership_changed": _l("Members changed"),
    "permission_changed": _l("Permission changed"), "owner_reassigned": _l("Records reassigned"),
    "view_as_started": _l("View as started"), "view_as_stopped": _l("View as stopped"),
}


def actions() -> list[dict]:
    return [{"key": a, "label": str(ACTION_LABELS.get(a, a)), "help": str(ACTION_HELP.get(a, ""))} for a in ACTIONS]


def user_fields(table) -> list:
    return [f for f in table.fields if f.type == "user"]


def permission_rows(snap, group: dict) -> list[dict]:
    """One row per table (``*`` first): its grant as the form shows it."""
    by_table = {p["table"]: p for p in group["permissions"]}
    rows = [_row(None, by_table.get("*"))]
    rows += [_row(t, by_table.get(t.api_name), snap) for t in snap.live_tables()]
    return rows


def _row(table, grant: dict | None, snap=None) -> dict:
    rows = grant["rows"] if grant else "all"
    mode, condition = (rows, "") if isinstance(rows, str) else ("condition", rows.get("condition", ""))
    found = USER_RULE.match(condition) if mode == "condition" else None
    people = user_fields(table) if table is not None else []
    if found and any(f.api_name == found.group(1) for f in people):
        mode = f"user:{found.group(1)}"
    row = {"table": table.api_name if table is not None else "*",
           "label": table.label if table is not None else _("Every table (also tables added later)"),
           "granted": grant is not None, "actions": set(grant["actions"]) if grant else set(),
           "mode": mode, "condition": condition,
           "modes": [("all", _("All records")), ("own", _("Own records (the user is the owner)")),
                     ("group", _("Records owned by members of the user's groups"))]
           + [(f"user:{f.api_name}", _("Records where %(field)s is the user", field=f.label)) for f in people]
           + ([("condition", _("Records matching a condition…"))] if table is not None else []),
           "fields": [], "names": []}
    if table is not None:
        modes = (grant or {}).get("fields") or {}
        for f in table.fields:
            if f.type == "lines":
                child = snap.child_table(f)
                row["fields"] += [{"name": f"{f.api_name}.{c.api_name}", "label": f"{f.label} › {c.label}",
                                   "mode": modes.get(f"{f.api_name}.{c.api_name}", "")} for c in child.fields]
            else:
                row["fields"].append({"name": f.api_name, "label": f.label, "mode": modes.get(f.api_name, "")})
        row["hidden"] = sum(1 for f in row["fields"] if f["mode"] == "hidden")
        row["read_only"] = sum(1 for f in row["fields"] if f["mode"] == "read_only")
        row["names"] = [(f.label, f.api_name) for f in table.fields if f.type != "lines"] + [
            (_("Owner"), "owner"), (_("Created by"), "created_by"), (_("Created at"), "created_at"),
            (_("Changed at"), "updated_at")]
    return row


def rows_spec(form) -> str | dict:
    """The ``rows`` of a permission from the form: a choice, a user field, or a condition."""
    mode = form.get("rows", "all")
    if mode.startswith("user:") and re.fullmatch(r"[a-z][a-z0-9_]*", mode[5:]):
        return {"condition": f"{mode[5:]} == me"}
    if mode == "condition":
        return {"condition": form.get("condition", "")}
    return mode if mode in ("all", "own", "group") else "all"


def reassign_choices(snap) -> list[dict]:
    """What "reassign" can move, grouped by table: ``*:owner`` is every table's owner."""
    groups = [{"label": _("Every table"), "options": [("*:owner", _("Owner of the records, in every table"))]}]
    for t in snap.live_tables():
        options = [(f"{t.api_name}:owner", _("%(table)s · Owner", table=t.label))]
        options += [(f"{t.api_name}:{f.api_name}", _("%(table)s · %(field)s", table=t.label, field=f.label))
                    for f in user_fields(t)]
        groups.append({"label": t.label, "options": options})
    return groups


def user_rows(users: list[dict], groups_of, sessions: dict) -> list[dict]:
    for user in users:
        user["groups"] = [g["name"] for g in groups_of(user["id"])]
        user["sessions"] = sessions.get(user["id"], 0)
        user["last_login"] = format_timestamp(user.get("last_login_at")) or _("never")
        user["display"] = user.get("name") or user["username"]
    return users


def log_rows(entries: list[dict], names: dict[int, str]) -> list[dict]:
    """Security-log entries with dates in the reader's format and people by name."""
    rows = []
    for e in entries:
        details = e.get("details") or {}
        rows.append({"at": format_timestamp(e["at"]), "event": str(EVENTS.get(e["event"], e["event"])),
                     "user": e.get("username") or names.get(e.get("user_id"), "") or "",
                     "by": names.get(e.get("actor_id"), "") if e.get("actor_id") else "",
                     "source": e.get("source") or "",
                     "details": [(k, ", ".join(f"{a}: {b}" for a, b in v.items()) if isinstance(v, dict)
                                  else ", ".join(map(str, v)) if isinstance(v, list) else v)
                                 for k, v in details.items() if v not in (None, "", [], {})]})
    return rows
