"""Files and images, kept in the content-addressed store (``files/ab/cd/<sha256>``).

A value is ``{"sha256", "name", "size", "content_type"}``; upload the bytes first
(``POST /api/v1/files``), then set the field to the returned object.
"""

from __future__ import annotations

import re

from sqlalchemy import JSON

from ..base import EMPTY_OPERATORS, FieldType, FieldValueError

_SHA = re.compile(r"^[0-9a-f]{64}$")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


class FileType(FieldType):
    key = "file"
    label = "File"
    formula_type = "text"
    json_type = "object"
    sortable = False
    supports_unique = False
    filter_operators = EMPTY_OPERATORS
    options_properties = {"max_size": {"type": "integer", "minimum": 1}}

    def sql_type(self, field):
        return JSON(none_as_null=True)  # empty is SQL NULL, not JSON null: is_empty finds it

    def parse_value(self, raw, field):
        if not isinstance(raw, dict) or not _SHA.match(str(raw.get("sha256", ""))):
            raise FieldValueError("expected an uploaded file: an object with its sha256 and name")
        name = str(raw.get("name") or "file")[:255]
        value = {"sha256": raw["sha256"], "name": name,
                 "size": int(raw.get("size") or 0), "content_type": str(raw.get("content_type") or "application/octet-stream")}
        return value

    def check(self, value, field):
        limit = field.opt("max_size")
        if limit and value["size"] > limit:
            raise FieldValueError(f"file is larger than {limit} bytes")

    def to_plain(self, value, field):
        return None if value is None else value["name"]

    def json_schema(self, field):
        return {"type": ["object", "null"],
                "properties": {"sha256": {"type": "string"}, "name": {"type": "string"},
                               "size": {"type": "integer"}, "content_type": {"type": "string"}},
                "required": ["sha256"]}


class ImageType(FileType):
    key = "image"
    label = "Image"

    def check(self, value, field):
        super().check(value, field)
        if value["content_type"] not in IMAGE_TYPES:
            raise FieldValueError(f"expected an image ({', '.join(IMAGE_TYPES)}), got {value['content_type']}")
