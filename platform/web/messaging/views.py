"""Pages: the inbox and the bell, the reminder-rule designer, mailings, the mail admin page,
and the public unsubscribe page.

Forms post to these views (with the CSRF token) and the views call the same services as
the API; a domain error is shown on the page it came from. The unsubscribe page needs no
sign-in: its signed token is the permission (and stands in for the CSRF token).
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from cardfile.metamodel.errors import AccessDenied, CardfileError
from cardfile.metamodel.jobs import Jobs
from cardfile.metamodel.mail import MailOutbox
from cardfile.metamodel.mail.mailings import MailingService
from cardfile.metamodel.mail.unsubscribe import read_token, unsubscribe
from cardfile.metamodel.reminders import Inbox, RuleService
from cardfile.metamodel.reminders.rules import user_path_problem
from cardfile.metamodel.reminders.timing import zone
from cardfile.platform.app.factory import get_runtime
from cardfile.platform.app.sessions import session_actor

from ..formatting import format_timestamp
from ..views import navigation, views

bp = Blueprint("messaging", __name__, template_folder="templates", static_folder="static",
               static_url_path="/messaging-static")

PUBLIC = {"messaging.unsubscribe_page", "messaging.unsubscribe_confirm", "messaging.static"}
UTC = dt.timezone.utc


@bp.before_request
def _require_login():
    if request.endpoint in PUBLIC:
        return None
    g.user = session_actor()
    if g.user is None:
        return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
    return None


@bp.app_context_processor
def _bell():
    """The unread count for the bell in the top bar (every page of a signed-in user)."""
    if request.blueprint == "api" or request.endpoint in PUBLIC:
        return {}
    user = session_actor()
    if user is None:
        return {}
    try:
        rt = get_runtime()
        view = rt.access.view(user)
        tables = view.snap.live_tables()
        links = {"rules": any(view.allows(t, "design") for t in tables),
                 "mailings": any(view.allows(t, "mail") for t in tables), "admin": view.admin}
        return {"inbox_unread": Inbox(rt).unread_count(user), "messaging_links": links}
    except CardfileError:
        return {}


def _page(template: str, **context):
    return render_template(template, nav_sections=navigation(g.user), **context)


def _back(target: str, action, message: str):
    try:
        action()
    except CardfileError as exc:
        if exc.code in ("ACCESS_DENIED", "AUTHENTICATION_FAILED"):
            raise
        flash(exc.message, "error")
        return redirect(target)
    flash(message, "success")
    return redirect(target)


def _local(iso: str | None) -> str:
    return format_timestamp(iso) if iso else ""


# --- inbox ---------------------------------------------------------------------------------
@bp.get("/inbox")
def inbox_page():
    show = request.args.get("show", "unread")
    if show not in ("unread", "snoozed", "all"):
        show = "unread"
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 10**6 else 1
    result = Inbox(get_runtime()).list(g.user, show, page, 50)
    for item in result["items"]:
        item["when"] = _local(item["due_at"] or item["created_at"])
        item["snoozed_text"] = _local(item["snoozed_until"])
    return _page("messaging/inbox.html", result=result, show=show, page=page)


@bp.post("/inbox/<int:item_id>")
def inbox_action(item_id):
    inbox = Inbox(get_runtime())
    action = request.form.get("action")
    target = url_for("messaging.inbox_page", show=request.form.get("show", "unread"))
    if action == "read":
        return _back(target, lambda: inbox.mark(g.user, item_id, True), _("Marked as read."))
    if action == "unread":
        return _back(target, lambda: inbox.mark(g.user, item_id, False), _("Marked as unread."))
    if action == "open":
        item = inbox.mark(g.user, item_id, True)
        if item["table"] and item["record"]:
            return redirect(url_for("web.record_card", table=item["table"], record_id=item["record"]))
        return redirect(target)
    if action == "snooze":
        until = _snooze_until(request.form.get("until", ""))
        if until is None:
            flash(_("Choose how long to snooze."), "error")
            return redirect(target)
        return _back(target, lambda: inbox.snooze(g.user, item_id, until),
                     _("Snoozed until %(when)s.", when=format_timestamp(until)))
    abort(400)


@bp.post("/inbox/read-all")
def inbox_read_all():
    return _back(url_for("messaging.inbox_page"), lambda: Inbox(get_runtime()).mark_all_read(g.user),
                 _("Everything is marked as read."))


def _snooze_until(choice: str) -> dt.datetime | None:
    now = dt.datetime.now(UTC)
    tz = zone(get_runtime().settings.timezone)
    local = now.astimezone(tz)
    if choice == "1h":
        return now + dt.timedelta(hours=1)
    if choice == "3h":
        return now + dt.timedelta(hours=3)
    if choice == "tomorrow":
        return (local + dt.timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0).astimezone(UTC)
    if choice == "week":
        return (local + dt.timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0).astimezone(UTC)
    return None


# --- reminder rules ------------------------------------------------------------------------
def _designable_tables():
    rt = get_runtime()
    view = rt.access.view(g.user)
    return [t for t in view.snap.live_tables() if view.allows(t, "design")]


@bp.get("/reminders")
def rules_page():
    rules = RuleService(get_runtime()).list(g.user)
    return _page("messaging/rules.html", rules=rules, tables=_designable_tables())


@bp.get("/reminders/new")
def rule_new():
    tables = _designable_tables()
    if not tables:
        raise AccessDenied(_("You may not design any table."), {"action": "design"})
    name = request.args.get("table")
    table = next((t for t in tables if t.api_name == name), tables[0])
    rule = {"id": None, "table": table.api_name, "name": "", "kind": "reminder", "field": None,
            "offset": {"amount": 15, "unit": "minutes", "direction": "before"}, "at": "09:00", "repeat": "none",
            "condition": "", "recipients": [{"type": "owner"}], "message": "{record}", "channels": ["inbox"],
            "enabled": True, "problem": None}
    return _designer(rule, table, tables)


@bp.get("/reminders/<int:rule_id>")
def rule_page(rule_id):
    service = RuleService(get_runtime())
    rule = service.get(g.user, rule_id)
    tables = _designable_tables()
    table = get_runtime().schema.snapshot().table(rule["table"])
    log = service.log(g.user, rule_id) if rule["designable"] else []
    for entry in log:
        entry["when"] = _local(entry["at"])
    return _designer(rule, table, tables, log)


def _designer(rule: dict, table, tables, log=None, status: int = 200):
    rt = get_runtime()
    snap = rt.schema.snapshot()
    dates = [f for f in table.fields if f.type in ("date", "datetime")]
    users = _user_paths(snap, table)
    groups = [g_["name"] for g_ in (rt.groups.list(g.user) if rt.access.is_admin(g.user)
                                    else rt.groups.groups_of(g.user.id))]
    chosen = {(r["type"], r.get("field") or r.get("group")) for r in rule["recipients"]}
    names = [f.api_name for f in table.fields if f.type not in ("lines", "file", "image")]
    return render_template("messaging/rule.html", rule=rule, table=table, tables=tables, dates=dates, users=users,
                           groups=groups, chosen=chosen, names=names, log=log or [],
                           check_url=url_for("api.check_formula", table=table.api_name),
                           nav_sections=navigation(g.user)), status


def _user_paths(snap, table) -> list[tuple[str, str]]:
    """User fields of the table and of the tables it links to (one link away)."""
    out = [(f.api_name, f.label) for f in table.fields if f.type == "user"]
    for f in table.fields:
        if f.type == "link":
            target = snap.tables.get(int(f.options["target_id"]))
            if target is not None and target.live:
                out += [(f"{f.api_name}.{u.api_name}", f"{f.label} › {u.label}") for u in target.fields
                        if u.type == "user" and not user_path_problem(snap, table, f"{f.api_name}.{u.api_name}")]
    return out


def _rule_from_form(form) -> dict:
    recipients = []
    for value in form.getlist("recipient"):
        kind, _sep, name = value.partition(":")
        if kind == "owner":
            recipients.append({"type": "owner"})
        elif kind in ("field", "group"):
            recipients.append({"type": kind, kind: name})
    amount = form.get("offset_amount", "0").strip()
    spec = {"table": form.get("table"), "name": form.get("name", ""), "kind": form.get("kind", "reminder"),
            "offset": {"amount": int(amount) if amount.isdigit() else -1, "unit": form.get("offset_unit", "minutes"),
                       "direction": form.get("offset_direction", "before")},
            "at": form.get("at") or "09:00", "repeat": form.get("repeat", "none"),
            "condition": form.get("condition", "").strip() or None, "recipients": recipients,
            "message": form.get("message", ""), "channels": form.getlist("channel"),
            "enabled": form.get("enabled") == "1"}
    if spec["kind"] == "reminder":
        spec["field"] = form.get("field")
    return spec


@bp.post("/reminders/save")
def rule_save():
    rt = get_runtime()
    service = RuleService(rt)
    spec = _rule_from_form(request.form)
    rule_id = request.form.get("id")
    try:
        if rule_id:
            saved = service.update(g.user, rule_id, {k: v for k, v in spec.items() if k != "table"})
        else:
            saved = service.create(g.user, spec)
    except CardfileError as exc:
        if exc.code in ("ACCESS_DENIED", "AUTHENTICATION_FAILED"):
            raise
        flash(exc.message, "error")
        tables = _designable_tables()
        table = rt.schema.snapshot().table(spec["table"])
        rule = {**spec, "id": int(rule_id) if rule_id and rule_id.isdigit() else None, "problem": None,
                "field": spec.get("field"), "condition": spec["condition"] or ""}
        if rule["offset"]["amount"] < 0:
            rule["offset"]["amount"] = 0
        return _designer(rule, table, tables, status=422)
    flash(_("Reminder rule saved."), "success")
    return redirect(url_for("messaging.rule_page", rule_id=saved["id"]))


@bp.post("/reminders/<int:rule_id>/delete")
def rule_delete(rule_id):
    return _back(url_for("messaging.rules_page"), lambda: RuleService(get_runtime()).delete(g.user, rule_id),
                 _("The rule is in the trash."))


# --- mailings --------------------------------------------------------------------------------
def _mailings() -> MailingService:
    return MailingService(get_runtime(), current_app.config["SECRET_KEY"])


def _mail_tables():
    view = get_runtime().access.view(g.user)
    return [t for t in view.snap.live_tables() if view.allows(t, "mail") and view.allows(t, "read")]


@bp.get("/mailings")
def mailings_page():
    return _page("messaging/mailings.html", mailings=_mailings().list(g.user), tables=_mail_tables())


@bp.get("/mailings/new")
def mailing_new():
    tables = _mail_tables()
    if not tables:
        raise AccessDenied(_("You may not send mailings to any table."), {"action": "mail"})
    name = request.args.get("table")
    table = next((t for t in tables if t.api_name == name), tables[0])
    email = next((f.api_name for f in table.fields if f.type == "email"), "")
    mailing = {"id": None, "table": table.api_name, "name": "", "email_field": email,
               "audience": {"filters": [], "where": None, "search": None}, "subject": "", "text": "", "html": None,
               "state": "draft", "counts": {}, "problem": None}
    return _mailing_page(mailing, table)


@bp.get("/mailings/<int:mailing_id>")
def mailing_page(mailing_id):
    service = _mailings()
    mailing = service.get(g.user, mailing_id)
    table = get_runtime().schema.snapshot().table(mailing["table"])
    preview = None
    record = request.args.get("record")
    try:
        preview = service.preview(g.user, mailing_id, record_id=int(record) if record and record.isdigit() else None)
    except CardfileError as exc:
        flash(exc.message, "error")
    state = request.args.get("state") or None
    log = service.recipients(g.user, mailing_id, state if state in ("pending", "queued", "sent", "skipped", "failed",
                                                                    "unknown") else None)
    return _mailing_page(mailing, table, preview, log, state)


def _mailing_page(mailing: dict, table, preview=None, log=None, state=None, status: int = 200):
    rt = get_runtime()
    table_views = views().list_views(g.user, table.api_name)
    fields = [f for f in rt.access.readable_fields(g.user, table) if f.type in ("email", "text")]
    names = [f.api_name for f in rt.access.readable_fields(g.user, table)
             if f.type not in ("lines", "file", "image")]
    return render_template("messaging/mailing.html", mailing=mailing, table=table, tables=_mail_tables(),
                           table_views=table_views, email_fields=fields, names=names, preview=preview, log=log,
                           state=state, nav_sections=navigation(g.user)), status


def _mailing_from_form(form) -> dict:
    audience: dict
    if form.get("audience") == "view" and form.get("view", "").isdigit():
        audience = {"view": int(form["view"])}
    else:
        audience = {"filters": [], "where": form.get("where", "").strip() or None,
                    "search": form.get("search", "").strip() or None}
    return {"table": form.get("table"), "name": form.get("name", ""), "email_field": form.get("email_field", ""),
            "audience": audience, "subject": form.get("subject", ""), "text": form.get("text", ""),
            "html": form.get("html", "").strip() or None}


@bp.post("/mailings/save")
def mailing_save():
    rt = get_runtime()
    service = _mailings()
    spec = _mailing_from_form(request.form)
    mailing_id = request.form.get("id")
    try:
        if mailing_id:
            saved = service.update(g.user, mailing_id, {k: v for k, v in spec.items() if k != "table"})
        else:
            saved = service.create(g.user, spec)
    except CardfileError as exc:
        if exc.code in ("ACCESS_DENIED", "AUTHENTICATION_FAILED"):
            raise
        flash(exc.message, "error")
        table = rt.schema.snapshot().table(spec["table"])
        mailing = {**spec, "id": int(mailing_id) if mailing_id and mailing_id.isdigit() else None, "state": "draft",
                   "counts": {}, "problem": None}
        return _mailing_page(mailing, table, status=422)
    flash(_("Mailing saved."), "success")
    return redirect(url_for("messaging.mailing_page", mailing_id=saved["id"]))


@bp.post("/mailings/<int:mailing_id>/<any(start, pause, resume, cancel, delete):action>")
def mailing_action(mailing_id, action):
    service = _mailings()
    done = {"start": _("The mailing is on its way: the scheduler sends it at the set rate."),
            "pause": _("Paused."), "resume": _("Sending again."), "cancel": _("Cancelled."),
            "delete": _("The mailing is in the trash.")}[action]
    target = url_for("messaging.mailings_page") if action == "delete" else \
        url_for("messaging.mailing_page", mailing_id=mailing_id)
    return _back(target, lambda: getattr(service, action)(g.user, mailing_id), done)


# --- mail administration -----------------------------------------------------------------------
@bp.get("/admin/mail")
def mail_admin():
    rt = get_runtime()
    outbox = MailOutbox(rt)
    rt.access.check_admin(g.user)
    state = request.args.get("state") or "problems"
    messages = outbox.list(g.user, state if state in ("problems", "queued", "sent", "failed", "unknown") else None)
    for m in messages["messages"]:
        m["when"] = _local(m["sent_at"] or m["created_at"])
        m["next"] = _local(m["next_attempt_at"])
    jobs = Jobs(rt, current_app.config["SECRET_KEY"]).status()
    for job in jobs:
        job["when"] = _local(job["last_finished_at"])
        job["error"] = (job["last_error"] or "").strip().splitlines()[-1:] or None
    return _page("messaging/mail_admin.html", settings=outbox.settings().public(), counts=outbox.counts(g.user),
                 messages=messages, state=state, jobs=jobs, scheduler=rt.settings.scheduler,
                 timezone=rt.settings.timezone)


@bp.post("/admin/mail/settings")
def mail_settings_save():
    form = request.form
    changes = {k: form.get(k, "") for k in ("host", "port", "security", "username", "password", "from_addr",
                                            "per_minute", "base_url")}
    return _back(url_for("messaging.mail_admin"), lambda: MailOutbox(get_runtime()).save_settings(g.user, changes),
                 _("Mail settings saved."))


@bp.post("/admin/mail/test")
def mail_test():
    result = MailOutbox(get_runtime()).send_test(g.user, request.form.get("to", ""))
    if result["ok"]:
        flash(_("A test message went to %(to)s.", to=result["to"]), "success")
    else:
        flash(_("The test message was not sent: %(error)s", error=result["error"]), "error")
    return redirect(url_for("messaging.mail_admin"))


@bp.post("/admin/mail/<int:message_id>/resend")
def mail_resend(message_id):
    return _back(url_for("messaging.mail_admin"), lambda: MailOutbox(get_runtime()).resend(g.user, message_id),
                 _("Queued again."))


# --- unsubscribe (public) -------------------------------------------------------------------------
@bp.get("/unsubscribe/<token>")
def unsubscribe_page(token):
    valid = read_token(current_app.config["SECRET_KEY"], token) is not None
    return render_template("messaging/unsubscribe.html", token=token, valid=valid, done=False), 200 if valid else 404


@bp.post("/unsubscribe/<token>")
def unsubscribe_confirm(token):
    """The button on the page, and mail programs' one-click unsubscribe (RFC 8058)."""
    ok = unsubscribe(get_runtime().engine, current_app.config["SECRET_KEY"], token, dt.datetime.now(UTC))
    return render_template("messaging/unsubscribe.html", token=token, valid=ok, done=ok), 200 if ok else 404
