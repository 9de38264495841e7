"""Printed copies and sent documents, kept with the record they were made from.

    Copies.keep(actor, table, record, output, sent_to=None)
                         the file goes into the file store and an entry onto the record's
                         history: action ``printed`` (a kept copy) or ``emailed`` (with the
                         recipient), ``changes._document`` holding the template, the file
                         name, its size and its SHA-256 digest
    Copies.list(actor, table, record_id)       what was kept or sent for one record
    Copies.open(actor, table, record_id, sha256)  the file of one of them

Reading them needs what printing needs: the record, read through the record service as the
actor (row scope), and the table's print right. A template's ``keep_copy`` setting keeps
every PDF printed from a card or in a batch; every email keeps what it attached.
"""

from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import select

from cardfile.metamodel.errors import NotFound
from cardfile.metamodel.records import audit
from cardfile.metamodel.storage.platform_tables import cf_audit, cf_users

ACTIONS = ("printed", "emailed")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Copies:
    def __init__(self, runtime, clock=utcnow):
        self.rt = runtime
        self.clock = clock

    def keep(self, actor, table_name: str, record: dict, output, sent_to: str | None = None,
             subject: str | None = None) -> dict:
        """Store ``output`` (an ``Output``: data, format, filename, template) with ``record``."""
        table = self.rt.schema.snapshot().table(table_name)
        media = output.media_type.split(";")[0]
        stored = self.rt.files.put(actor, io.BytesIO(output.data), output.filename, media)
        entry = {"template": output.template.get("id"), "template_name": output.template.get("name"),
                 "file": output.filename, "format": output.format, "sha256": stored["sha256"],
                 "size": stored["size"], "content_type": stored["content_type"]}
        if sent_to is not None:
            entry.update(to=sent_to, subject=subject or "")
        with self.rt.engine.begin() as conn:
            audit.record(conn, table.id, int(record["id"]), "emailed" if sent_to is not None else "printed",
                         actor.id, {"_document": entry}, None, self.clock())
        return entry

    def list(self, actor, table_name: str, record_id) -> list[dict]:
        """Newest first: ``{at, action, user, template_name, file, format, sha256, size, to?}``."""
        table, record = self._record(actor, table_name, record_id)
        stmt = (select(cf_audit.c.at, cf_audit.c.action, cf_audit.c.changes, cf_users.c.name, cf_users.c.username)
                .join(cf_users, cf_users.c.id == cf_audit.c.user_id, isouter=True)
                .where(cf_audit.c.table_id == table.id, cf_audit.c.record_id == record["id"],
                       cf_audit.c.action.in_(ACTIONS))
                .order_by(cf_audit.c.id.desc()))
        with self.rt.engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        out = []
        for row in rows:
            doc = (row["changes"] or {}).get("_document")
            if isinstance(doc, dict):
                out.append({**doc, "action": row["action"], "user": row["name"] or row["username"],
                            "at": row["at"].isoformat().replace("+00:00", "Z")})
        return out

    def open(self, actor, table_name: str, record_id, sha256: str):
        """(path, content type, file name) of a copy kept with a record the actor may print."""
        for doc in self.list(actor, table_name, record_id):
            if doc.get("sha256") == sha256:
                path, media = self.rt.files.open(actor, sha256)
                return path, media, doc.get("file") or "document"
        raise NotFound(f"No document {sha256} was kept with this record.", {"sha256": sha256})

    def _record(self, actor, table_name: str, record_id):
        snap = self.rt.schema.snapshot()
        table = snap.table(table_name)
        record = self.rt.records.get(actor, table_name, record_id, action="print")
        return table, record
