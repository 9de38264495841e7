"""Reading request bodies: JSON only, parsed here, refused clearly when it is not JSON."""

from __future__ import annotations

from flask import request

from cardfile.platform.app.inputs import contains_nul

from .errors import ApiError


def json_body(expect: type | None = dict, required: bool = True):
    """The parsed JSON body. ``expect`` is the type the top level must have (dict or list).

    Missing or malformed JSON, or a body sent as another media type, is 400 ``BAD_JSON``.
    With ``required=False`` an empty body gives None.
    """
    raw = request.get_data(cache=True)
    if not raw.strip():
        if not required:
            return None
        raise ApiError("BAD_JSON", "This request needs a JSON body.")
    if not request.is_json:
        raise ApiError("BAD_JSON", "Send the body as JSON with 'Content-Type: application/json'.",
                       {"content_type": request.mimetype or None})
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        raise ApiError("BAD_JSON", "The JSON body is nested too deeply.") from None
    if data is None and raw.strip() != b"null":
        raise ApiError("BAD_JSON", "The request body is not valid JSON.")
    if contains_nul(data):
        raise ApiError("BAD_JSON", "Text in the JSON body must not contain NUL characters (\\u0000).")
    if expect is not None and not isinstance(data, expect):
        wanted = {dict: "an object", list: "an array"}.get(expect, expect.__name__)
        raise ApiError("BAD_JSON", f"The JSON body must be {wanted}.", {"expected": wanted})
    return data
