"""Signed unsubscribe links: ``<site>/unsubscribe/<token>``, valid without signing in.

The token names the table, the record and the mailing, signed with HMAC-SHA256 under the
installation's secret key, so nobody can make a link for another record. Opening the link
shows a page with one button; pressing it (or a mail program's one-click unsubscribe,
RFC 8058) records the opt-out in ``cf_unsubscribes``. Mailings skip a record that opted
out, and one whose boolean field ``unsubscribed`` is ticked.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

from sqlalchemy import select

from ..storage.inserts import insert_ignoring_duplicates
from ..storage.messaging_tables import cf_unsubscribes

PURPOSE = b"cardfile-unsubscribe:"


def _mac(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), PURPOSE + payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def make_token(secret: str, table_id: int, record_id: int, mailing_id: int) -> str:
    payload = f"{table_id}.{record_id}.{mailing_id}"
    return f"{payload}.{_mac(secret, payload)}"


def read_token(secret: str, token: str) -> tuple[int, int, int] | None:
    """(table id, record id, mailing id), or None for a token that was not made here."""
    if not isinstance(token, str) or len(token) > 200:
        return None
    payload, _, mac = token.rpartition(".")
    if not payload or not hmac.compare_digest(mac, _mac(secret, payload)):
        return None
    try:
        table_id, record_id, mailing_id = (int(p) for p in payload.split("."))
    except ValueError:
        return None
    return table_id, record_id, mailing_id


def unsubscribe(engine, secret: str, token: str, now: dt.datetime, email: str | None = None) -> bool:
    """Record the opt-out the token names; False when the token is not valid."""
    found = read_token(secret, token)
    if found is None:
        return False
    table_id, record_id, mailing_id = found
    with engine.begin() as conn:
        insert_ignoring_duplicates(conn, cf_unsubscribes, dict(table_id=table_id, record_id=record_id, email=email,
                                                               mailing_id=mailing_id, at=now))
    return True


def unsubscribed_ids(conn, table_id: int, ids: list[int]) -> set[int]:
    out: set[int] = set()
    for i in range(0, len(ids), 900):
        out.update(conn.execute(select(cf_unsubscribes.c.record_id).where(
            cf_unsubscribes.c.table_id == table_id, cf_unsubscribes.c.record_id.in_(ids[i:i + 900]))).scalars())
    return out
