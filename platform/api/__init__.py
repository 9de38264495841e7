"""The REST API at ``/api/v1``: JSON over the schema and record services, described by OpenAPI."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.routing import IntegerConverter

from cardfile.metamodel.ids import MAX_ID


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: a whole number up to MAX_ID (a 64-bit id); a larger one
    matches no route, so it is a 404 instead of an overflow in the database driver."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app: Flask, csrf: CSRFProtect) -> None:
    from .v1 import bp

    app.url_map.converters["int"] = IdConverter  # before any blueprint adds its rules
    csrf.exempt(bp)  # the API checks its own CSRF header for session requests (see auth.py)
    app.register_blueprint(bp)
