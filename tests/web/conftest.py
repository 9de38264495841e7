"""Web fixtures: an app over the parametrised database, users, and a browser-like client."""

from __future__ import annotations

import re

import pytest



@pytest.fixture
def boss(rt):
    return rt.users.create("boss", "boss-password", name="Boss", is_admin=True, bootstrap=True)


def form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


@pytest.fixture
def login():
    """``login(client, username, password)`` posts the sign-in form with its CSRF token."""

    def sign_in(client, username="boss", password="boss-password", next_url=None):
        page = client.get("/login").get_data(as_text=True)
        url = "/login" + (f"?next={next_url}" if next_url else "")
        return client.post(url, data={"username": username, "password": password,
                                      "csrf_token": form_token(page)})

    return sign_in


@pytest.fixture
def browser(app, boss, login):
    """A client signed in as the administrator."""
    client = app.test_client()
    assert login(client).status_code == 302
    return client
