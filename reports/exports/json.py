"""JSON export: one array of records in the API's shape, streamed batch by batch."""

from __future__ import annotations

import json
from typing import Iterator


def list_json(stream) -> Iterator[bytes]:
    yield b"["
    first = True
    for batch in stream.batches():
        parts = []
        for record in batch:
            parts.append(("" if first else ",") + "\n" + json.dumps(record, ensure_ascii=False))
            first = False
        yield "".join(parts).encode("utf-8")
    yield b"\n]\n"
