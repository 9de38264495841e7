"""The REST API at ``/api/v1``: JSON over the schema and record services, described by OpenAPI."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from cardfile.metamodel.ids import MAX_ID


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: a whole number up to MAX_ID (a 64-bit id). A larger one
    is a 404 at once, whatever the method, instead of an overflow in the database driver.
    (Letting it match no rule instead made werkzeug's matcher answer some methods with a
    405 that named the methods of a neighbouring rule.)"""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > MAX_ID:
            raise NotFound()
        return number


def init_app(app: Flask, csrf: CSRFProtect) -> None:
    from .v1 import bp

    app.url_map.converters["int"] = IdConverter  # before any blueprint adds its rules
    csrf.exempt(bp)  # the API checks its own CSRF header for session requests (see auth.py)
    app.register_blueprint(bp)
