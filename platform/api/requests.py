"""Reading request bodies: JSON only, parsed here, refused clearly when it is not JSON.

Text must be something the database can store: no NUL character, and no lone surrogate
(``"\\ud800"`` is valid JSON but half of a character, which no UTF-8 text can hold).
"""

from __future__ import annotations

import re

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
    if contains_surrogate(data):
        raise ApiError("BAD_JSON", "Text in the JSON body must be valid Unicode: a lone surrogate "
                                   "(\\ud800–\\udfff without its pair) is half a character.")
    if expect is not None and not isinstance(data, expect):
        wanted = {dict: "an object", list: "an array"}.get(expect, expect.__name__)
        raise ApiError("BAD_JSON", f"The JSON body must be {wanted}.", {"expected": wanted})
    return data


_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_DEPTH = 64


def contains_surrogate(value, depth: int = 0) -> bool:
    """Whether any text (or key) in ``value`` holds a lone surrogate."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if depth > MAX_DEPTH:
        return False
    if isinstance(value, dict):
        return any(contains_surrogate(k, depth + 1) or contains_surrogate(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_surrogate(v, depth + 1) for v in value)
    return False
