"""The sample package's Word templates, made with python-docx.

``config-samples/customer-accounting/templates/invoice.docx`` and ``contract.docx`` are
built by this module (run ``python -m tests.documents.sample_docx`` from the repository
root to write them again); ``test_sample_templates.py`` checks that the text of the files
in the package is still what this module makes, so a change here is a change there. Each placeholder is typed
in one run, the way docxtpl reads it; table rows of line items use ``{%tr %}`` tags, each
in a row of its own.
"""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

FOLDER = Path(__file__).resolve().parents[2] / "config-samples" / "customer-accounting" / "templates"
GREY = RGBColor(0x55, 0x55, 0x55)


def _document() -> Document:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin, section.right_margin = Mm(20), Mm(12)
    section.top_margin, section.bottom_margin = Mm(12), Mm(12)
    style = doc.styles["Normal"]
    style.font.name = "DejaVu Sans"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "DejaVu Sans")
    style.font.size = Pt(9.5)
    style.paragraph_format.space_after = Pt(2)
    doc.core_properties.author = "Cardfile"
    doc.core_properties.title = "Cardfile sample template"
    # fixed dates keep the file identical from one build to the next
    import datetime as dt

    doc.core_properties.created = doc.core_properties.modified = dt.datetime(2026, 1, 1)
    return doc


def _para(doc_or_cell, text: str = "", bold: bool = False, size: float | None = None, align=None,
          color: RGBColor | None = None, after: float | None = None):
    p = doc_or_cell.add_paragraph()
    if text:
        run = p.add_run(text)
        run.bold = bold
        if size:
            run.font.size = Pt(size)
        if color is not None:
            run.font.color.rgb = color
    if align is not None:
        p.alignment = align
    if after is not None:
        p.paragraph_format.space_after = Pt(after)
    return p


def _cell(cell, text: str, bold: bool = False, size: float | None = None, align=None, label: str | None = None):
    cell.paragraphs[0].text = ""
    first = cell.paragraphs[0]
    if label:
        run = first.add_run(label)
        run.font.size = Pt(7)
        run.font.color.rgb = GREY
        first = cell.add_paragraph()
    run = first.add_run(text)
    run.bold = bold
    if size:
        run.font.size = Pt(size)
    if align is not None:
        first.alignment = align
    for p in cell.paragraphs:
        p.paragraph_format.space_after = Pt(0)


def _borders(table) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "single")
        element.set(qn("w:sz"), "6")
        element.set(qn("w:color"), "000000")
        borders.append(element)
    table._tbl.tblPr.append(borders)


def _shade(cell, fill: str = "EEEEEE") -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _widths(table, widths_mm: list[float]) -> None:
    """Column widths, in the grid (LibreOffice reads these) and in every cell (Word does)."""
    table.autofit = False
    for column, width in zip(table.columns, widths_mm):
        column.width = Mm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm):
            cell.width = Mm(width)


def _items(doc, header: list[str], cells: list[str], widths: list[float], loop: str) -> None:
    """A table of line items: the header, a ``{%tr for %}`` row, the row, ``{%tr endfor %}``."""
    table = doc.add_table(rows=4, cols=len(header))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _borders(table)
    right = WD_ALIGN_PARAGRAPH.RIGHT
    for i, text in enumerate(header):
        _cell(table.rows[0].cells[i], text, bold=True, size=8, align=right if i >= len(header) - 2 else None)
        _shade(table.rows[0].cells[i])
    _cell(table.rows[1].cells[0], "{%tr for " + loop + " %}")
    for i, text in enumerate(cells):
        _cell(table.rows[2].cells[i], text, align=right if i >= len(cells) - 2 else None)
    _cell(table.rows[3].cells[0], "{%tr endfor %}")
    _widths(table, widths)


