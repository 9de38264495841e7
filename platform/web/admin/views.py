"""The ``/admin`` pages (administrators only) and the app-wide "view as" guard."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from cardfile.metamodel.errors import AccessDenied, CardfileError
from cardfile.metamodel.permissions import ACTIONS
from cardfile.platform.app.factory import get_runtime
from cardfile.platform.app.sessions import (VIEW_AS_KEY, session_actor, signed_in_user, start_session,
                                            start_view_as, stop_view_as)

from .pages import EVENTS, actions, log_rows, permission_rows, reassign_choices, rows_spec, user_rows

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates",
               static_folder="static", static_url_path="/static")

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
#: Allowed while previewing: stopping the preview and signing out.
PREVIEW_EXEMPT = {"admin.view_as_stop", "web.logout", "admin.static"}


@bp.before_app_request
def refuse_writes_while_previewing():
    """A browser session that previews ("view as") writes nothing, whatever else the request
    carries: an ``Authorization`` header, even a valid token, does not lift the preview."""
    if request.method in SAFE_METHODS or VIEW_AS_KEY not in session or request.endpoint in PREVIEW_EXEMPT:
        return None
    actor = session_actor()
    if actor is not None and actor.previewed_by is not None:
        raise AccessDenied("This is a read-only preview (view as); stop it to make changes.", {"preview": True})
    return None


@bp.app_context_processor
def _preview_context():
    if VIEW_AS_KEY not in session:
        return {"preview": None}
    actor = session_actor()
    if actor is None or actor.previewed_by is None:
        return {"preview": None}
    wanted = session.get(VIEW_AS_KEY) or {}
    label = actor.display
    if wanted.get("kind") == "group":
        groups = [g for g in get_runtime().groups.list(_admin()) if g["id"] == wanted.get("id")]
        label = _("group %(name)s", name=groups[0]["name"]) if groups else _("a deleted group")
    return {"preview": {"label": label}}


def _admin():
    """The signed-in administrator (also while previewing), or 403."""
    user = signed_in_user()
    if user is None:
        abort(redirect(url_for("web.login", next=request.full_path.rstrip("?"))))
    if not get_runtime().access.is_admin(user):
        raise AccessDenied("Only administrators may do this.", {"action": "admin"})
    return user


def _done(message: str, target: str):
    flash(message, "success")
    return redirect(target)


def _run(action, target: str, message: str):
    """Call a service; a domain error is shown on the page it came from."""
    try:
        action()
    except CardfileError as exc:
        if exc.code in ("ACCESS_DENIED", "AUTHENTICATION_FAILED"):
            raise
        flash(exc.message, "error")
        return redirect(target)
    return _done(message, target)


# --- users ------------------------------------------------------------------------------
@bp.get("/")
def home():
    admin = _admin()
    rt = get_runtime()
    users = user_rows(rt.users.list(), rt.groups.groups_of, rt.users.session_counts())
    return render_template("admin/home.html", users=users, groups=rt.groups.list(admin), me=admin,
                           reassign=reassign_choices(rt.schema.snapshot()))


@bp.post("/users")
def user_create():
    admin = _admin()
    f = request.form
    rt = get_runtime()

    def create():
        user = rt.users.create(f.get("username", ""), f.get("password", ""), name=f.get("name", ""),
                               email=f.get("email") or None, actor=admin)
        for group in f.getlist("groups"):
            rt.groups.add_member(admin, int(group) if group.isdigit() else group, user.username)

    return _run(create, url_for("admin.home"), _("User created."))


@bp.post("/users/<username>/active")
def user_active(username):
    admin = _admin()
    active = request.form.get("active") == "1"
    return _run(lambda: get_runtime().users.set_active(username, active, admin), url_for("admin.home"),
                _("User enabled.") if active else _("User disabled; their sessions and tokens stopped working."))


@bp.post("/users/<username>/password")
def user_password(username):
    admin = _admin()

    def change():
        get_runtime().users.set_password(username, request.form.get("password", ""), actor=admin)
        if username == admin.username:
            start_session(admin)  # every session of theirs ended; this browser continues in a new one

    return _run(change, url_for("admin.home"), _("Password changed; the user's sessions were signed out."))


@bp.post("/users/<username>/sessions/end")
def user_sign_out(username):
    """Sign out everywhere: every browser session of the user ends at once."""
    admin = _admin()
    rt = get_runtime()

    return _run(lambda: rt.users.end_sessions(username, admin), url_for("admin.home"),
                _("%(user)s was signed out everywhere.", user=username))


@bp.post("/users/<username>/groups")
def user_groups(username):
    admin = _admin()
    rt = get_runtime()
    wanted = {int(g) for g in request.form.getlist("groups") if g.isdigit()}

    def save():
        for group in rt.groups.list(admin):
            member = any(m["username"] == username for m in group["members"])
            if group["id"] in wanted and not member:
                rt.groups.add_member(admin, group["id"], username)
            elif group["id"] not in wanted and member:
                rt.groups.remove_member(admin, group["id"], username)

    return _run(save, url_for("admin.home"), _("Groups saved."))


# --- groups and permissions -----------------------------------------------------------
@bp.post("/groups")
def group_create():
    admin = _admin()
    f = request.form
    return _run(lambda: get_runtime().groups.create(admin, f.get("name", ""), description=f.get("description", ""),
                                                    is_admin=f.get("is_admin") == "1"),
                url_for("admin.home"), _("Group created."))


@bp.get("/groups/<int:group_id>")
def group_page(group_id):
    admin = _admin()
    rt = get_runtime()
    group = rt.groups.get(admin, group_id)
    snap = rt.schema.snapshot()
    members = {m["username"] for m in group["members"]}
    users = [{**u, "member": u["username"] in members, "display": u.get("name") or u["username"]}
             for u in rt.users.list()]
    return render_template("admin/group.html", group=group, rows=permission_rows(snap, group),
                           actions=actions(), users=users,
                           sections=sorted({t.section for t in snap.live_tables() if t.section}))


@bp.post("/groups/<int:group_id>")
def group_save(group_id):
    admin = _admin()
    f = request.form
    sections = None if f.get("all_sections") == "1" else f.getlist("sections")
    return _run(lambda: get_runtime().groups.update(admin, group_id, {
        "name": f.get("name", ""), "description": f.get("description", ""),
        "is_admin": f.get("is_admin") == "1", "sections": sections}),
        url_for("admin.group_page", group_id=group_id), _("Group saved."))


@bp.post("/groups/<int:group_id>/delete")
def group_delete(group_id):
    admin = _admin()
    return _run(lambda: get_runtime().groups.delete(admin, group_id), url_for("admin.home"), _("Group deleted."))


@bp.post("/groups/<int:group_id>/members")
def group_members(group_id):
    admin = _admin()
    wanted = [u for u in request.form.getlist("members") if u]
    return _run(lambda: get_runtime().groups.set_members(admin, group_id, wanted),
                url_for("admin.group_page", group_id=group_id), _("Members saved."))


@bp.post("/groups/<int:group_id>/permissions/<table>")
def permission_save(group_id, table):
    admin = _admin()
    f = request.form
    target = url_for("admin.group_page", group_id=group_id) + f"#perm-{table.strip('*') or 'all'}"
    granted = [a for a in ACTIONS if f.get(f"action_{a}") == "1"]
    if not granted:
        return _run(lambda: _remove_if_present(admin, group_id, table), target, _("Permission removed."))
    spec = {"actions": granted, "rows": rows_spec(f),
            "fields": {name[len("field_"):]: mode for name, mode in f.items()
                       if name.startswith("field_") and mode in ("hidden", "read_only")}}
    if table == "*":
        spec = {"actions": granted, "rows": spec["rows"] if isinstance(spec["rows"], str) else "all"}
    label = table if table == "*" else get_runtime().schema.snapshot().table(table).label
    return _run(lambda: get_runtime().groups.set_permission(admin, group_id, table, spec), target,
                _("Permission on %(table)s saved.", table=label if table != "*" else _("every table")))


def _remove_if_present(admin, group_id, table):
    rt = get_runtime()
    if any(p["table"] == table for p in rt.groups.get(admin, group_id)["permissions"]):
        rt.groups.remove_permission(admin, group_id, table)


# --- reassign owner, security log -----------------------------------------------------
@bp.post("/reassign-owner")
def reassign_owner():
    """Move records from one user to another: the owner in every table or one, or a user
    field of one table (``what`` is ``table:field``, ``*:owner`` for every table)."""
    admin = _admin()
    f = request.form
    table, _sep, field = (f.get("what") or "*:owner").partition(":")
    target = url_for("admin.home") + "#reassign"

    def move():
        result = get_runtime().records.reassign_owner(admin, f.get("from", ""), f.get("to", ""),
                                                      tables=None if table == "*" else [table],
                                                      field=field or None)
        flash(_("%(num)s record(s) moved from %(from)s to %(to)s.", num=result["total"], **{
            "from": result["from"], "to": result["to"]}), "success")

    try:
        move()
    except CardfileError as exc:
        if exc.code in ("ACCESS_DENIED", "AUTHENTICATION_FAILED"):
            raise
        flash(exc.message, "error")
    return redirect(target)


@bp.get("/security-log")
def security_log():
    admin = _admin()
    event = request.args.get("event") or None
    rt = get_runtime()
    names = {u["id"]: u.get("name") or u["username"] for u in rt.users.list()}
    entries = log_rows(rt.security.list(admin, event=event, limit=200), names)
    return render_template("admin/security_log.html", entries=entries, event=event,
                           events=sorted(((k, str(v)) for k, v in EVENTS.items()), key=lambda kv: kv[1]))


# --- view as --------------------------------------------------------------------------
@bp.post("/view-as")
def view_as_start():
    admin = _admin()
    rt = get_runtime()
    kind = request.form.get("kind")
    target = request.form.get("id", "")
    if kind not in ("user", "group") or not target.isdigit():
        flash(_("Choose a user or a group to view as."), "error")
        return redirect(url_for("admin.home"))
    if kind == "group":
        rt.groups.get(admin, int(target))  # 404 for an unknown group
    elif rt.users.get(int(target)) is None:
        abort(404)
    start_view_as(kind, int(target))
    rt.security.record("view_as_started", actor_id=admin.id, details={"kind": kind, "id": int(target)})
    return redirect(url_for("web.index"))


@bp.post("/view-as/stop")
def view_as_stop():
    user = signed_in_user()
    stop_view_as()
    if user is not None:
        get_runtime().security.record("view_as_stopped", actor_id=user.id, details={})
    return redirect(url_for("admin.home") if user is not None and user.is_admin else url_for("web.index"))
