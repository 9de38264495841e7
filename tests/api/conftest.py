"""API fixtures: an app per test over the parametrised database, users, and a bearer client."""

from __future__ import annotations


import pytest


ENVELOPE_KEYS = {"code", "message", "details"}



@pytest.fixture
def boss(rt):
    """The administrator (may design tables)."""
    return rt.users.create("boss", "boss-password", name="Boss", is_admin=True, bootstrap=True)


@pytest.fixture
def clerk(rt, boss):
    """A staff member (records only: the "staff" group may read, add, change, delete, export
    and print every table's records)."""
    user = rt.users.create("clerk", "clerk-password", name="Clerk", actor=boss)
    rt.groups.create(boss, "staff")
    rt.groups.set_permission(boss, "staff", "*", {
        "actions": ["read", "create", "update", "delete", "export", "print"]})
    rt.groups.add_member(boss, "staff", "clerk")
    return user


class Api:
    """The test client with a bearer token on every request; paths are under /api/v1."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def _headers(self, headers):
        base = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**base, **(headers or {})}

    def request(self, method: str, path: str, headers=None, **kwargs):
        return self.client.open("/api/v1" + path, method=method, headers=self._headers(headers), **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.request("PATCH", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def api(app, rt, boss):
    """An administrator's bearer client."""
    return Api(app.test_client(), rt.users.create_token(boss, "tests")[1])


@pytest.fixture
def clerk_api(app, rt, clerk):
    return Api(app.test_client(), rt.users.create_token(clerk, "tests")[1])


@pytest.fixture
def anon(app):
    return Api(app.test_client(), None)


@pytest.fixture
def expect_error():
    """``expect_error(response, status, code)`` asserts the error envelope and returns its details."""

    def check(response, status: int, code: str) -> dict:
        assert response.status_code == status, response.get_data(as_text=True)
        assert response.mimetype == "application/json"
        body = response.get_json()
        assert set(body) == {"error"}
        assert set(body["error"]) == ENVELOPE_KEYS
        assert body["error"]["code"] == code, body
        assert isinstance(body["error"]["message"], str) and body["error"]["message"]
        assert isinstance(body["error"]["details"], dict)
        return body["error"]

    return check


@pytest.fixture
def clients_table(api):
    """A table "Clients" with a few typed fields; returns its API name."""
    response = api.post("/tables", json={"label": "Clients", "fields": [
        {"label": "Name", "type": "text", "options": {"required": True}},
        {"label": "Age", "type": "integer"},
        {"label": "Balance", "type": "money", "options": {"currency": "EUR"}},
        {"label": "Kind", "type": "choice", "options": {"choices": [{"value": "org"}, {"value": "person"}]}},
    ]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["api_name"]
