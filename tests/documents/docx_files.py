"""Word documents made for tests with python-docx (a placeholder per paragraph or cell)."""

from __future__ import annotations

import io

from docx import Document


def make_docx(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    if table:
        grid = doc.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, text in enumerate(row):
                grid.cell(r, c).text = text
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def docx_text(data: bytes) -> str:
    """Every paragraph and table cell of a DOCX, one per line."""
    doc = Document(io.BytesIO(data))
    lines = [p.text for p in doc.paragraphs]
    for grid in doc.tables:
        for row in grid.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(lines)
