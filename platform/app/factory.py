"""``create_app(test_config=None)``: the composition root (see STYLE.md).

1. Settings: defaults, then ``CARDFILE_*`` environment variables, then ``test_config``
   (keys that are ``Settings`` field names; upper-case keys go to ``app.config``).
2. The ``Runtime`` (engine, catalog, registries, services) is built once and stored in
   ``app.extensions["cardfile"]``; views reach it only through ``get_runtime()``.
3. The web blueprint, the API blueprint and the error handlers are registered.
"""

from __future__ import annotations

import dataclasses
import os

from flask import Flask, current_app
from flask_wtf.csrf import CSRFProtect

from cardfile.metamodel.runtime import Runtime, Settings, build_runtime
from cardfile.platform.settings import load_settings, secret_key

EXTENSION_KEY = "cardfile"
#: Room for the multipart envelope around an upload of the largest accepted size.
MULTIPART_OVERHEAD = 64 * 1024

_SETTINGS_FIELDS = {f.name for f in dataclasses.fields(Settings)}


def create_app(test_config: dict | None = None) -> Flask:
    test_config = dict(test_config or {})
    overrides = {k: v for k, v in test_config.items() if k in _SETTINGS_FIELDS}
    flask_config = {k: v for k, v in test_config.items() if k not in _SETTINGS_FIELDS}
    unknown = [k for k in flask_config if not k.isupper()]
    if unknown:
        raise ValueError(f"Unknown settings: {', '.join(sorted(unknown))}.")

    settings = load_settings(overrides)
    app = Flask("cardfile.platform.app", static_folder=None, template_folder=None)
    app.config.update(
        SECRET_KEY=secret_key(settings),
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + MULTIPART_OVERHEAD,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="cardfile_session",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session; login rotates it
    )
    app.json.sort_keys = False
    for name in ("CARDFILE_IDLE_MINUTES", "CARDFILE_PROXY_FIX"):
        if os.environ.get(name):
            app.config[name] = os.environ[name]
    app.config.update(flask_config)

    runtime = build_runtime(settings)
    app.extensions[EXTENSION_KEY] = runtime
    from cardfile.metamodel.files import UPLOAD_PREFIX
    from cardfile.platform.app import scratch

    scratch.sweep()  # what a process killed mid-request left behind
    scratch.sweep(runtime.files.root, prefix=UPLOAD_PREFIX)

    csrf = CSRFProtect(app)

    from cardfile.platform import api, web
    from cardfile.platform.api.errors import register_error_handlers

    api.init_app(app, csrf)
    web.init_app(app)
    _init_access(app)
    register_error_handlers(app, web.render_error_page)
    from cardfile.platform.app import health

    health.init_app(app)  # GET /healthz for proxies and monitors
    from cardfile.platform import scheduler

    scheduler.init_app(app)  # reminders, mail, mailings, backups (off under tests)
    app.after_request(_security_headers)
    return app


def _init_access(app: Flask) -> None:
    """Session cookie hardening, the proxy fix, and the administration pages (users, groups,
    permissions, security log, "view as")."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    from cardfile.platform.app.sessions import SessionInterface
    from cardfile.platform.web import admin

    app.session_interface = SessionInterface()
    if str(app.config.get("CARDFILE_PROXY_FIX", os.environ.get("CARDFILE_PROXY_FIX", ""))).lower() in ("1", "true", "yes"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    admin.init_app(app)


def get_runtime() -> Runtime:
    """The runtime of the current app (only inside ``cardfile.platform``)."""
    return current_app.extensions[EXTENSION_KEY]


def _security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; "
            "frame-ancestors 'none'; form-action 'self'")
        response.headers.setdefault("X-Frame-Options", "DENY")
    return response