def _signatures(doc, left: tuple[str, str], right: tuple[str, str], stamp: bool = True) -> None:
    table = doc.add_table(rows=3, cols=2)
    _widths(table, [89, 89])
    for col, (role, name) in enumerate((left, right)):
        _cell(table.rows[0].cells[col], role, bold=True)
        _cell(table.rows[1].cells[col], "_______________________ / " + name + " /")
    if stamp:
        _cell(table.rows[2].cells[0], "{{ image(company.stamp, width=30) }}")
    _cell(table.rows[2].cells[1], "")


def invoice() -> bytes:
    doc = _document()
    _para(doc, "{{ company.name }}", bold=True, size=11, after=0)
    _para(doc, "{{ company.address }}, tel. {{ company.phone }}", color=GREY, size=8.5, after=6)
    bank = doc.add_table(rows=3, cols=4)
    _borders(bank)
    _cell(bank.rows[0].cells[0], "{{ company.bank }}", label="Beneficiary's bank")
    bank.rows[0].cells[0].merge(bank.rows[0].cells[1])
    _cell(bank.rows[0].cells[2], "Bank code", size=7)
    _cell(bank.rows[0].cells[3], "{{ company.bank_code }}", bold=True)
    _cell(bank.rows[1].cells[0], "{{ company.tax_id }}", label="Tax ID")
    _cell(bank.rows[1].cells[1], "{{ company.registration }}", label="Registration No.")
    _cell(bank.rows[1].cells[2], "Account", size=7)
    _cell(bank.rows[1].cells[3], "{{ company.account }}", bold=True)
    _cell(bank.rows[2].cells[0], "{{ company.name }}", bold=True, label="Beneficiary")
    bank.rows[2].cells[0].merge(bank.rows[2].cells[1])
    _cell(bank.rows[2].cells[2], "Reference", size=7)
    _cell(bank.rows[2].cells[3], "Invoice {{ number }}")
    _widths(bank, [56, 56, 22, 44])
    _para(doc, after=4)
    _para(doc, "Invoice for payment No. {{ number }} of {{ date }}", bold=True, size=14, after=6)
    p = _para(doc, "Supplier: ", color=GREY)
    p.add_run("{{ company.name }}").bold = True
    p.add_run(", tax ID {{ company.tax_id }}, {{ company.address }}")
    p = _para(doc, "Buyer: ", color=GREY, after=6)
    p.add_run("{{ client.name }}").bold = True
    p.add_run("{% if client.tax_id %}, tax ID {{ client.tax_id }}{% endif %}"
              "{% if client.address %}, {{ client.address }}{% endif %}")
    _items(doc, ["No.", "Goods, works, services", "Qty", "Unit", "VAT", "Price, {{ total.currency }}",
                 "Amount, {{ total.currency }}"],
           ["{{ loop.index }}", "{{ line.product.name }}", "{{ format_number(line.quantity, 0) }}",
            "{{ line.product.unit or 'pcs' }}", "{{ line.vat }}", "{{ format_number(line.price, 2) }}",
            "{{ format_number(line.amount, 2) }}"],
           [10, 72, 14, 14, 14, 26, 28], "line in lines")
    right = WD_ALIGN_PARAGRAPH.RIGHT
    _para(doc, after=2)
    _para(doc, "Total without VAT: {{ net }}", align=right, after=0)
    _para(doc, "VAT: {{ vat_total }}", align=right, after=0)
    _para(doc, "Total to pay: {{ total }}", bold=True, size=11, align=right, after=6)
    _para(doc, "Total items {{ lines|length }}, to the amount of {{ total }}.", after=0)
    p = _para(doc, "Amount in words: ")
    p.add_run("{{ words(total) }}").bold = True
    _para(doc, "Please pay by {{ due_date }}, quoting the invoice number in the payment reference.",
          size=8.5, color=GREY, after=14)
    _signatures(doc, ("Director", "{{ company.director }}"), ("Chief accountant", "{{ company.accountant }}"))
    return _save(doc)


