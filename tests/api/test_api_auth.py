"""Who may call the API: bearer tokens, the browser session with its CSRF header, nobody else."""

from __future__ import annotations

import re

import pytest


def test_missing_invalid_and_revoked_tokens_are_401(app, rt, boss, anon, api, expect_error):
    error = expect_error(anon.get("/tables"), 401, "AUTHENTICATION_REQUIRED")
    assert "Bearer" in error["message"]
    assert anon.get("/tables").headers["WWW-Authenticate"].startswith("Bearer")
    client = app.test_client()
    expect_error(client.get("/api/v1/tables", headers={"Authorization": "Bearer cf_nonsense"}),
                 401, "AUTHENTICATION_FAILED")
    expect_error(client.get("/api/v1/tables", headers={"Authorization": "Basic Ym9zczpwYXNz"}),
                 401, "AUTHENTICATION_FAILED")
    expect_error(client.get("/api/v1/tables", headers={"Authorization": "Bearer "}), 401, "AUTHENTICATION_FAILED")
    expect_error(anon.get("/openapi.json"), 401, "AUTHENTICATION_REQUIRED")
    expect_error(anon.post("/tables", json={"label": "X"}), 401, "AUTHENTICATION_REQUIRED")

    token_id, secret = rt.users.create_token(boss, "soon revoked")
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    rt.users.revoke_token(token_id, actor=boss)
    expect_error(client.get("/api/v1/me", headers=headers), 401, "AUTHENTICATION_FAILED")


def test_me_and_token_lifecycle(app, api, expect_error):
    me = api.get("/me").get_json()
    assert me["username"] == "boss" and me["is_admin"] is True and me["auth"] == "token"
    assert "csrf_token" not in me

    created = api.post("/tokens", json={"name": "integration"})
    assert created.status_code == 201
    body = created.get_json()
    assert body["token"].startswith("cf_") and body["name"] == "integration"
    listed = api.get("/tokens").get_json()["tokens"]
    assert {t["name"] for t in listed} == {"tests", "integration"}
    assert all("token" not in t for t in listed)

    client = app.test_client()
    new = {"Authorization": f"Bearer {body['token']}"}
    assert client.get("/api/v1/me", headers=new).get_json()["username"] == "boss"
    assert api.delete(f"/tokens/{body['id']}").get_json() == {"id": body["id"], "revoked": True}
    expect_error(client.get("/api/v1/me", headers=new), 401, "AUTHENTICATION_FAILED")

    expect_error(api.post("/tokens", json={}), 422, "VALIDATION_FAILED")
    expect_error(api.post("/tokens", json={"name": 5}), 422, "VALIDATION_FAILED")
    expect_error(api.delete("/tokens/9999"), 404, "NOT_FOUND")


def test_staff_cannot_revoke_other_peoples_tokens(api, clerk_api, expect_error):
    boss_token = api.post("/tokens", json={"name": "mine"}).get_json()
    expect_error(clerk_api.delete(f"/tokens/{boss_token['id']}"), 404, "NOT_FOUND")
    assert {t["name"] for t in clerk_api.get("/tokens").get_json()["tokens"]} == {"tests"}


def signed_in(app, username="boss", password="boss-password"):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302
    return client


def test_session_reads_freely_but_writes_need_the_csrf_header(app, boss, clients_table, expect_error):
    client = signed_in(app)
    me = client.get("/api/v1/me").get_json()
    assert me["auth"] == "session" and me["csrf_token"]
    assert client.get(f"/api/v1/tables/{clients_table}/records").status_code == 200

    url = f"/api/v1/tables/{clients_table}/records"
    expect_error(client.post(url, json={"name": "Acme"}), 403, "CSRF_FAILED")
    expect_error(client.post(url, json={"name": "Acme"}, headers={"X-CSRF-Token": "forged"}), 403, "CSRF_FAILED")
    created = client.post(url, json={"name": "Acme"}, headers={"X-CSRF-Token": me["csrf_token"]})
    assert created.status_code == 201
    assert client.get(url).get_json()["total"] == 1


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_bad_bearer_header_wins_over_a_good_session(app, boss, expect_error):
    client = signed_in(app)
    expect_error(client.get("/api/v1/me", headers={"Authorization": "Bearer wrong"}), 401, "AUTHENTICATION_FAILED")
    assert client.get("/api/v1/me").status_code == 200
