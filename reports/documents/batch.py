"""Many records through one template: one PDF (or HTML), or a ZIP of DOCX files.

    select_ids(rt, actor, table, ids=…, query=…)      the records to print, in order: given
                                                       ids (each read as the actor) or every
                                                       record a list query matches
    print_many(docs, actor, table, template, ids, fmt, out, progress)
                                                       writes the document to ``out`` (a
                                                       binary file) chunk by chunk
    PrintJobs(data_dir)                                a batch running on a worker: its state
                                                       in ``<data>/prints/<token>.json``, the
                                                       file next to it

There is no cap on the number of records. Records are rendered ``CHUNK`` at a time, each
chunk made into a PDF by WeasyPrint and appended to the output with pypdf, so memory
stays flat however many pages there are; ``progress(done, total)`` is called after every
chunk. WeasyPrint's layout is pure Python: a batch of more than two chunks is laid out on
``Documents.workers`` processes (one per core, at most four) while the next chunks are read
and rendered to HTML. A template with ``layout: flow`` (price tags, labels) puts the records one after
another on the same sheets, in one WeasyPrint run. Every record is read through
``RecordService.get(..., action="print")`` as the actor, with its own time and output
budget; a record that fails stops the batch with an error naming it.
"""

from __future__ import annotations

import collections
import io
import json
import os
import re
import secrets
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable

from cardfile.metamodel.errors import BadQuery, CardfileError, NotFound
from cardfile.metamodel.ids import as_id
from cardfile.metamodel.records.query import ListQuery

from .render import FORMATS, MEDIA_TYPES, Documents, Output, html_to_pdf, page_document

#: records per WeasyPrint run (a fresh reader each chunk keeps memory flat)
CHUNK = 25
#: the most ids a request may name one by one (a filter selects any number)
MAX_IDS = 100_000

Progress = Callable[[int, int], None]


@dataclass
class BatchResult:
    count: int
    format: str
    filename: str
    kept: list

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]


def select_ids(rt, actor, table_name: str, ids: list | None = None, query: ListQuery | None = None) -> list[int]:
    """The records to print: ``ids`` as given (each must be one the actor may print), or
    every record ``query`` matches, in its sort order. The print right is checked here."""
    if ids is not None:
        if len(ids) > MAX_IDS:
            raise BadQuery(f"Name at most {MAX_IDS:,} records, or print the records a filter matches.",
                           {"ids": len(ids), "limit": MAX_IDS})
        chosen = []
        for raw in ids:
            key = as_id(raw)
            if key is None:
                raise BadQuery(f"{raw!r} is not a record id.", {"ids": [raw]})
            if key not in chosen:
                chosen.append(key)
        if not chosen:
            raise BadQuery("Choose at least one record to print.", {"ids": []})
        rt.access.check_table(actor, rt.schema.snapshot().table(table_name), "print")
        return chosen
    stream = rt.records.iter_rows(actor, table_name, query or ListQuery(sort=["id"]), action="print")
    return [record["id"] for batch in stream.batches() for record in batch]


def extension(template: dict, fmt: str) -> str:
    return "zip" if fmt == "docx" else fmt


def batch_filename(template: dict, fmt: str, count: int) -> str:
    name = re.sub(r'[\x00-\x1f/\\:*?"<>|]+', "_", template["name"]).strip(" ._")[:150] or "documents"
    return f"{name} ({count}).{extension(template, fmt)}"


def print_many(docs: Documents, actor, table_name: str, template_id, ids: list[int], fmt: str, out: BinaryIO,
               progress: Progress | None = None, keep: bool = True) -> BatchResult:
    """Render ``ids`` into ``out``. When the template keeps printed copies, each record is
    made into its own PDF (kept with the record), and those are joined."""
    if fmt not in FORMATS:
        raise BadQuery(f"format is one of {', '.join(FORMATS)}, not {fmt!r}.", {"format": fmt})
    template = docs.templates.for_use(actor, template_id, table_name)
    docs.check_format(template, fmt)
    if not ids:
        raise NotFound("No records to print: the list is empty.", {"table": table_name})
    total = len(ids)
    report = progress or (lambda done, all_: None)
    report(0, total)
    if fmt == "docx":
        _docx_zip(docs, actor, table_name, template, ids, out, report)
    elif fmt == "html":
        _html(docs, actor, table_name, template, ids, out, report)
    else:
        keeper = _keeper(docs, actor, table_name, template) if keep and template["settings"]["keep_copy"] else None
        _pdf(docs, actor, table_name, template, ids, out, report, keeper)
    return BatchResult(total, "zip" if fmt == "docx" else fmt, batch_filename(template, fmt, total), [])


