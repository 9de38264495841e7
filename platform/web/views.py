"""The web blueprint: sign-in and out, the shell (navigation, language), the home page.

The route modules ``lists``, ``cards`` and ``designer`` attach their pages to ``bp``.
Every page gets a Content-Security-Policy without inline scripts; state-changing forms
carry the CSRF token (Flask-WTF), and the scripts send it as ``X-CSRF-Token``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale, gettext as _

from cardfile.metamodel.errors import AuthenticationFailed, BadQuery, InvalidDefinition, ValidationFailed
from cardfile.metamodel.layouts import LayoutService
from cardfile.metamodel.security_log import TooManyAttempts
from cardfile.metamodel.users import MIN_PASSWORD
from cardfile.metamodel.views import ViewService
from cardfile.platform.app.factory import get_runtime
from cardfile.platform.app.inputs import check_params
from cardfile.platform.app.sessions import end_session, session_actor, start_session
from cardfile.reports.service import ReportService

from .forms import LanguageForm, LoginForm, LogoutForm, PasswordForm
from .i18n import LANGUAGES, SESSION_KEY, local, local_report, local_section

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")

PUBLIC_ENDPOINTS = {"web.login", "web.static"}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'")


def layouts() -> LayoutService:
    rt = get_runtime()
    return LayoutService(rt.engine, rt.catalog, rt.access)


def views() -> ViewService:
    rt = get_runtime()
    return ViewService(rt.engine, rt.catalog, rt.access)


@bp.before_request
def _require_login():
    check_params(request.args, request.form)
    g.user = session_actor()
    if request.endpoint in PUBLIC_ENDPOINTS or g.user is not None:
        return None
    return redirect(url_for("web.login", next=request.full_path.rstrip("?")))


@bp.after_app_request
def _content_security_policy(response):
    if response.mimetype == "text/html" and not request.path.startswith("/api/"):
        response.headers["Content-Security-Policy"] = CSP
    return response


@bp.app_context_processor
def _page_context():
    user = session_actor()
    context = {"user": user, "logout_form": LogoutForm() if user else None, "get_locale": get_locale,
               "languages": LANGUAGES, "language_form": LanguageForm() if user else None, "allowed": allowed}
    if user is not None and request.blueprint in ("web", "admin"):
        context["nav_sections"] = navigation(user)
    if user is not None and request.blueprint in ("web", "reports", "admin"):
        context["nav_reports"] = report_links(user)
    return context


def allowed(table_name: str, action: str) -> bool:
    """Whether the signed-in user may take ``action`` on the table's records (which buttons
    a page shows; the record service checks again on every request)."""
    if "allowed_actions" not in g:
        g.allowed_actions = {}
    if table_name not in g.allowed_actions:
        g.allowed_actions[table_name] = get_runtime().access.actions(session_actor(), table_name)
    return action in g.allowed_actions[table_name]


#: Saved reports listed in the navigation (the rest are on the reports page).
NAV_REPORTS = 15


def report_links(user) -> list[dict]:
    """The saved reports ``user`` may open (own and shared, on readable tables), by name."""
    if "nav_reports" not in g:
        reports = ReportService(get_runtime()).list(user)
        g.nav_reports = [{"id": r["id"], "name": local_report(r)["name"]} for r in reports[:NAV_REPORTS]]
    return g.nav_reports


def navigation(user) -> list[dict]:
    """Sections with their tables (labels), hidden ones only for administrators."""
    if "nav_sections" in g:
        return g.nav_sections
    rt = get_runtime()
    snap = local(rt.schema.snapshot())  # labels and sections in the user's language
    readable = {t["api_name"] for t in rt.schema.list_tables(user)}
    sections = []
    for s in layouts().list_sections(user):
        if s["hidden"] and not user.is_admin:
            continue
        tables = [snap.table(name) for name in s["tables"] if name in readable]
        sections.append({"name": local_section(snap, s["name"]) or _("Other tables"), "hidden": s["hidden"],
                         "tables": [{"api_name": t.api_name, "label": t.label} for t in tables]})
    g.nav_sections = [s for s in sections if s["tables"]]
    return g.nav_sections


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        try:
            actor = get_runtime().users.authenticate(form.username.data, form.password.data,
                                                     source=request.remote_addr)
        except AuthenticationFailed as exc:
            error, status = exc.message, 401
        except TooManyAttempts as exc:  # the same words whether or not the user exists
            error, status = exc.message, 429
        else:
            start_session(actor)  # keeps the chosen language
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        error, status = _("Enter your username and password."), 401
    return render_template("login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        end_session()
    return redirect(url_for("web.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    """One's own password: every session of the user ends; this browser goes on in a new one."""
    form = PasswordForm()
    error, status = None, 200
    if form.validate_on_submit():
        try:
            get_runtime().users.change_own_password(g.user, form.current_password.data, form.new_password.data,
                                                    source=request.remote_addr)
        except ValidationFailed:
            error, status = _("The current password is not right."), 422
        except InvalidDefinition:
            error, status = _("A password needs at least %(num)s characters.", num=MIN_PASSWORD), 422
        except TooManyAttempts as exc:
            error, status = exc.message, 429
        else:
            start_session(g.user)
            flash(_("Password changed. You were signed out on every other device."), "success")
            return redirect(url_for("web.index"))
    elif request.method == "POST":
        error = next(iter(e for errors in form.errors.values() for e in errors), None) or \
            _("Fill in every field.")
        status = 422
    return render_template("password.html", form=form, error=error), status


@bp.post("/language")
def set_language():
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in LANGUAGES:
        session[SESSION_KEY] = form.lang.data
    return redirect(_safe_next(request.form.get("next")))


@bp.get("/")
def index():
    """Home: each table's records and what is due, and a search across the tables."""
    from .home import search, tiles

    sections = navigation(g.user)
    text = (request.args.get("q") or "").strip()
    return render_template("index.html", sections=sections, tiles=tiles(sections), q=text,
                           results=search(sections, text) if text else None)


def render_error(status: int, code: str, message: str):
    return render_template("error.html", status=status, code=code, message=message)


def page_number(raw) -> int:
    if raw in (None, ""):
        return 1
    if not str(raw).isdigit() or int(raw) < 1:
        raise BadQuery(_("The page number must be a whole number from 1."), {"page": raw})
    return int(raw)


def _safe_next(target: str | None) -> str:
    """Only paths on this site: never another host (no open redirect)."""
    if not target:
        return url_for("web.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return url_for("web.index")
    return target


# The page modules attach their views to ``bp``.
from . import boards, cards, designer, lists  # noqa: E402,F401
