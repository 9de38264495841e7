"""The REST API at ``/api/v1``: JSON over the schema and record services, described by OpenAPI."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect


def init_app(app: Flask, csrf: CSRFProtect) -> None:
    from .v1 import bp

    csrf.exempt(bp)  # the API checks its own CSRF header for session requests (see auth.py)
    app.register_blueprint(bp)
