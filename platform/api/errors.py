"""THE mapping from error code to HTTP status, and the one error handler.

Domain errors (``cardfile.metamodel.errors``, ``FormulaError``) carry a stable ``code``;
this table alone decides their HTTP status. Every error under ``/api`` is rendered as
``{"error": {"code", "message", "details"}}``; pages get the web error page instead.
Bad input never produces a 500: an unexpected exception is logged and answered with
``INTERNAL_ERROR``. A number or date the database driver cannot hold (SQLite's
``OverflowError``, PostgreSQL's data exceptions such as ``bigint out of range``) only ever
comes from input that got past the checks; it is logged and answered ``400
VALUE_OUT_OF_RANGE``, never 500.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from flask import Flask, jsonify, request
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from cardfile.formula.errors import CODES as FORMULA_CODES, FormulaError
from cardfile.metamodel.errors import CardfileError

log = logging.getLogger(__name__)

STATUS: dict[str, int] = {
    # the request itself cannot be understood
    "BAD_REQUEST": 400,
    "BAD_JSON": 400,
    "BAD_QUERY": 400,
    "UNKNOWN_KEYS": 400,
    "VALUE_OUT_OF_RANGE": 400,
    # who is asking
    "AUTHENTICATION_REQUIRED": 401,
    "AUTHENTICATION_FAILED": 401,
    "ACCESS_DENIED": 403,
    "CSRF_FAILED": 403,
    # what is asked for
    "NOT_FOUND": 404,
    "TABLE_NOT_FOUND": 404,
    "FIELD_NOT_FOUND": 404,
    "RECORD_NOT_FOUND": 404,
    "GROUP_NOT_FOUND": 404,
    "REPORT_NOT_FOUND": 404,
    "TEMPLATE_NOT_FOUND": 404,
    "PRINT_JOB_NOT_FOUND": 404,
    "REMINDER_RULE_NOT_FOUND": 404,
    "INBOX_ITEM_NOT_FOUND": 404,
    "MAILING_NOT_FOUND": 404,
    "MAIL_NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    # conflicts with the current state
    "STALE_VERSION": 409,
    "NAME_CLASH": 409,
    "IMPORT_NOT_REVERTIBLE": 409,
    "FIELD_IN_USE": 409,
    "MAIL_NOT_SET_UP": 409,
    "PACKAGE_CONFLICT": 409,
    # too many failed sign-ins: locked out for a while
    "TOO_MANY_ATTEMPTS": 429,
    # size and time limits
    "REQUEST_TOO_LARGE": 413,
    "FILE_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    # understood, but not acceptable
    "VALIDATION_FAILED": 422,
    "INVALID_DEFINITION": 422,
    "RETYPE_WOULD_LOSE_VALUES": 422,
    "UNSUPPORTED_CONVERSION": 422,
    "UNKNOWN_FIELD_TYPE": 422,
    "PACKAGE_INVALID": 422,
    "PACKAGE_CHANGES_REFUSED": 422,
    "DEMO_DATA_INVALID": 422,
    "DEMO_LANGUAGE_UNKNOWN": 422,
    # print templates and documents
    "TEMPLATE_INVALID": 422,
    "TEMPLATE_UNSAFE": 422,
    "TEMPLATE_LIMIT": 422,
    "TEMPLATE_RENDER_FAILED": 422,
    "DOCX_INVALID": 422,
    # installation state (raised by the command line, mapped for completeness)
    "NOT_INITIALISED": 409,
    "ALREADY_INITIALISED": 409,
    "NEWER_DATABASE": 503,
    "COPY_REFUSED": 409,
    "COPY_MISMATCH": 500,
    "IMPORT_FILE_INVALID": 422,
    "IMPORT_MAPPING_INVALID": 422,
    "IMPORT_FAILED": 422,
    **{code: 422 for code in FORMULA_CODES},
    # a read query ran past CARDFILE_QUERY_TIMEOUT and was stopped
    "QUERY_TOO_EXPENSIVE": 422,
    # the mail server did not take a message (emailing a document)
    "MAIL_FAILED": 502,
    # a backup could not be written (pg_dump missing or failing)
    "BACKUP_FAILED": 500,
    # faults on our side
    "ERROR": 500,
    "DUPLICATE_FIELD_TYPE": 500,
    "INTERNAL_ERROR": 500,
}

#: Error codes for HTTP errors raised by routing and request parsing (werkzeug).
HTTP_CODES: dict[int, str] = {
    400: "BAD_REQUEST", 401: "AUTHENTICATION_REQUIRED", 403: "ACCESS_DENIED", 404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED", 413: "REQUEST_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE",
    500: "INTERNAL_ERROR",
}

UNMAPPED_STATUS = 400


class ApiError(CardfileError):
    """An error found by the HTTP layer itself (bad JSON, missing credentials, CSRF)."""

    def __init__(self, code: str, message: str, details: Any = None):
        if code not in STATUS:
            raise ValueError(f"Error code {code!r} has no HTTP status in STATUS.")
        super().__init__(message, details, code=code)


def status_for(code: str) -> int:
    status = STATUS.get(code)
    if status is None:
        log.warning("Error code %s has no HTTP status; answering %s", code, UNMAPPED_STATUS)
        return UNMAPPED_STATUS
    return status


def envelope(code: str, message: str, details: Any = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details if details is not None else {}}}


def is_api_request() -> bool:
    return request.blueprint == "api" or request.path == "/api" or request.path.startswith("/api/")


HtmlRenderer = Callable[[int, str, str], Any]


def register_error_handlers(app: Flask, render_page: HtmlRenderer) -> None:
    """One handler per kind of failure; ``render_page(status, code, message)`` draws pages."""

    def respond(status: int, code: str, message: str, details: Any = None, headers: dict | None = None):
        if is_api_request():
            response = jsonify(envelope(code, message, details))
            response.status_code = status
        else:
            response = app.make_response(render_page(status, code, message))
            response.status_code = status
        for name, value in (headers or {}).items():
            response.headers[name] = value
        return response

    @app.errorhandler(CardfileError)
    def domain_error(exc: CardfileError):
        status = status_for(exc.code)
        headers = {"WWW-Authenticate": 'Bearer realm="cardfile"'} if status == 401 else None
        return respond(status, exc.code, exc.message, exc.details, headers)

    @app.errorhandler(FormulaError)
    def formula_error(exc: FormulaError):
        details = {"position": exc.position, "field": exc.field}
        return respond(status_for(exc.code), exc.code, str(exc), details)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc  # redirects raised by routing (e.g. a missing trailing slash)
        code = HTTP_CODES.get(exc.code) or (exc.name or "ERROR").upper().replace(" ", "_")
        details: dict = {}
        headers = {}
        if exc.code == 405:
            allowed = sorted(getattr(exc, "valid_methods", None) or [])
            details = {"allowed": allowed}
            if allowed:
                headers["Allow"] = ", ".join(allowed)
        if exc.code == 413:
            limit = request.max_content_length
            details = {"limit": limit} if limit else {}
        if exc.code == 404 and is_api_request():
            message = f"There is no API endpoint at {request.path}."
            details = {"path": request.path}
        else:
            message = exc.description or exc.name
        return respond(exc.code, code, message, details, headers)

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def out_of_range(exc: Exception):
        app.logger.warning("A value out of range reached the database on %s %s: %s",
                           request.method, request.path, exc)
        return respond(400, "VALUE_OUT_OF_RANGE", "A number or date in the request is out of the range "
                       "the database can hold (ids and whole numbers: up to 9223372036854775807).")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("Unexpected error on %s %s", request.method, request.path)
        return respond(500, "INTERNAL_ERROR", "Something went wrong on the server; the error was logged.")
