"""Browser fixtures: the app served on 127.0.0.1 in a thread, and headless Chromium.

Debian's ``/usr/bin/chromium`` is driven through Playwright's sync API (never
``playwright install``). Without Chromium the tests skip locally but FAIL when ``CI`` is
set, so the browser suite always runs in CI. Browser tests run on SQLite only: storage is
covered on both databases by the other suites. Screenshots go to ``screenshots/``.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from cardfile.platform.app import create_app

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).parent / "screenshots"
DESKTOP = {"width": 1280, "height": 860}
TABLET = {"width": 768, "height": 1024}


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


class LiveApp:
    def __init__(self, app, url: str):
        self.app = app
        self.url = url
        self.rt = app.extensions["cardfile"]


@pytest.fixture
def live(tmp_path):
    """The app on an SQLite database of its own, served on a free port."""
    app = create_app({"data_dir": tmp_path / "data", "database_url": f"sqlite:///{tmp_path / 'b.db'}",
                      "secret_key": "browser-tests", "TESTING": True})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveApp(app, f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    thread.join(5)
    app.extensions["cardfile"].dispose()


@pytest.fixture
def boss(live):
    return live.rt.users.create("boss", "boss-password", name="Olga Boss", is_admin=True, bootstrap=True)


@pytest.fixture
def new_page(chromium, live):
    """``new_page(viewport=DESKTOP)``: a fresh context (own cookies); page errors fail the test."""
    contexts, errors = [], []

    def make(viewport=DESKTOP, locale="en-GB"):
        context = chromium.new_context(viewport=viewport, locale=locale, base_url=live.url)
        context.set_default_timeout(8000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert errors == [], errors


@pytest.fixture
def sign_in():
    def go(page, username="boss", password="boss-password"):
        page.goto("/login")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        assert "/login" not in page.url

    return go


@pytest.fixture
def shot():
    def take(page, name: str) -> None:
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    return take
