"""Documents: a template and a record in, HTML, PDF or DOCX out, as the acting user.

    Documents.render(actor, table, record_id, template_id, fmt)   -> Output
    Documents.preview(actor, table, body, record_id, settings)    the editor's live preview
    Documents.context(session, table, record)                     what a template sees

The record is read with ``RecordService.get(..., action="print")``: read and print rights
and the row scope are checked by the record service; linked and back-linked records are
read through it too (``context.Reader``). HTML runs in ``html_env`` (autoescape), DOCX
through docxtpl in ``docx_env`` (the same sandbox, XML-escaped), file names and email
texts in ``text_env``. One ``budget`` covers each document. PDFs are made by WeasyPrint
from the same HTML; it fetches nothing but ``data:`` URLs.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
import re
import threading
from dataclasses import dataclass, field as dc_field

from markupsafe import Markup

from cardfile.metamodel.errors import BadQuery

from .company import CompanySettings, IMAGES
from .copies import Copies
from .context import Attachment, Hidden, Plain, Reader, RecordView, Session, day_value
from .formatting import Formatter
from .helpers import bind
from .sandbox import DocumentEnvironment, Limits, budget, render_guarded, rendering
from .store import TemplateService, merged_settings

FORMATS = ("html", "pdf", "docx")
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf",
               "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "zip": "application/zip"}
PAPER_MM = {"A4": (210, 297), "A5": (148, 210), "A3": (297, 420), "letter": (216, 279), "legal": (216, 356)}
IMAGE_CACHE_BYTES = 16 * 1024 * 1024
SPECIAL_NAMES = ("record", "company", "user", "me", "today", "now", "table", "template")

BASE_CSS = """
html { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 10pt; color: #000; }
body { margin: 0; }
table { border-collapse: collapse; }
img { max-width: 100%; }
.cf-page { break-after: page; }
.cf-page:last-child { break-after: auto; }
.cf-flow .cf-item { display: inline-block; vertical-align: top; break-inside: avoid; }
@media screen {
  body { background: #e9ecef; padding: 8mm 0; }
  .cf-page { background: #fff; box-sizing: border-box; margin: 0 auto 8mm; box-shadow: 0 1px 4px rgba(0,0,0,.25); }
}
"""


@dataclass
class Output:
    data: bytes
    format: str
    filename: str
    template: dict
    hidden: list[str] = dc_field(default_factory=list)
    reads: list[dict] = dc_field(default_factory=list)
    record: dict | None = None
    kept: dict | None = None  # the copy kept with the record (copies.py)

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]


def paper_css(settings: dict) -> str:
    paper = merged_settings(settings)["paper"]
    width, height = PAPER_MM[paper["size"]]
    if paper["orientation"] == "landscape":
        width, height = height, width
    m = paper["margins"]
    margins = f"{m['top']:g}mm {m['right']:g}mm {m['bottom']:g}mm {m['left']:g}mm"
    return (f"@page {{ size: {width}mm {height}mm; margin: {margins}; }}\n"
            f"@media screen {{ .cf-page {{ width: {width}mm; min-height: {height}mm; padding: {margins}; }} }}\n")


_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S | re.I)
_HEAD = re.compile(r"<head[^>]*>(.*)</head>", re.S | re.I)


def split_document(html: str) -> tuple[str, str]:
    """(head contents, body contents) of a rendered template; a fragment is all body."""
    body = _BODY.search(html)
    if body is None:
        return "", html
    head = _HEAD.search(html)
    return (head.group(1) if head else ""), body.group(1)


def page_document(pages: list[str], settings: dict, title: str = "") -> str:
    """Rendered templates as one HTML document: one sheet each, or (``layout: flow``, for
    price tags and labels) one after another on the same sheets."""
    heads, bodies = [], []
    flow = merged_settings(settings).get("layout") == "flow"
    for page in pages:
        head, body = split_document(page)
        if head and head not in heads:
            heads.append(head)
        bodies.append(f'<div class="cf-item">{body}</div>' if flow else f'<div class="cf-page">{body}</div>')
    if flow:
        bodies = [f'<div class="cf-page cf-flow">{"".join(bodies)}</div>']
    head_html = "".join(heads)
    title_tag = f"<title>{Markup.escape(title)}</title>" if title and "<title" not in head_html.lower() else ""
    return (f'<!doctype html><html><head><meta charset="utf-8">{title_tag}<style>{BASE_CSS}{paper_css(settings)}'
            f"</style>{head_html}</head><body>{''.join(bodies)}</body></html>")


#: a picture inline in a page (``image()``, the logo, the stamp), long enough to be worth
#: handing to WeasyPrint by reference
_INLINE_PICTURE = re.compile(r'(<img class="cf-[a-z]{2,8}" src=")data:(image/[a-z0-9.+-]+);base64,([A-Za-z0-9+/]{1000,}=*)"')


def html_to_pdf(document: str) -> bytes:
    """WeasyPrint, fetching inline ``data:`` URLs only: nothing from disk or the network.

    Each distinct inline picture is parsed once: the page refers to it by a short
    ``cf-image:N`` name, which the fetcher answers from memory (WeasyPrint's HTML parser is
    pure Python, and a logo and a stamp on every page of a batch would be read again and
    again)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    pictures: dict[str, tuple[str, str]] = {}
    names: dict[str, str] = {}

    def refer(match: re.Match) -> str:
        uri = match.group(0)[len(match.group(1)):]
        name = names.get(uri)
        if name is None:
            name = names[uri] = f"cf-image:{len(names)}"
            pictures[name] = (match.group(2), match.group(3))
        return f'{match.group(1)}{name}"'

    class Fetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url in pictures:
                media, data = pictures[url]
                return URLFetcherResponse(url, base64.b64decode(data), {"Content-Type": media})
            return super().fetch(url, headers)

    document = _INLINE_PICTURE.sub(refer, document)
    fetcher = Fetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)
    return HTML(string=document, url_fetcher=fetcher, base_url="data:,").write_pdf()


class Documents:
    def __init__(self, runtime, extra_helpers: dict | None = None, limits: Limits | None = None,
                 workers: int | None = None):
        self.rt = runtime
        #: processes laying out a large batch's PDF (batch.py); one per core, at most four
        self.workers = workers if workers is not None else min(4, os.cpu_count() or 1)
        self.templates = TemplateService(runtime)
        self.company = CompanySettings(runtime)
        self.copies = Copies(runtime)
        self.html_env = DocumentEnvironment(autoescape=True)
        self.docx_env = DocumentEnvironment(autoescape=True)
        self.text_env = DocumentEnvironment(autoescape=False)
        self.limits = limits or Limits()
        self.extra = dict(extra_helpers or {})
        self._images: dict[str, tuple[bytes, str]] = {}
        self._images_lock = threading.Lock()

    # --- the context ------------------------------------------------------------------------
    def reader(self, actor) -> Reader:
        return Reader(self.rt.records, actor, self.rt.schema.snapshot())

    def context(self, session: Session, table, record: dict, actor, template: dict | None = None) -> dict:
        view = RecordView(table, record, session, "", action="print")
        helpers = bind(session, self._file_bytes(actor), self.extra)
        ctx: dict = {}
        for f in table.fields:
            ctx[f.api_name] = view._field(f, record) if f.api_name in record else Hidden(f.api_name, session)
        ctx.update(helpers)  # a field named like a helper (barcode, image) is record.barcode
        from cardfile.metamodel.formulas.bridge import back_link_names

        for name in back_link_names(session.snap, table):
            if name not in ctx:
                ctx[name] = getattr(view, name)
        reader = session.reader
        if reader.company is None:  # read once per reader (a document, or a chunk of a batch)
            reader.company = self.company.get()
        company = dict(reader.company)
        for key in IMAGES:
            company[key] = Attachment(company[key], session) if company.get(key) else ""
        today = dt.date.today()
        person = Plain({"id": actor.id, "name": actor.display, "username": actor.username})
        ctx.update(record=view, company=Plain(company), user=person, me=person, today=day_value(today, session),
                   now=dt.datetime.now(dt.timezone.utc), table=Plain({"name": table.label, "api_name": table.api_name}),
                   template=Plain({"name": (template or {}).get("name", "")}), id=record["id"])
        return ctx

    def _file_bytes(self, actor):
        """Images by digest (``image()``), for a record or the company the actor has read.
        Files are content-addressed, so the bytes of a digest never change: small ones stay
        in memory (the logo and the stamp are on every page of a batch)."""
        def read(sha256: str) -> tuple[bytes, str]:
            found = self._images.get(sha256)
            if found is not None:
                self.rt.access.require_active(actor)
                return found
            path, media = self.rt.files.open(actor, sha256)
            data = path.read_bytes()
            if len(data) <= IMAGE_CACHE_BYTES // 8:
                with self._images_lock:
                    self._images[sha256] = (data, media)
                    while sum(len(d) for d, _m in self._images.values()) > IMAGE_CACHE_BYTES:
                        self._images.pop(next(iter(self._images)))
            return data, media

        return read

    # --- one record ----------------------------------------------------------------------------
    def render(self, actor, table_name: str, record_id, template_id, fmt: str = "pdf",
               reader: Reader | None = None, keep: bool = True) -> Output:
        """One record as a document; a PDF of a template with ``keep_copy`` is also kept with
        the record (``copies.py``) unless ``keep`` is false."""
        if fmt not in FORMATS:
            raise BadQuery(f"format is one of {', '.join(FORMATS)}, not {fmt!r}.", {"format": fmt, "allowed": list(FORMATS)})
        template = self.templates.for_use(actor, template_id, table_name)
        self.check_format(template, fmt)
        reader = reader or self.reader(actor)
        record = self.rt.records.get(actor, table_name, record_id, action="print")
        if fmt == "docx":
            return self.docx_output(actor, reader, template, table_name, record)
        page, session = self.page(actor, reader, template, table_name, record)
        name = self.file_name(actor, reader, template, table_name, record)
        document = page_document([page], template["settings"], name)
        data = document.encode("utf-8") if fmt == "html" else html_to_pdf(document)
        out = Output(data, fmt, f"{name}.{fmt}", template, sorted(set(session.hidden)), reader.reads_json(),
                     record=record)
        if fmt == "pdf" and template["settings"]["keep_copy"] and keep:
            out.kept = self.copies.keep(actor, table_name, record, out)
        return out

    @staticmethod
    def check_format(template: dict, fmt: str) -> None:
        if template["kind"] == "docx" and fmt != "docx":
            raise BadQuery("A Word template prints to DOCX only (format=docx).", {"format": fmt})
        if template["kind"] == "html" and fmt == "docx":
            raise BadQuery("An HTML template prints to HTML or PDF (format=html or pdf).", {"format": fmt})

    def page(self, actor, reader: Reader, template: dict, table_name: str, record: dict) -> tuple[str, Session]:
        """One record through an HTML template: the rendered body (not yet a document)."""
        snap = reader.snap
        table = snap.table(table_name)
        session = Session(reader, Formatter(template["settings"]["language"]), "html")
        compiled = self.html_env.compile_source(template["body"])
        with budget(self.limits):
            text = render_guarded(compiled, self.context(session, table, record, actor, template))
        return text, session

    def docx_output(self, actor, reader: Reader, template: dict, table_name: str, record: dict) -> Output:
        from docx.shared import Mm
        from docxtpl import DocxTemplate, InlineImage
        from jinja2.exceptions import TemplateSyntaxError

        from .docx_check import docx_syntax_problem, docx_xml

        data, _name = self.templates.docx_bytes(actor, template["id"])
        tpl = DocxTemplate(io.BytesIO(data))

        def picture(content: bytes, media: str, width=None, height=None):
            return InlineImage(tpl, io.BytesIO(content), width=Mm(width) if width else None,
                               height=Mm(height) if height and not width else None)

        session = Session(reader, Formatter(template["settings"]["language"]), "docx", image=picture)
        table = reader.snap.table(table_name)
        context = self.context(session, table, record, actor, template)
        try:
            with budget(self.limits), rendering("paragraph"):
                tpl.render(context, jinja_env=self.docx_env, autoescape=True)
        except TemplateSyntaxError as exc:  # pragma: no cover - caught at upload; kept for old files
            raise docx_syntax_problem(exc, docx_xml(data)) from None
        out = io.BytesIO()
        tpl.save(out)
        return Output(out.getvalue(), "docx", self.file_name(actor, reader, template, table_name, record, "docx"),
                      template, sorted(set(session.hidden)), reader.reads_json(), record=record)

    # --- names and texts ---------------------------------------------------------------------
    def text(self, actor, reader: Reader, template: dict, table_name: str, record: dict, source: str) -> str:
        """A short text template (file name, email subject or message) for one record."""
        if not source:
            return ""
        table = reader.snap.table(table_name)
        session = Session(reader, Formatter(template["settings"]["language"]), "text")
        with budget(Limits(seconds=self.limits.seconds, output=100_000)):
            return render_guarded(self.text_env.compile_source(source),
                                  self.context(session, table, record, actor, template))

    def file_name(self, actor, reader: Reader, template: dict, table_name: str, record: dict,
                  fmt: str | None = None) -> str:
        pattern = template["settings"].get("filename") or ""
        name = self.text(actor, reader, template, table_name, record, pattern) if pattern else ""
        if not name.strip():
            table = reader.snap.table(table_name)
            display = table.display_field
            shown = record.get(display.api_name) if display is not None else None
            name = f"{template['name']} {shown if isinstance(shown, (str, int)) else record['id']}"
        name = re.sub(r'[\x00-\x1f/\\:*?"<>|]+', "_", name).strip(" ._")[:150] or "document"
        return f"{name}.{fmt}" if fmt else name

    # --- the editor's preview --------------------------------------------------------------
    def preview(self, actor, table_name: str, body: str, record_id=None, settings: dict | None = None) -> dict:
        """Render unsaved HTML against a record (the first readable one when not given): the
        same sandbox and limits as printing. Needs the table's design right."""
        self.rt.access.check_design(actor, table_name)
        template = {"id": None, "name": "preview", "kind": "html", "body": body,
                    "settings": merged_settings(settings)}
        self.templates._checked({"name": "preview", "kind": "html", "body": body, "settings": settings or {}},
                                None, 0)
        reader = self.reader(actor)
        if record_id in (None, ""):
            first = self.rt.records.list(actor, table_name, _first_page())["records"]
            if not first:
                return {"html": page_document([""], template["settings"]), "record": None, "hidden": []}
            record_id = first[0]["id"]
        record = self.rt.records.get(actor, table_name, record_id, action="print")
        page, session = self.page(actor, reader, template, table_name, record)
        return {"html": page_document([page], template["settings"]), "record": record["id"],
                "hidden": sorted(set(session.hidden))}


def _first_page():
    from cardfile.metamodel.records.query import ListQuery

    return ListQuery(sort=["-id"], per_page=1)