def contract() -> bytes:
    doc = _document()
    center = WD_ALIGN_PARAGRAPH.CENTER
    justify = WD_ALIGN_PARAGRAPH.JUSTIFY
    _para(doc, "CONTRACT No. {{ number }}", bold=True, size=14, align=center, after=0)
    _para(doc, "for the supply of goods and services", align=center, after=8)
    _para(doc, "{{ company.address }}\t\t\t\t\t{{ date }}", after=8)
    _para(doc, "{{ company.name }} (tax ID {{ company.tax_id }}), hereinafter the Supplier, represented by its director "
               "{{ company.director }}, on the one side, and {{ client.name }}{% if client.tax_id %} (tax ID "
               "{{ client.tax_id }}){% endif %}, hereinafter the Buyer, on the other side, have concluded this "
               "contract as follows.", align=justify, after=6)
    sections = [
        ("1. Subject of the contract",
         ["1.1. The Supplier undertakes to deliver goods and render services ({{ subject }}) and the Buyer undertakes "
          "to accept and pay for them under the terms of this contract.",
          "1.2. The goods and services are listed in the specification below and in the invoices issued under this "
          "contract, which form an integral part of it."]),
        ("2. Price and payment",
         ["2.1. The total price of the contract is {{ amount }} ({{ words(amount, cents='words') }}), VAT included "
          "where it applies.",
          "2.2. The Buyer pays each invoice by bank transfer within 14 (fourteen) days of its date."]),
        ("3. Delivery and acceptance",
         ["3.1. Goods are delivered with a delivery note; services are accepted by an act of completed work signed "
          "by both Parties."]),
        ("4. Term",
         ["4.1. The contract is valid until {{ valid_until }}. It is made in two copies of equal legal force, one "
          "for each Party."]),
    ]
    for title, paragraphs in sections:
        _para(doc, title.upper(), bold=True, align=center, after=2)
        for text in paragraphs:
            _para(doc, text, align=justify, after=3)
        if title.startswith("1."):
            _para(doc, "Specification", bold=True, after=2)
            _items(doc, ["No.", "Goods or service", "Qty", "Unit", "Price, {{ amount.currency }}",
                         "Amount, {{ amount.currency }}"],
                   ["{{ loop.index }}", "{{ item.product.name }}", "{{ format_number(item.quantity, 0) }}",
                    "{{ item.product.unit or 'pcs' }}", "{{ format_number(item.price, 2) }}",
                    "{{ format_number(item.amount, 2) }}"],
                   [10, 82, 16, 16, 26, 28], "item in invoices|map(attribute='lines')|map('list')|sum(start=[])")
            _para(doc, after=4)
    _para(doc, "5. DETAILS AND SIGNATURES OF THE PARTIES", bold=True, align=center, after=4)
    table = doc.add_table(rows=1, cols=2)
    _widths(table, [89, 89])
    _cell(table.rows[0].cells[0], "Supplier", bold=True)
    for text in ("{{ company.name }}", "Tax ID {{ company.tax_id }}", "{{ company.address }}",
                 "Account {{ company.account }}", "{{ company.bank }}, code {{ company.bank_code }}"):
        _para(table.rows[0].cells[0], text, after=0)
    _cell(table.rows[0].cells[1], "Buyer", bold=True)
    for text in ("{{ client.name }}", "{% if client.tax_id %}Tax ID {{ client.tax_id }}{% endif %}",
                 "{{ client.address }}", "{{ client.phone }}", "{{ client.email }}"):
        _para(table.rows[0].cells[1], text, after=0)
    _para(doc, after=10)
    _signatures(doc, ("Supplier", "{{ company.director }}"), ("Buyer", "____________"))
    return _save(doc)


def _save(doc) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def build() -> dict[str, bytes]:
    return {"invoice.docx": invoice(), "contract.docx": contract()}


if __name__ == "__main__":  # pragma: no cover - writes the sample files
    for name, data in build().items():
        (FOLDER / name).write_bytes(data)
        print(f"wrote {FOLDER / name} ({len(data)} bytes)")