def _keeper(docs: Documents, actor, table_name: str, template: dict):
    def keep(record: dict, data: bytes) -> None:
        name = docs.file_name(actor, docs.reader(actor), template, table_name, record, "pdf")
        docs.copies.keep(actor, table_name, record, Output(data, "pdf", name, template))

    return keep


def _pages(docs: Documents, actor, table_name: str, template: dict, ids: list[int]):
    """(record, rendered body) for each id, a fresh reader per chunk."""
    for start in range(0, len(ids), CHUNK):
        reader = docs.reader(actor)
        for record_id in ids[start:start + CHUNK]:
            record = _record(docs, actor, table_name, record_id)
            try:
                page, _session = docs.page(actor, reader, template, table_name, record)
            except CardfileError as exc:
                raise _named(exc, record_id) from None
            yield record, page


def _record(docs: Documents, actor, table_name: str, record_id: int) -> dict:
    try:
        return docs.rt.records.get(actor, table_name, record_id, action="print")
    except NotFound as exc:
        raise _named(exc, record_id) from None


def _named(exc: CardfileError, record_id: int) -> CardfileError:
    exc.message = f"Record #{record_id}: {exc.message}"
    exc.details = {**(exc.details or {}), "record": record_id}
    return exc


def _html(docs, actor, table_name, template, ids, out, report) -> None:
    done = 0
    pages = []
    for _record_, page in _pages(docs, actor, table_name, template, ids):
        pages.append(page)
        done += 1
        if done % CHUNK == 0:
            report(done, len(ids))
    out.write(page_document(pages, template["settings"], template["name"]).encode("utf-8"))
    report(len(ids), len(ids))


def _pdf(docs, actor, table_name, template, ids, out, report, keep) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    settings = template["settings"]
    if settings.get("layout") == "flow" and keep is None:  # labels share sheets: one run
        pages = [page for _r, page in _pages(docs, actor, table_name, template, ids)]
        report(len(ids) // 2, len(ids))
        out.write(html_to_pdf(page_document(pages, settings, template["name"])))
        report(len(ids), len(ids))
        return
    done = 0
    if keep is not None:  # each record its own PDF: that is the copy kept with it
        for record, page in _pages(docs, actor, table_name, template, ids):
            data = html_to_pdf(page_document([page], settings, template["name"]))
            keep(record, data)
            writer.append(PdfReader(io.BytesIO(data)))
            done += 1
            if done % CHUNK == 0 or done == len(ids):
                report(done, len(ids))
        writer.write(out)
        return
    with PdfMaker(docs.workers if len(ids) > 2 * CHUNK else 1) as maker:
        for count, data in maker.map(_documents(docs, actor, table_name, template, ids)):
            writer.append(PdfReader(io.BytesIO(data)))
            done += count
            report(done, len(ids))
    writer.write(out)


def _documents(docs, actor, table_name, template, ids):
    """(record count, HTML document) for each chunk of ``CHUNK`` records."""
    chunk = []
    for _record, page in _pages(docs, actor, table_name, template, ids):
        chunk.append(page)
        if len(chunk) >= CHUNK:
            yield len(chunk), page_document(chunk, template["settings"], template["name"])
            chunk = []
    if chunk:
        yield len(chunk), page_document(chunk, template["settings"], template["name"])


class PdfMaker:
    """HTML documents to PDFs, in order: here, or on ``workers`` processes (WeasyPrint's layout
    is pure Python, so more cores need more processes). The next chunks are rendered to HTML
    while the workers lay out the previous ones; at most ``2 × workers`` wait at a time."""

    def __init__(self, workers: int = 1):
        self.workers = max(1, int(workers))
        self.pool = None

    def __enter__(self) -> "PdfMaker":
        return self.start()

    def start(self) -> "PdfMaker":
        if self.workers > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # spawn: never fork a process that runs threads (the web server)
            self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self

    def map(self, documents):
        if self.pool is None:
            for count, document in documents:
                yield count, html_to_pdf(document)
            return
        waiting: collections.deque = collections.deque()
        for count, document in documents:
            waiting.append((count, self.pool.submit(html_to_pdf, document)))
            while len(waiting) >= 2 * self.workers:
                count_, future = waiting.popleft()
                yield count_, future.result()
        while waiting:
            count_, future = waiting.popleft()
            yield count_, future.result()

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def _docx_zip(docs, actor, table_name, template, ids, out, report) -> None:
    names: set[str] = set()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, record_id in enumerate(ids, 1):
            reader = docs.reader(actor)
            record = _record(docs, actor, table_name, record_id)
            try:
                output = docs.docx_output(actor, reader, template, table_name, record)
            except CardfileError as exc:
                raise _named(exc, record_id) from None
            archive.writestr(_unique(output.filename, names), output.data)
            if index % CHUNK == 0:
                report(index, len(ids))
    report(len(ids), len(ids))


def _unique(name: str, taken: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem} ({n}).{ext}" if dot else f"{name} ({n})"
    taken.add(candidate.lower())
    return candidate


# --- batches on a worker ---------------------------------------------------------------------
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,40}")
KEEP_SECONDS = 24 * 3600
#: a job whose progress has not moved for this long is taken as lost (the process ended)
STALE_SECONDS = 15 * 60


