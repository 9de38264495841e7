"""Checking an uploaded Word template before it is kept.

A DOCX is a ZIP of XML parts. It is refused when it is not a ZIP, lacks
``word/document.xml``, unpacks to more than ``MAX_UNPACKED`` bytes or has an entry that
inflates more than ``MAX_RATIO`` times (a zip bomb), or when its placeholders do not
parse (the message names the paragraph and quotes its text). What passes is opened with
python-docx; the placeholders' names are returned for the unknown-names check.
"""

from __future__ import annotations

import io
import re
import zipfile

from jinja2 import meta
from jinja2.exceptions import TemplateSyntaxError

from cardfile.metamodel.errors import CardfileError

from .sandbox import DocumentEnvironment, TemplateInvalid

MAX_UNPACKED = 64 * 1024 * 1024
MAX_RATIO = 200
MAX_ENTRIES = 2000
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class DocxInvalid(CardfileError):
    code = "DOCX_INVALID"


def check_docx(data: bytes, env: DocumentEnvironment) -> dict:
    """``{"variables": [...]}`` for a usable DOCX template, else ``DocxInvalid``/``TemplateInvalid``."""
    if not data.startswith(b"PK"):
        raise DocxInvalid("This file is not a Word document (.docx): it is not a ZIP package.", {"file": "docx"})
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise DocxInvalid(f"This file is not a Word document (.docx): {exc}.", {"file": "docx"}) from None
    if len(infos) > MAX_ENTRIES:
        raise DocxInvalid(f"The document has more than {MAX_ENTRIES} parts.", {"file": "docx"})
    names = {i.filename for i in infos}
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        raise DocxInvalid("This ZIP is not a Word document (.docx): it has no word/document.xml.", {"file": "docx"})
    total = 0
    for info in infos:
        total += info.file_size
        if total > MAX_UNPACKED or info.file_size > MAX_RATIO * max(info.compress_size, 1024):
            raise DocxInvalid("The document unpacks to far more than its size (a zip bomb?); it was refused.",
                              {"file": "docx", "part": info.filename})
    try:
        from docx import Document

        Document(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds for a broken file
        raise DocxInvalid(f"Word cannot open this document: {exc}.", {"file": "docx"}) from None
    return {"variables": sorted(docx_variables(data, env))}


def docx_xml(data: bytes) -> str:
    """The body, headers and footers of a DOCX as docxtpl prepares them for Jinja."""
    from docxtpl import DocxTemplate

    tpl = DocxTemplate(io.BytesIO(data))
    tpl.init_docx()
    xml = tpl.patch_xml(tpl.get_xml())
    for uri in (tpl.HEADER_URI, tpl.FOOTER_URI):
        for _key, part in tpl.get_headers_footers(uri):
            xml += tpl.patch_xml(tpl.get_part_xml(part))
    return re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)


def docx_variables(data: bytes, env: DocumentEnvironment) -> set[str]:
    xml = docx_xml(data)
    try:
        return meta.find_undeclared_variables(env.parse(xml))
    except TemplateSyntaxError as exc:
        raise docx_syntax_problem(exc, xml) from None


def docx_syntax_problem(exc: TemplateSyntaxError, xml: str) -> TemplateInvalid:
    """A Jinja error inside a DOCX: the paragraph number and its text instead of XML lines."""
    lines = xml.splitlines()
    line = exc.lineno or 1
    text = re.sub(r"<[^>]+>", "", lines[line - 1] if 0 < line <= len(lines) else "").strip()
    paragraph = sum(1 for item in lines[:line] if item.startswith("<w:p"))
    return TemplateInvalid(f"Syntax error in paragraph {paragraph} of the Word document ({text[:120]!r}): "
                           f"{exc.message}", {"paragraph": paragraph, "line": paragraph, "column": 1,
                                               "text": text[:200], "problem": exc.message})
