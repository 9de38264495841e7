"""Pages: sign in and out, the tables, a read-only list per table, a read-only card."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, g, redirect, render_template, request, url_for

from cardfile.metamodel.errors import AuthenticationFailed, BadQuery
from cardfile.metamodel.records.query import ListQuery
from cardfile.platform.app.factory import get_runtime
from cardfile.platform.app.inputs import check_params
from cardfile.platform.app.sessions import end_session, session_actor, start_session

from .cells import cell_text, list_columns
from .forms import LoginForm, LogoutForm

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")

PER_PAGE = 50
PUBLIC_ENDPOINTS = {"web.login", "web.static"}


@bp.before_request
def _require_login():
    check_params(request.args, request.form)
    g.user = session_actor()
    if request.endpoint in PUBLIC_ENDPOINTS or g.user is not None:
        return None
    return redirect(url_for("web.login", next=request.full_path.rstrip("?")))


@bp.app_context_processor
def _page_context():
    user = session_actor()
    return {"user": user, "logout_form": LogoutForm() if user else None}


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            actor = get_runtime().users.authenticate(form.username.data, form.password.data)
        except AuthenticationFailed as exc:
            error = exc.message
        else:
            start_session(actor)
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        error = "Enter your username and password."
    status = 401 if error else 200
    return render_template("login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        end_session()
    return redirect(url_for("web.login"))


@bp.get("/")
def index():
    tables = get_runtime().schema.list_tables(g.user)
    return render_template("index.html", tables=tables)


@bp.get("/t/<table>")
def table_list(table):
    runtime = get_runtime()
    search = (request.args.get("q") or "").strip()
    page = _page_number(request.args.get("page"))
    result = runtime.records.list(g.user, table, ListQuery(search=search or None, page=page, per_page=PER_PAGE))
    tdef = runtime.schema.snapshot().table(table)
    columns = list_columns(runtime.registry, tdef.fields)
    rows = [{"id": rec["id"], "cells": [cell_text(runtime.registry, f, rec.get(f.api_name)) for f in columns]}
            for rec in result["records"]]
    pages = max(1, -(-result["total"] // PER_PAGE))
    return render_template("table.html", table=tdef, columns=columns, rows=rows, total=result["total"],
                           page=page, pages=pages, search=search)


@bp.get("/t/<table>/<int:record_id>")
def record_card(table, record_id):
    runtime = get_runtime()
    record = runtime.records.get(g.user, table, record_id)
    tdef = runtime.schema.snapshot().table(table)
    items = [{"label": f.label, "text": cell_text(runtime.registry, f, record.get(f.api_name))}
             for f in tdef.fields]
    return render_template("record.html", table=tdef, record=record, items=items)


def render_error(status: int, code: str, message: str):
    return render_template("error.html", status=status, code=code, message=message)


def _page_number(raw) -> int:
    if raw in (None, ""):
        return 1
    if not str(raw).isdigit() or int(raw) < 1:
        raise BadQuery("The page number must be a whole number from 1.", {"page": raw})
    return int(raw)


def _safe_next(target: str | None) -> str:
    """Only paths on this site: never another host (no open redirect)."""
    if not target:
        return url_for("web.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return url_for("web.index")
    return target
