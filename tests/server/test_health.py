"""GET /healthz: 200 when the database answers, the migrations are current and the
scheduler runs where one is expected; 503 with the failing check otherwise."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import OperationalError

from cardfile.metamodel.storage.messaging_tables import cf_jobs
from cardfile.platform.app import health


def test_healthy(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["migrations"]["current"] == body["checks"]["migrations"]["expected"]
    assert body["checks"]["scheduler"]["expected"] is False  # none runs under tests


def test_a_database_a_newer_cardfile_wrote_is_unhealthy(app, monkeypatch):
    monkeypatch.setattr(health, "expected_revision", lambda: "0009_older_code")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["checks"]["database"]["ok"] is True
    assert body["checks"]["migrations"]["ok"] is False
    assert body["checks"]["migrations"]["expected"] == "0009_older_code"


def test_an_unreachable_database_is_unhealthy(app, monkeypatch):
    runtime = app.extensions["cardfile"]

    def refuse(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(runtime.engine, "connect", refuse)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    database = response.get_json()["checks"]["database"]
    assert database["ok"] is False and "OperationalError" in database["error"]


def test_a_silent_separate_scheduler_is_unhealthy(app, monkeypatch):
    runtime = app.extensions["cardfile"]
    monkeypatch.setattr(runtime.settings, "scheduler", "off")
    client = app.test_client()
    assert client.get("/healthz").get_json()["checks"]["scheduler"] == {
        "ok": True, "mode": "separate", "last_job_at": None}
    now = dt.datetime.now(dt.timezone.utc)
    with runtime.engine.begin() as conn:
        conn.execute(insert(cf_jobs).values(name="reminders", runs=1, last_started_at=now - dt.timedelta(minutes=1)))
    assert client.get("/healthz").status_code == 200
    with runtime.engine.begin() as conn:
        conn.execute(cf_jobs.update().values(last_started_at=now - dt.timedelta(minutes=20)))
    response = client.get("/healthz")
    assert response.status_code == 503
    scheduler = response.get_json()["checks"]["scheduler"]
    assert scheduler["ok"] is False and scheduler["seconds_since"] >= 20 * 60


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_a_connection_dropped_mid_request_is_503_and_the_process_recovers(app, monkeypatch):
    from sqlalchemy import text

    runtime = app.extensions["cardfile"]
    client = app.test_client()
    token = runtime.users.create_token(runtime.users.create("boss", "boss-secret-1", is_admin=True,
                                                             bootstrap=True), "t")[1]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/tables", headers=headers).status_code == 200
    original = runtime.schema.list_tables

    def dropped(*args, **kwargs):
        with runtime.engine.connect() as conn:  # the server ends this very connection
            conn.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        return original(*args, **kwargs)

    monkeypatch.setattr(runtime.schema, "list_tables", dropped)
    response = client.get("/api/v1/tables", headers=headers)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.get_json()["error"]["code"] == "DATABASE_UNAVAILABLE"
    monkeypatch.setattr(runtime.schema, "list_tables", original)
    assert client.get("/api/v1/tables", headers=headers).status_code == 200  # recovered
    assert client.get("/healthz").status_code == 200

    from sqlalchemy.exc import OperationalError

    with app.test_request_context("/t/clients"):  # a page: the web error page, status 503
        page = health.database_unavailable(OperationalError("SELECT", {}, Exception("server closed")))
    assert page.status_code == 503 and "not available right now" in page.get_data(as_text=True)
    assert page.mimetype == "text/html"
