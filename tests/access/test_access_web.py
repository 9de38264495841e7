"""Administration pages, view as, and session hardening in the browser app."""

from __future__ import annotations

import re

import pytest


@pytest.fixture(autouse=True)
def _fast_hashing(fast_password_hashing):
    return None


def _login(client, username, password):
    page = client.get("/login")
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data) or \
        re.search(rb'name="csrf-token" content="([^"]+)"', page.data)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token.group(1).decode()})


def _csrf(client):
    page = client.get("/admin/")
    return re.search(rb'name="csrf-token" content="([^"]+)"', page.data).group(1).decode()


@pytest.fixture
def site(app):
    rt = app.extensions["cardfile"]
    admin = rt.users.create("admin", "admin-password", bootstrap=True, is_admin=True)
    rt.schema.create_table(admin, {"label": "Notes", "fields": [{"label": "Text", "type": "text"},
                                                                 {"label": "Private", "type": "text"}]})
    rt.records.create(admin, "notes", {"text": "visible text", "private": "PRIVATE-VALUE"})
    rt.users.create("vera", "vera-password", actor=admin)
    rt.groups.create(admin, "readers")
    rt.groups.add_member(admin, "readers", "vera")
    rt.groups.set_permission(admin, "readers", "notes", {"actions": ["read"], "fields": {"private": "hidden"}})
    return rt


def test_admin_pages_and_view_as(app, site):
    client = app.test_client()
    assert _login(client, "admin", "admin-password").status_code == 302
    home = client.get("/admin/")
    assert home.status_code == 200 and b"vera" in home.data and b"readers" in home.data
    assert client.get("/admin/security-log").status_code == 200
    group_id = site.groups.get(site.users.by_username("admin"), "readers")["id"]
    assert client.get(f"/admin/groups/{group_id}").status_code == 200
    token = _csrf(client)
    vera = site.users.by_username("vera")
    assert client.post("/admin/view-as", data={"kind": "user", "id": vera.id, "csrf_token": token}).status_code == 302
    api = client.get("/api/v1/tables/notes/records")
    assert api.status_code == 200 and b"PRIVATE-VALUE" not in api.data and b"visible text" in api.data
    assert client.get("/api/v1/me").get_json()["username"] == "vera"
    refused = client.post("/api/v1/tables/notes/records", json={"text": "x"}, headers={"X-CSRF-Token": token})
    assert refused.status_code == 403
    assert client.post("/admin/users", data={"username": "z", "password": "zzzzzzzz", "csrf_token": token}).status_code == 403
    assert client.post("/admin/view-as/stop", data={"csrf_token": token}).status_code == 302
    assert client.get("/api/v1/me").get_json()["username"] == "admin"


def test_non_administrators_get_403_on_admin_pages(app, site):
    client = app.test_client()
    _login(client, "vera", "vera-password")
    assert client.get("/admin/").status_code == 403


def test_idle_sessions_end_and_cookies_are_hardened(app, site):
    client = app.test_client()
    response = _login(client, "admin", "admin-password")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    with client.session_transaction() as session:
        session["seen"] = session["seen"] - 24 * 3600
    assert client.get("/api/v1/me").status_code == 401
    secure = app.test_client()
    page = secure.get("/login", base_url="https://localhost")
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1).decode()
    response = secure.post("/login", base_url="https://localhost", headers={"Referer": "https://localhost/login"},
                           data={"username": "admin", "password": "admin-password", "csrf_token": token})
    assert "Secure" in response.headers["Set-Cookie"]


def test_repeated_failed_sign_ins_lock_out_with_a_message_on_the_form(app, site):
    client = app.test_client()
    statuses = [_login(client, "vera", "wrong-password").status_code for _ in range(12)]
    assert statuses[0] == 401 and statuses[-1] == 429
    page = _login(client, "vera", "vera-password")  # even the right password waits now
    assert page.status_code == 429 and b"<form" in page.data
    others = [_login(client, f"guess{i}", "wrong-password").status_code for i in range(20)]
    assert others[0] == 401 and others[-1] == 429  # then the address itself is locked out
    assert _login(client, "nobody-here", "wrong-password").status_code == 429


def test_the_list_page_never_names_a_hidden_field(app, site):
    client = app.test_client()
    _login(client, "vera", "vera-password")
    for url in ("/t/notes", "/t/notes?cols=text,private", "/t/notes?filter=private:contains:P",
                "/t/notes?sort=private"):
        page = client.get(url)
        assert page.status_code in (200, 400, 404), url
        assert b"PRIVATE-VALUE" not in page.data and b"Private" not in page.data, url
        assert b'"private"' not in page.data, url
    assert b"visible text" in client.get("/t/notes").data
    admin = app.test_client()
    _login(admin, "admin", "admin-password")
    assert b"Private" in admin.get("/t/notes").data
