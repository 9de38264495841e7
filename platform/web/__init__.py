"""The browser UI: sign-in, the list of tables, read-only record lists and cards."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from .views import bp

    app.register_blueprint(bp)


def render_error_page(status: int, code: str, message: str):
    from .views import render_error

    return render_error(status, code, message)
