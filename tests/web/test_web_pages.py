"""Sign in and out, the tables page, read-only lists and cards; everything escaped."""

from __future__ import annotations

import re


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_pages_need_a_sign_in_and_remember_where_to_go(app, boss, login):
    client = app.test_client()
    response = client.get("/t/clients?q=x")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    page = client.get("/login")
    assert page.status_code == 200 and 'name="csrf_token"' in page.get_data(as_text=True)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert login(client, next_url="/t/clients").headers["Location"] == "/t/clients"


def test_sign_in_rotates_the_session_and_refuses_bad_input(app, boss, login):
    client = app.test_client()
    refused = login(client, password="wrong-password")
    assert refused.status_code == 401 and "Wrong username or password" in refused.get_data(as_text=True)
    no_token = client.post("/login", data={"username": "boss", "password": "boss-password"})
    assert no_token.status_code == 400
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        before = session.get("csrf_token")
    assert login(client).status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["user_id"] == boss.id
        assert session["csrf_token"] and session["csrf_token"] != before
    cookie = client.get_cookie("cardfile_session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_never_redirects_off_site(app, boss, login):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        client = app.test_client()
        assert login(client, next_url=target).headers["Location"] == "/"


def test_sign_out_needs_a_post_with_csrf(browser):
    assert browser.get("/logout").status_code == 405
    home = browser.get("/").get_data(as_text=True)
    assert browser.post("/logout").status_code == 400  # no CSRF token
    assert browser.get("/").status_code == 200
    assert browser.post("/logout", data={"csrf_token": csrf_of(home)}).status_code == 302
    assert browser.get("/").status_code == 302


def test_tables_list_and_card_read_only(browser, rt, boss):
    rt.schema.create_table(boss, {"label": "Clients", "fields": [
        {"label": "Name", "type": "text"}, {"label": "Balance", "type": "money"},
        {"label": "Kind", "type": "choice", "options": {"choices": [{"value": "org", "label": "Organisation"}]}},
        {"label": "VIP", "type": "boolean"}]})
    rt.schema.create_table(boss, {"label": "Orders", "fields": [
        {"label": "Client", "type": "link", "options": {"target": "clients"}}]})
    rt.records.bulk_create(boss, "clients", [{"name": f"Client {i:03}", "balance": i} for i in range(1, 61)])
    acme = rt.records.create(boss, "clients", {"name": "Acme", "balance": "12.5", "kind": "org", "vip": True})
    order = rt.records.create(boss, "orders", {"client": acme["id"]})

    home = browser.get("/").get_data(as_text=True)
    assert 'href="/t/clients"' in home and 'href="/t/orders"' in home

    first = browser.get("/t/clients").get_data(as_text=True)
    assert "61 records" in first and "Page 1 of 2" in first and "Client 001" in first
    assert "Client 051" not in first and 'rel="next"' in first
    second = browser.get("/t/clients?page=2").get_data(as_text=True)
    assert "Client 051" in second and 'rel="prev"' in second
    found = browser.get("/t/clients?q=acme").get_data(as_text=True)
    assert "1 record " in found and "Acme" in found and "Client 001" not in found

    card = browser.get(f"/t/clients/{acme['id']}").get_data(as_text=True)
    assert "€12.50" in card and "Organisation" in card
    linked = browser.get(f"/t/orders/{order['id']}").get_data(as_text=True)
    assert "Acme" in linked
    assert browser.get("/t/clients?page=zero").status_code == 400


def test_labels_and_values_are_escaped(browser, rt, boss):
    table = rt.schema.create_table(boss, {"label": "<script>alert('t')</script>", "api_name": "xss",
                                          "fields": [{"label": "<b>Name</b>", "type": "text"}]})
    field = table["fields"][0]["api_name"]
    record = rt.records.create(boss, "xss", {field: "<img src=x onerror=alert(1)>"})
    for url in ("/", "/t/xss", f"/t/xss/{record['id']}"):
        html = browser.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>" not in html
        assert "<script>" not in html  # scripts are external modules and inert JSON data blocks only
        assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;" in html
    card = browser.get(f"/t/xss/{record['id']}").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in card and "&lt;b&gt;Name&lt;/b&gt;" in card


def test_missing_things_get_an_error_page(browser):
    response = browser.get("/t/nowhere")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "No table named" in response.get_data(as_text=True)
    assert browser.get("/t/nowhere/1").status_code == 404
    assert browser.get("/no/such/page").status_code == 404
    assert browser.get("/t/nowhere?q=%00").status_code == 400


def test_stylesheet_is_served(app):
    with app.test_client().get("/static/cardfile.css") as response:
        assert response.status_code == 200 and response.mimetype == "text/css"
