"""A field the printing user may not read never reaches a document: not in HTML, PDF or DOCX,
not through a link, a line item or a back-link, not in the file name, not in a batch."""

from __future__ import annotations

import io
import zipfile

import pytest

from cardfile.reports.documents.batch import print_many

from .docx_files import docx_text, make_docx
from .readback import pdf_text

SECRETS = ("TAX-7701234567", "SECRET NOTE", "777.77", "buh@romashka.example")
TEXT = ("Tax {{ client.tax_id }} | Notes {{ notes }} | Mail {{ client.email }} | "
        "{% for p in payments %}Paid {{ p.amount }} {% endfor %}| {{ record.notes }} | {{ client.tax_id|upper }} | "
        "{{ words(total) }}")


@pytest.fixture
def reader(runtime, shop, clerk):
    """The clerk, with the invoices' notes and the payments' amounts hidden as well."""
    runtime.groups.set_permission(shop.admin, "clerks", "invoices", {"actions": ["read", "print"],
                                                                     "fields": {"notes": "hidden"}})
    runtime.groups.set_permission(shop.admin, "clerks", "payments", {"actions": ["read", "print"],
                                                                     "fields": {"amount": "hidden"}})
    runtime.groups.set_permission(shop.admin, "clerks", "clients", {
        "actions": ["read", "print"], "fields": {"tax_id": "hidden", "email": "hidden"},
        "rows": {"condition": "manager == me"}})
    runtime.records.update(shop.admin, "clients", shop.ids["client"], {"manager": clerk.id, "version": 1})
    runtime.records.update(shop.admin, "invoices", shop.ids["invoice"], {"notes": "SECRET NOTE", "version": 1})
    runtime.records.create(shop.admin, "payments", {"invoice": shop.ids["invoice"],
                                                   "amount": {"amount": "777.77", "currency": "RUB"}})
    return clerk


def no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


def test_html_and_pdf(shop, reader):
    template = shop.template(f"<p>{TEXT}</p>", filename="Invoice {{ number }} {{ client.tax_id }}")
    html = shop.docs.render(reader, "invoices", shop.ids["invoice"], template["id"], "html")
    text = html.data.decode()
    no_secrets(text)
    no_secrets(html.filename)
    for name in ("client.tax_id", "notes", "client.email", "payments.amount"):
        assert f"[not readable: {name}]" in text, name
    assert html.hidden == sorted(set(html.hidden)) and "client.tax_id" in html.hidden
    pdf = shop.docs.render(reader, "invoices", shop.ids["invoice"], template["id"], "pdf", keep=False)
    no_secrets(pdf_text(pdf.data))
    assert "[not readable: client.tax_id]" in pdf_text(pdf.data)
    no_secrets(pdf.data.decode("latin-1"))  # not in the PDF's metadata either
    # the administrator sees them all: the template does print the values
    full = shop.docs.render(shop.admin, "invoices", shop.ids["invoice"], template["id"], "html").data.decode()
    assert all(secret in full for secret in SECRETS)


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_docx(shop, reader):
    template = shop.docs.templates.create(shop.admin, {"table": "invoices", "name": "Word", "kind": "docx",
                                                       "settings": {"filename": "Invoice {{ client.tax_id }}"}})
    shop.docs.templates.attach_docx(shop.admin, template["id"], make_docx([TEXT], [["{{ client.tax_id }}", "{{ notes }}"]]),
                                    "w.docx")
    out = shop.docs.render(reader, "invoices", shop.ids["invoice"], template["id"], "docx")
    no_secrets(out.filename)
    every_part = b"".join(zipfile.ZipFile(io.BytesIO(out.data)).read(n) for n in zipfile.ZipFile(io.BytesIO(out.data)).namelist())
    no_secrets(every_part.decode("utf-8", "replace"))
    assert "[not readable: client.tax_id]" in docx_text(out.data)


def test_a_batch(shop, runtime, reader):
    other = runtime.records.create(shop.admin, "invoices", {"number": "INV-8", "client": shop.ids["client"],
                                                            "notes": "SECRET NOTE"})
    template = shop.template(f"<p>{TEXT}</p>")
    out = io.BytesIO()
    print_many(shop.docs, reader, "invoices", template["id"], [shop.ids["invoice"], other["id"]], "pdf", out)
    text = pdf_text(out.getvalue())
    no_secrets(text)
    assert text.count("[not readable: notes]") >= 2
