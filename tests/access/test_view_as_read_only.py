"""A "view as" preview writes nothing, whatever headers a request carries (issue 13)."""

from __future__ import annotations

import re

import pytest


def _login(client, username, password):
    page = client.get("/login")
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1).decode()
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


@pytest.fixture
def previewing(app):
    """An administrator's browser client previewing the reader "vera"; returns (client, csrf, rt)."""
    rt = app.extensions["cardfile"]
    admin = rt.users.create("admin", "admin-password", bootstrap=True, is_admin=True)
    rt.schema.create_table(admin, {"label": "Notes", "fields": [{"label": "Text", "type": "text"}]})
    rt.users.create("vera", "vera-password", actor=admin)
    rt.groups.create(admin, "readers")
    rt.groups.add_member(admin, "readers", "vera")
    rt.groups.set_permission(admin, "readers", "notes", {"actions": ["read", "create"]})
    client = app.test_client()
    assert _login(client, "admin", "admin-password").status_code == 302
    csrf = re.search(rb'name="csrf-token" content="([^"]+)"', client.get("/admin/").data).group(1).decode()
    vera = rt.users.by_username("vera")
    assert client.post("/admin/view-as", data={"kind": "user", "id": vera.id, "csrf_token": csrf}).status_code == 302
    return client, csrf, rt, admin


AUTHORIZATION_HEADERS = [
    {},
    {"Authorization": "Basic YWRtaW46YWRtaW4tcGFzc3dvcmQ="},
    {"Authorization": "Bearer not-a-token"},
    {"Authorization": "anything"},
]


@pytest.mark.parametrize("headers", AUTHORIZATION_HEADERS)
def test_a_preview_refuses_web_writes_whatever_the_headers(previewing, headers):
    client, csrf, rt, _ = previewing
    response = client.post("/admin/users", headers=headers,
                           data={"username": "intruder", "password": "intruder-password", "csrf_token": csrf})
    assert response.status_code == 403
    assert rt.users.by_username("intruder") is None
    response = client.post("/admin/groups", headers=headers, data={"name": "sneaky", "csrf_token": csrf})
    assert response.status_code == 403
    assert all(g["name"] != "sneaky" for g in rt.groups.list(rt.users.by_username("admin")))


def test_a_preview_refuses_api_writes_even_with_a_valid_token(previewing):
    client, csrf, rt, admin = previewing
    _, secret = rt.users.create_token(admin, "own token")
    for headers in ({"X-CSRF-Token": csrf}, {"X-CSRF-Token": csrf, "Authorization": f"Bearer {secret}"}):
        response = client.post("/api/v1/tables/notes/records", json={"text": "written in a preview"}, headers=headers)
        assert response.status_code == 403, response.get_data(as_text=True)
        assert response.get_json()["error"]["details"] == {"preview": True}
    assert rt.records.list(admin, "notes")["total"] == 0
    # reads still work, and stopping the preview is allowed
    assert client.get("/api/v1/tables/notes/records").status_code == 200
    assert client.post("/admin/view-as/stop", data={"csrf_token": csrf}).status_code == 302
    created = client.post("/api/v1/tables/notes/records", json={"text": "after the preview"},
                          headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201
