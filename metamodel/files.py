"""The content-addressed file store: ``<data>/files/ab/cd/<sha256>``, one copy per content.

Who may read a file:

* anyone who may read a record and the file or image field that holds it
  (``open_in_record``: the record is read through ``RecordService.get``, so its row scope
  and hidden fields apply, and the digest must be in that field's value);
* its uploader, until a record holds it (``open_upload``; ``cf_file_uploads`` remembers
  who uploaded what, and saving a record marks the saver's uploads of its files attached);
* documents, through the values they already read (``open``, for code only: no route
  serves a file by digest alone).

Only a file one uploaded oneself (or any stored file, for an administrator) can be put
into a record (``attachable``), so knowing a digest never opens a file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import and_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .access import Access
from .actors import Actor
from .errors import FileTooLarge, NotFound
from .storage.platform_tables import cf_file_uploads, cf_files

CHUNK = 1024 * 1024


#: a file being received (removed once stored; one left by a killed process is swept at start)
UPLOAD_PREFIX = ".upload-"


class FileStore:
    def __init__(self, engine, root: Path, access: Access, max_size: int):
        self.engine = engine
        self.root = Path(root)
        self.access = access
        self.max_size = max_size

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, actor: Actor, stream: BinaryIO, name: str, content_type: str) -> dict:
        """Store the bytes once; returns the value to put in a file or image field."""
        self.access.require_active(actor)
        self.root.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=UPLOAD_PREFIX)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > self.max_size:
                        raise FileTooLarge(f"The file is larger than {self.max_size} bytes.",
                                           {"limit": self.max_size})
                    digest.update(chunk)
                    out.write(chunk)
            sha = digest.hexdigest()
            target = self.path(sha)
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        content_type = sniff_content_type(target, content_type)
        with self.engine.begin() as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            now = dt.datetime.now(dt.timezone.utc)
            conn.execute(dialect.insert(cf_files).values(
                sha256=sha, size=size, content_type=content_type,
                created_at=now).on_conflict_do_nothing(index_elements=["sha256"]))
            conn.execute(cf_file_uploads.insert().values(sha256=sha, uploader_id=actor.id, uploaded_at=now))
        return {"sha256": sha, "name": (name or "file")[:255], "size": size, "content_type": content_type}

    def open(self, actor: Actor, sha256: str) -> tuple[Path, str]:
        """The file's path and type, unchecked beyond an active actor: for code that already
        holds the value through the record service (documents); routes use the two below."""
        self.access.require_active(actor)
        with self.engine.connect() as conn:
            row = conn.execute(select(cf_files).where(cf_files.c.sha256 == sha256)).mappings().first()
        if row is None or not self.path(sha256).exists():
            raise NotFound(f"No file {sha256}.", {"sha256": sha256})
        return self.path(sha256), row["content_type"]

    def open_upload(self, actor: Actor, sha256: str) -> tuple[Path, str]:
        """The actor's own upload, while no record of theirs holds it yet (404 otherwise)."""
        self.access.require_active(actor)
        with self.engine.connect() as conn:
            mine = conn.execute(select(cf_file_uploads.c.id).where(
                cf_file_uploads.c.sha256 == sha256, cf_file_uploads.c.uploader_id == actor.id,
                cf_file_uploads.c.attached_at.is_(None)).limit(1)).first()
        if mine is None:
            raise NotFound(f"No file {sha256}.", {"sha256": sha256})
        return self.open(actor, sha256)

    def open_in_record(self, records, actor: Actor, table: str, record_id, field: str,
                       sha256: str) -> tuple[Path, str]:
        """A file held by ``field`` of a record ``actor`` may read (a line item's field is
        ``lines.field``). The record is read through the record service, so a record out of
        scope, a hidden field or another digest are all 404."""
        record = records.get(actor, table, record_id)
        if sha256 not in held_files(record, field):
            raise NotFound(f"No file {sha256} in {field}.", {"sha256": sha256, "field": field})
        return self.open(actor, sha256)


def held_files(record: dict, field: str) -> set[str]:
    """The digests a record's (readable) file field holds; ``lines.field`` looks in every line."""
    head, _, rest = field.partition(".")
    value = record.get(head)
    if rest:
        return set().union(*(held_files(line, rest) for line in value if isinstance(line, dict))) \
            if isinstance(value, list) else set()
    if isinstance(value, dict) and set(value) >= {"sha256", "name"}:
        return {value["sha256"]}
    return set()


def attachable(conn, actor: Actor, digests) -> set[str]:
    """Of ``digests``, the files ``actor`` may put into a record: their own uploads (any
    stored file for an administrator). Anything else reads as "no such file"."""
    digests = sorted({d for d in digests if isinstance(d, str)})
    if not digests:
        return set()
    if actor.is_admin and actor.previewed_by is None:
        stmt = select(cf_files.c.sha256).where(cf_files.c.sha256.in_(digests))
    else:
        stmt = select(cf_file_uploads.c.sha256).where(cf_file_uploads.c.sha256.in_(digests),
                                                      cf_file_uploads.c.uploader_id == actor.id).distinct()
    return set(conn.execute(stmt).scalars())


def mark_attached(conn, actor: Actor, digests, now: dt.datetime) -> None:
    """A record now holds these files: the actor's uploads of them stop being readable as uploads."""
    digests = sorted({d for d in digests if isinstance(d, str)})
    if digests:
        conn.execute(update(cf_file_uploads).where(and_(
            cf_file_uploads.c.sha256.in_(digests), cf_file_uploads.c.uploader_id == actor.id,
            cf_file_uploads.c.attached_at.is_(None))).values(attached_at=now))


_MAGIC = [(b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
          (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"), (b"%PDF-", "application/pdf")]


def sniff_content_type(path: Path, declared: str) -> str:
    """Trust the bytes over the declared type for the types we treat specially."""
    with open(path, "rb") as f:
        head = f.read(16)
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    declared = (declared or "application/octet-stream").split(";")[0].strip()
    return "application/octet-stream" if declared.startswith("image/") else declared
