"""JSON export: one array of records in the API's shape, streamed batch by batch."""

from __future__ import annotations

import json
from typing import Iterator


def list_json(stream, with_lines: bool = False) -> Iterator[bytes]:
    """The records as the API shows them; ``with_lines``: with their line items inside (an
    import reads them back)."""
    yield b"["
    first = True
    for batch in stream.batches(with_lines=True) if with_lines else stream.batches():
        parts = []
        for record in batch:
            parts.append(("" if first else ",") + "\n" + json.dumps(record, ensure_ascii=False))
            first = False
        yield "".join(parts).encode("utf-8")
    yield b"\n]\n"
