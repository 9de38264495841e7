"""Request bodies are checked against the OpenAPI document: an unknown key is a 400.

A body key that no route reads used to be dropped without a word, so a
``POST /reassign-owner`` written with ``table`` and ``filter`` (instead of ``tables`` and
``filters``) moved every record of every table. Now, before a route runs, the JSON
object it was sent is compared with the ``properties`` of the request body that the
OpenAPI document gives for that route and method; any other top-level key is refused
with ``400 UNKNOWN_KEYS``, its ``details.unknown`` naming them. The document is the one
list of what a body may hold, so what is documented and what is accepted cannot drift.

A route documented without a body may be sent none (a JSON object with any key is
refused). Record bodies (``/tables/{table}/records…``) are described per table; the
record service refuses their unknown field names itself (``VALIDATION_FAILED`` naming
each field). A body that is not a JSON object (an array, a file) is not checked here; the
contract test in ``tests/api/test_api_input.py`` requires every other route that takes a
body to list its keys.
"""

from __future__ import annotations

import dataclasses
import re

from flask import current_app, request

from .errors import ApiError

EXTENSION = "cardfile.api.body_keys"
BODY_METHODS = ("POST", "PUT", "PATCH")
_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def check_known_keys() -> None:
    """400 UNKNOWN_KEYS when the JSON object body holds a key the document does not list."""
    if request.method not in BODY_METHODS or request.url_rule is None or not request.is_json:
        return
    allowed = body_keys().get((openapi_path(request.url_rule.rule), request.method.lower()))
    if allowed is None:
        return
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return  # json_body() answers BAD_JSON with the reason
    unknown = sorted(key for key in body if key not in allowed)
    if unknown:
        raise ApiError("UNKNOWN_KEYS",
                       f"Unknown key(s) in the request body: {', '.join(unknown)}. "
                       f"It may hold: {', '.join(sorted(allowed)) or 'nothing'}.", {"unknown": unknown})


def openapi_path(rule: str) -> str:
    """``/api/v1/reports/<report_id>/drill`` -> ``/reports/{report_id}/drill``."""
    path = rule[len("/api/v1"):] if rule.startswith("/api/v1") else rule
    return _PARAM.sub(lambda m: "{" + m.group(1) + "}", path)


def body_keys() -> dict[tuple[str, str], frozenset[str]]:
    """(path, method) -> the keys its JSON object body may hold (built once per app)."""
    found = current_app.extensions.get(EXTENSION)
    if found is None:
        found = current_app.extensions[EXTENSION] = documented_keys()
    return found


def documented_keys() -> dict[tuple[str, str], frozenset[str]]:
    """Read the body keys of every route that does not depend on the tables from the document."""
    from cardfile.platform.app.factory import get_runtime

    from .openapi import build_spec

    runtime = get_runtime()
    snap = runtime.schema.snapshot()
    doc = build_spec(dataclasses.replace(snap, tables={}), runtime.registry).to_dict()
    schemas = doc.get("components", {}).get("schemas", {})
    keys: dict[tuple[str, str], frozenset[str]] = {}
    for path, operations in doc.get("paths", {}).items():
        for method, op in operations.items():
            if method.upper() not in BODY_METHODS or not isinstance(op, dict):
                continue
            if "requestBody" not in op:  # documented without a body: it may hold no key
                keys[(path, method)] = frozenset()
                continue
            schema = _resolve(op["requestBody"].get("content", {}).get("application/json", {}).get("schema"),
                              schemas)
            if isinstance(schema, dict) and "properties" in schema:
                keys[(path, method)] = frozenset(schema["properties"])
    return keys


def _resolve(schema, schemas: dict):
    while isinstance(schema, dict) and "$ref" in schema:
        schema = schemas.get(schema["$ref"].rsplit("/", 1)[-1])
    return schema
