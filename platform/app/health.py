"""``GET /healthz``: is this process fit to serve? For reverse proxies and monitors.

Answers JSON, 200 when every check passes and 503 when one fails::

    {"status": "ok", "checks": {"database": {"ok": true, ...},
                                "migrations": {"ok": true, "current": "0010", "expected": "0010"},
                                "scheduler": {"ok": true, "mode": "in-process", "running": true}}}

* **database**: a ``SELECT 1`` on a connection of the pool.
* **migrations**: the platform schema's revision is the one this code expects (an upgrade
  that has not been run, or a database a newer Cardfile wrote, fails the check).
* **scheduler**: in the app process (the default) its thread must be running; with
  ``CARDFILE_SCHEDULER=off`` the separate ``cardfile scheduler`` process must have started a
  job within the last few minutes once it has ever run (never seen is reported, not failed).

No sign-in is needed and nothing about the data is shown.
"""

from __future__ import annotations

import datetime as dt
import time

from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, select, text

from cardfile.metamodel.storage import migrations
from cardfile.metamodel.storage.messaging_tables import cf_jobs

#: a separate scheduler that started no job for this long is reported as down
SCHEDULER_SILENCE = dt.timedelta(minutes=5)
SCHEDULER_EXTENSION = "cardfile.scheduler"

bp = Blueprint("health", __name__)
_HEAD: list[str] = []


def expected_revision() -> str:
    if not _HEAD:
        _HEAD.append(migrations.head())
    return _HEAD[0]


@bp.get("/healthz")
def healthz():
    runtime = current_app.extensions["cardfile"]
    checks: dict[str, dict] = {}
    started = time.perf_counter()
    try:
        with runtime.engine.connect().execution_options(cf_readonly=True) as conn, conn.begin():
            conn.execute(text("SELECT 1"))
            checks["database"] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
            current = migrations.current(conn)
            expected = expected_revision()
            checks["migrations"] = {"ok": current == expected, "current": current, "expected": expected}
            checks["scheduler"] = _scheduler(runtime, conn)
    except Exception as exc:  # noqa: BLE001 - any failure to reach the database is the answer
        first_line = (str(exc).splitlines() or [""])[0]
        failed = "migrations" if checks.get("database", {}).get("ok") else "database"
        checks[failed] = {"ok": False, "error": f"{type(exc).__name__}: {first_line}"[:300]}
    ok = all(c.get("ok") for c in checks.values())
    response = jsonify({"status": "ok" if ok else "unavailable", "checks": checks})
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def _scheduler(runtime, conn) -> dict:
    mode = (runtime.settings.scheduler or "in-process").lower()
    scheduler = current_app.extensions.get(SCHEDULER_EXTENSION)
    if mode != "off":
        if scheduler is None:  # tests and CARDFILE_NO_SCHEDULER: nothing is expected here
            return {"ok": True, "mode": mode, "running": False, "expected": False}
        return {"ok": bool(scheduler.running), "mode": mode, "running": bool(scheduler.running)}
    last = conn.execute(select(func.max(cf_jobs.c.last_started_at))).scalar()
    if last is None:
        return {"ok": True, "mode": "separate", "last_job_at": None}
    if last.tzinfo is None:
        last = last.replace(tzinfo=dt.timezone.utc)
    age = dt.datetime.now(dt.timezone.utc) - last
    return {"ok": age <= SCHEDULER_SILENCE, "mode": "separate", "last_job_at": last.isoformat(),
            "seconds_since": int(age.total_seconds())}


def database_unavailable(exc: Exception):
    """A connection that dropped or a database that does not answer: 503 with the error
    envelope (a page for the browser), never a 500; the pool throws the broken connection
    away, so the next request gets a fresh one."""
    from flask import request

    current_app.logger.warning("The database is unavailable on %s %s: %s", request.method, request.path,
                               (str(exc).splitlines() or [""])[0])
    message = "The database is not available right now; please try again in a moment."
    if request.path.startswith("/api/"):
        response = jsonify({"error": {"code": "DATABASE_UNAVAILABLE", "message": message, "details": {}}})
        response.status_code = 503
    else:
        from cardfile.platform.web import render_error_page

        try:
            response = current_app.make_response(render_error_page(503, "DATABASE_UNAVAILABLE", message))
        except Exception:  # noqa: BLE001 - the page itself may need the database
            response = current_app.make_response((message, 503, {"Content-Type": "text/plain; charset=utf-8"}))
        response.status_code = 503
    response.headers["Retry-After"] = "5"
    return response


def init_app(app, csrf=None) -> None:
    from sqlalchemy.exc import InterfaceError, OperationalError

    app.register_blueprint(bp)
    app.register_error_handler(OperationalError, database_unavailable)
    app.register_error_handler(InterfaceError, database_unavailable)
