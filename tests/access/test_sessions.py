"""Browser sessions end at once (issue 13): a copied session cookie is refused after sign-out,
a password change (API, web, `cardfile user passwd`), disabling the user and "sign out
everywhere"; signing in starts a new session each time."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from cardfile.metamodel.storage.platform_tables import cf_security_log, cf_sessions
from cardfile.platform.cli import cli

COOKIE = "cardfile_session"


def _login(client, username, password):
    page = client.get("/login")
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1).decode()
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def _csrf(client) -> str:
    return client.get("/api/v1/me").get_json()["csrf_token"]


@pytest.fixture
def site(app):
    rt = app.extensions["cardfile"]
    admin = rt.users.create("admin", "admin-password", bootstrap=True, is_admin=True)
    rt.users.create("vera", "vera-password", actor=admin)
    return rt


def signed_in(app, username="vera", password="vera-password"):
    """A signed-in test client and a second client holding a copy of its session cookie."""
    client = app.test_client()
    assert _login(client, username, password).status_code == 302
    thief = app.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    assert thief.get("/api/v1/me").status_code == 200
    return client, thief


def _refused(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "AUTHENTICATION_REQUIRED"
    page = client.get("/")
    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_sign_out_ends_the_session_for_a_copied_cookie(app, site):
    client, thief = signed_in(app)
    page = client.get("/")
    token = re.search(rb'name="csrf-token" content="([^"]+)"', page.data).group(1).decode()
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    _refused(thief)
    _refused(client)
    with site.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(cf_sessions)).scalar() == 0
        logged = conn.execute(sa.select(cf_security_log.c.username, cf_security_log.c.details)
                              .where(cf_security_log.c.event == "logout")).all()
    assert [(r.username, r.details) for r in logged] == [("vera", {"reason": "sign-out"})]


def test_signing_in_starts_a_new_session_and_ends_the_previous_one(app, site):
    client, thief = signed_in(app)
    before = client.get_cookie(COOKIE).value
    assert _login(client, "vera", "vera-password").status_code == 302
    assert client.get_cookie(COOKIE).value != before
    assert client.get("/api/v1/me").status_code == 200
    _refused(thief)  # the cookie from before the new sign-in


def test_own_password_change_through_the_api(app, site):
    client, thief = signed_in(app)
    other, _ = signed_in(app)  # the same user in another browser
    wrong = client.post("/api/v1/me/password", json={"current_password": "nope-nope", "new_password": "x" * 10},
                        headers={"X-CSRF-Token": _csrf(client)})
    assert wrong.status_code == 422 and "current_password" in wrong.get_json()["error"]["details"]["fields"]
    assert thief.get("/api/v1/me").status_code == 200
    unknown = client.post("/api/v1/me/password", json={"password": "x" * 10}, headers={"X-CSRF-Token": _csrf(client)})
    assert unknown.status_code == 400 and unknown.get_json()["error"]["details"] == {"unknown": ["password"]}
    changed = client.post("/api/v1/me/password", json={"current_password": "vera-password",
                                                        "new_password": "vera-new-password"},
                          headers={"X-CSRF-Token": _csrf(client)})
    assert changed.status_code == 200, changed.get_data(as_text=True)
    body = changed.get_json()
    assert body["password_changed"] is True and body["csrf_token"]
    _refused(thief)
    _refused(other)
    assert client.get("/api/v1/me").get_json()["username"] == "vera"  # this browser goes on, in a new session
    created = client.post("/api/v1/tokens", json={"name": "after"}, headers={"X-CSRF-Token": body["csrf_token"]})
    assert created.status_code == 201
    assert _login(app.test_client(), "vera", "vera-new-password").status_code == 302


def test_own_password_change_with_a_token_ends_browser_sessions(app, site):
    _, thief = signed_in(app)
    _, secret = site.users.create_token(site.users.by_username("vera"), "script")
    response = app.test_client().post("/api/v1/me/password", headers={"Authorization": f"Bearer {secret}"},
                                      json={"current_password": "vera-password", "new_password": "vera-new-password"})
    assert response.status_code == 200 and "csrf_token" not in response.get_json()
    _refused(thief)


def test_cli_passwd_ends_sessions(app, site, settings):
    _, thief = signed_in(app)
    env = {"CARDFILE_DATA_DIR": str(settings.data_dir), "CARDFILE_DATABASE_URL": settings.database_url,
           "CARDFILE_DB_SCHEMA": settings.db_schema or "", "CARDFILE_SECRET_KEY": "test-secret"}
    result = CliRunner().invoke(cli, ["user", "passwd", "vera", "--password", "vera-cli-password"], env=env,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    _refused(thief)


def test_an_administrator_resets_a_password_disables_or_signs_out_everywhere(app, site):
    admin_client, _ = signed_in(app, "admin", "admin-password")
    csrf = {"X-CSRF-Token": _csrf(admin_client)}

    _, thief = signed_in(app)
    assert admin_client.post("/api/v1/users/vera/password", json={"password": "vera-password-2"},
                             headers=csrf).status_code == 200
    _refused(thief)

    _, thief = signed_in(app, password="vera-password-2")
    ended = admin_client.delete("/api/v1/users/vera/sessions", headers=csrf)
    assert ended.status_code == 200 and ended.get_json() == {"username": "vera", "sessions_ended": 1}
    _refused(thief)

    _, thief = signed_in(app, password="vera-password-2")
    assert admin_client.post("/api/v1/users/vera/disable", headers=csrf).status_code == 200
    _refused(thief)
    assert admin_client.post("/api/v1/users/vera/enable", headers=csrf).status_code == 200
    _refused(thief)  # enabling again does not bring old sessions back
    assert admin_client.get("/api/v1/me").status_code == 200  # the administrator's own session is untouched

    with site.engine.connect() as conn:
        events = [r.event for r in conn.execute(sa.select(cf_security_log.c.event).order_by(cf_security_log.c.id))]
    assert "sessions_ended" in events and "password_changed" in events


def test_only_administrators_sign_others_out(app, site):
    site.users.create("boris", "boris-password", actor=site.users.by_username("admin"))
    boris, _ = signed_in(app, "boris", "boris-password")
    _, thief = signed_in(app)
    refused = boris.delete("/api/v1/users/vera/sessions", headers={"X-CSRF-Token": _csrf(boris)})
    assert refused.status_code == 403
    assert thief.get("/api/v1/me").status_code == 200
    mine = boris.delete("/api/v1/me/sessions", headers={"X-CSRF-Token": _csrf(boris)})
    assert mine.status_code == 200 and mine.get_json()["sessions_ended"] == 1
    _refused(boris)


def test_the_admin_page_signs_a_user_out_everywhere(app, site):
    admin_client, _ = signed_in(app, "admin", "admin-password")
    _, thief = signed_in(app)
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert "Sign out everywhere" in page
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    response = admin_client.post("/admin/users/vera/sessions/end", data={"csrf_token": token})
    assert response.status_code == 302
    _refused(thief)
    assert "vera was signed out everywhere" in admin_client.get("/admin/").get_data(as_text=True)


def test_the_admin_changing_their_own_password_on_the_page_stays_signed_in(app, site):
    admin_client, thief = signed_in(app, "admin", "admin-password")
    token = re.search(r'name="csrf-token" content="([^"]+)"', admin_client.get("/admin/").get_data(as_text=True)).group(1)
    response = admin_client.post("/admin/users/admin/password", data={"password": "admin-password-2", "csrf_token": token})
    assert response.status_code == 302
    _refused(thief)
    assert admin_client.get("/admin/").status_code == 200


def test_a_session_idle_on_the_server_is_over(app, site):
    client, _ = signed_in(app)
    with site.engine.begin() as conn:
        conn.execute(sa.update(cf_sessions).values(
            last_seen_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=3)))
    _refused(client)


def test_own_password_change_on_the_web_page(app, site):
    client, thief = signed_in(app)
    page = client.get("/account/password")
    assert page.status_code == 200 and b"Current password" in page.data
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1).decode()

    def change(current, new, repeat):
        return client.post("/account/password", data={"current_password": current, "new_password": new,
                                                      "repeat_password": repeat, "csrf_token": token})

    wrong = change("not-it-at-all", "vera-new-password", "vera-new-password")
    assert wrong.status_code == 422 and b"The current password is not right." in wrong.data
    assert change("vera-password", "vera-new-password", "something-else").status_code == 422
    short = change("vera-password", "short", "short")
    assert short.status_code == 422 and b"at least 8 characters" in short.data
    assert thief.get("/api/v1/me").status_code == 200  # nothing changed so far
    done = change("vera-password", "vera-new-password", "vera-new-password")
    assert done.status_code == 302
    _refused(thief)
    home = client.get("/")
    assert home.status_code == 200 and b"signed out on every other device" in home.data
    assert _login(app.test_client(), "vera", "vera-new-password").status_code == 302


def test_cli_signout_ends_sessions(app, site, settings):
    _, thief = signed_in(app)
    env = {"CARDFILE_DATA_DIR": str(settings.data_dir), "CARDFILE_DATABASE_URL": settings.database_url,
           "CARDFILE_DB_SCHEMA": settings.db_schema or "", "CARDFILE_SECRET_KEY": "test-secret"}
    result = CliRunner().invoke(cli, ["user", "signout", "vera"], env=env, catch_exceptions=False)
    assert result.exit_code == 0 and result.output.strip() == "vera: 1 session(s) signed out.", result.output
    _refused(thief)
