"""API names: stable slugs made from labels (any script), unique where they must be."""

from __future__ import annotations

import keyword
import re

from slugify import slugify

from .errors import InvalidDefinition
from .storage.names import CHILD_COLUMNS, SYSTEM_COLUMNS

API_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
RESERVED = set(SYSTEM_COLUMNS) | set(CHILD_COLUMNS) | set(keyword.kwlist) | {
    "me", "today", "now", "true", "false", "none", "null", "display", "lines_of"}


def clean_label(label) -> str:
    if not isinstance(label, str) or not label.strip():
        raise InvalidDefinition("A label is required.", {"label": label})
    if "\x00" in label:
        raise InvalidDefinition("A label must not contain NUL characters.", {})
    label = " ".join(label.split())
    if len(label) > 200:
        raise InvalidDefinition("A label has at most 200 characters.", {"label": label[:50] + "…"})
    return label


def check_api_name(name, what: str = "field") -> str:
    if not isinstance(name, str) or not API_NAME.match(name):
        raise InvalidDefinition(
            f"API name {name!r} is not valid: use lowercase latin letters, digits and _, "
            "starting with a letter (at most 63 characters).", {"api_name": name})
    if name in RESERVED:
        raise InvalidDefinition(f"API name {name!r} is reserved; choose another.", {"api_name": name})
    return name


def make_api_name(label: str, taken: set[str], fallback: str) -> str:
    base = slugify(label, separator="_", lowercase=True, max_length=50) or fallback
    base = re.sub(r"[^a-z0-9_]", "", base)
    if not base or not base[0].isalpha():
        base = f"{fallback}_{base}".strip("_")
    if base in RESERVED:
        base = f"{base}_{fallback}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name
