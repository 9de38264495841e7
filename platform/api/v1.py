"""The ``/api/v1`` blueprint: authentication, body limits, and the route modules."""

from __future__ import annotations

from flask import Blueprint, request

from cardfile.platform.app.factory import get_runtime

from cardfile.platform.app.inputs import check_params

from .auth import authenticate
from .bodies import check_known_keys

bp = Blueprint("api", __name__, url_prefix="/api/v1")

#: Endpoints whose bodies are file uploads (bounded by the upload limit, not the JSON one).
UPLOAD_ENDPOINTS = {"api.upload_file", "api.upload_template_docx"}


@bp.before_request
def _before():
    if request.endpoint not in UPLOAD_ENDPOINTS:
        request.max_content_length = get_runtime().settings.max_json_bytes
    authenticate()
    check_params(request.args)
    check_known_keys()


# The route modules attach their views to ``bp``.
from . import files, formula_routes, layout_routes, openapi, record_routes, schema_routes, tokens  # noqa: E402,F401
from . import export_routes, import_routes, report_routes  # noqa: E402,F401
from . import admin_routes, document_routes, preview_routes  # noqa: E402,F401
from . import mailing_routes, reminder_routes  # noqa: E402,F401
from . import board_routes  # noqa: E402,F401
