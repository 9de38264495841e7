"""The content-addressed file store: ``<data>/files/ab/cd/<sha256>``, one copy per content."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from .access import Access
from .actors import Actor
from .errors import FileTooLarge, NotFound
from .storage.platform_tables import cf_files

CHUNK = 1024 * 1024


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
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".upload-")
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
            conn.execute(dialect.insert(cf_files).values(
                sha256=sha, size=size, content_type=content_type,
                created_at=dt.datetime.now(dt.timezone.utc)).on_conflict_do_nothing(index_elements=["sha256"]))
        return {"sha256": sha, "name": (name or "file")[:255], "size": size, "content_type": content_type}

    def open(self, actor: Actor, sha256: str) -> tuple[Path, str]:
        self.access.require_active(actor)
        with self.engine.connect() as conn:
            row = conn.execute(select(cf_files).where(cf_files.c.sha256 == sha256)).mappings().first()
        if row is None or not self.path(sha256).exists():
            raise NotFound(f"No file {sha256}.", {"sha256": sha256})
        return self.path(sha256), row["content_type"]


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
