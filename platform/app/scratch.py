"""Scratch files of requests in flight: an XLSX export being written, an uploaded file
being imported, a batch of printed documents.

They are named ``cardfile-…`` in the system's temporary folder, and each request removes
its own when it is done. A process killed meanwhile (``kill -9``, a power cut) cannot, so
every app process removes, when it starts, the scratch files older than
:data:`STALE_AFTER` (no request runs that long), and so the half-received uploads
(``.upload-…``) in the data directory's file store.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

PREFIX = "cardfile-"
#: seconds after which a scratch file belongs to no running request
STALE_AFTER = 6 * 3600


def new_file(suffix: str) -> tuple[int, str]:
    """(open descriptor, path) of a new scratch file; the caller closes and removes it."""
    return tempfile.mkstemp(prefix=PREFIX, suffix=suffix)


def sweep(folder: str | Path | None = None, prefix: str = PREFIX, older_than: float = STALE_AFTER) -> int:
    """Remove the scratch files (``prefix…`` in ``folder``, by default the system's
    temporary folder) left by processes that ended mid-request; returns how many."""
    removed, cutoff = 0, time.time() - older_than
    for path in Path(folder or tempfile.gettempdir()).glob(prefix + "*"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError:  # gone meanwhile, or not ours to remove
            continue
    return removed