class JobNotFound(NotFound):
    code = "PRINT_JOB_NOT_FOUND"

    def __init__(self):
        super().__init__("This print run is no longer here; start it again.", {})


class PrintJobs:
    """Batches printed on a worker: ``<data>/prints/<token>.json`` (state) and ``.out`` (file).
    Only the user who started a batch sees it; finished files go after ``KEEP_SECONDS``."""

    def __init__(self, data_dir):
        self.root = Path(data_dir) / "prints"

    def _paths(self, token: str) -> tuple[Path, Path]:
        if not _TOKEN.fullmatch(token or ""):
            raise JobNotFound()
        return self.root / f"{token}.json", self.root / f"{token}.out"

    def create(self, user_id: int, table: str, template: dict, fmt: str, total: int) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        self.sweep()
        token = secrets.token_urlsafe(18)
        self._write(token, {"user": user_id, "table": table, "template": template["id"],
                            "template_name": template["name"], "format": fmt, "state": "running", "done": 0,
                            "total": total, "moved": time.time(), "started": time.time()})
        return token

    def get(self, token: str, user_id: int) -> dict:
        meta_path, _out = self._paths(token)
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
        except (OSError, ValueError):
            raise JobNotFound() from None
        if meta.get("user") != user_id:
            raise JobNotFound()
        if meta["state"] == "running" and time.time() - meta.get("moved", 0) > STALE_SECONDS:
            meta.update(state="failed", error="The print run stopped (the server was restarted); start it again.")
        return meta

    def output(self, token: str, user_id: int) -> tuple[Path, dict]:
        meta = self.get(token, user_id)
        _meta, out = self._paths(token)
        if meta["state"] != "done" or not out.exists():
            raise JobNotFound()
        return out, meta

    def update(self, token: str, **changes) -> None:
        meta_path, _out = self._paths(token)
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
        except (OSError, ValueError):
            return
        self._write(token, {**meta, **changes, "moved": time.time()})

    def run(self, token: str, work: Callable[[BinaryIO, Progress], BatchResult]) -> None:
        """Run ``work(out, progress)`` and record how it ended (call on the worker)."""
        _meta, out_path = self._paths(token)
        try:
            with open(out_path, "wb") as out:
                result = work(out, lambda done, total: self.update(token, done=done, total=total))
        except CardfileError as exc:
            out_path.unlink(missing_ok=True)
            self.update(token, state="failed", error=exc.message)
        except Exception:  # noqa: BLE001 - the page says it failed; the caller logs it
            out_path.unlink(missing_ok=True)
            self.update(token, state="failed", error="Something went wrong on the server; the error was logged.")
            raise
        else:
            self.update(token, state="done", done=result.count, total=result.count, filename=result.filename,
                        media_type=result.media_type, size=out_path.stat().st_size)

    def sweep(self) -> None:
        limit = time.time() - KEEP_SECONDS
        for path in self.root.glob("*.json"):
            try:
                if path.stat().st_mtime < limit:
                    for old in self._paths(path.stem):
                        old.unlink(missing_ok=True)
            except (OSError, CardfileError):
                continue

    def _write(self, token: str, meta: dict) -> None:
        meta_path, _out = self._paths(token)
        tmp = meta_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(meta), "utf-8")
        os.replace(tmp, meta_path)
