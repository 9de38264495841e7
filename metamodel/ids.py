"""Ids that come from input: whole numbers from 1 to :data:`MAX_ID`.

Every id column is a signed 64-bit integer, so a larger number (or zero, a negative
number, a fraction, text, ``True``) names no row. Turning it away here, before it is
bound into a statement, keeps SQLite's driver from overflowing and PostgreSQL from
refusing a ``bigint`` out of range: the caller answers "not found" or "not valid".
"""

from __future__ import annotations

MAX_ID = 2**63 - 1


def as_id(value) -> int | None:
    """``value`` as an id (an int or a text of digits within range), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 19:
            return None
        value = int(text)
    if not isinstance(value, int) or not 1 <= value <= MAX_ID:
        return None
    return value
