"""qr() and barcode() as inline images in HTML and DOCX; Word uploads that are not Word files
or unpack far beyond their size; limits inside Word templates; injection through the file
name and email texts, which run in the same sandbox."""

from __future__ import annotations

import base64
import io
import re
import zipfile

import pytest
import segno
from markupsafe import Markup

from cardfile.metamodel.errors import CardfileError
from cardfile.reports.documents.docx_check import MAX_UNPACKED, DocxInvalid, check_docx
from cardfile.reports.documents.sandbox import DocumentEnvironment, TemplateLimit
from cardfile.reports.documents.sending import DocumentMail

from .docx_files import make_docx
from .test_sandbox import LEAKS, PAYLOADS, check_blocked


def data_uris(html: str, css_class: str) -> list[bytes]:
    """The SVG pictures of one helper in a page, decoded."""
    return [base64.b64decode(payload) for payload in
            re.findall(rf'<img class="cf-{css_class}" src="data:image/svg\+xml;base64,([^"]+)"', html)]


def test_qr_codes_carry_the_text(shop):
    html = shop.html(shop.admin, shop.template('{{ qr("ST00012|Name=" ~ client.name ~ "|Sum=" ~ total.raw, size=25) }}'))
    expected = segno.make("ST00012|Name=Romashka LLC|Sum=1200.50", error="m", micro=False)
    assert str(Markup.escape(expected.svg_data_uri(scale=1, border=0, xmldecl=False))) in html
    assert 'class="cf-qr"' in html and 'style="width:25mm;height:25mm"' in html


def test_barcodes_check_their_digits(shop):
    html = shop.html(shop.admin, shop.template('{{ barcode("400638133393") }}|{{ barcode(number, kind="code128") }}'))
    ean, code128 = data_uris(html, "barcode")
    assert b"4006381333931" in ean.replace(b" ", b"")  # the check digit was added
    assert b"INV-7" in code128
    for body, words in (('{{ barcode("4006381333932") }}', "wrong check digit"),
                        ('{{ barcode("12345") }}', "12 or 13 digits"),
                        ('{{ barcode(number, kind="qr") }}', "kind is one of ean13, code128")):
        with pytest.raises(CardfileError) as exc:
            shop.html(shop.admin, shop.template(body))
        assert words in exc.value.message


def test_a_field_named_like_a_helper_leaves_the_helper_callable(shop, runtime, make_table):
    """A products table with a Barcode field still prints barcode(...); the field is record.barcode."""
    make_table("Products", [("Name", "text"), ("Barcode", "text"), ("Image", "text")], api_name="products")
    product = runtime.records.create(shop.admin, "products", {"name": "Cups", "barcode": "4006381333931",
                                                              "image": "cups.png"})["id"]
    body = '{{ barcode(record.barcode|string) }}|{{ record.barcode }}|{{ record.image }}|{{ name }}'
    html = shop.html(shop.admin, shop.template(body, table="products"), product, table="products")
    [ean] = data_uris(html, "barcode")
    assert b"4006381333931" in ean.replace(b" ", b"")
    assert "|4006381333931|cups.png|Cups" in html


def test_helpers_given_a_hidden_field_print_its_placeholder(shop, runtime, clerk):
    runtime.records.update(shop.admin, "clients", shop.ids["client"], {"manager": clerk.id, "version": 1})
    html = shop.html(clerk, shop.template("{{ qr(client.tax_id) }}|{{ barcode(client.tax_id, kind='code128') }}"))
    assert html.count("[not readable: client.tax_id]") == 2 and "cf-qr" not in html and "TAX-7701234567" not in html


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_codes_in_word_documents_are_pictures(shop):
    template = shop.docs.templates.create(shop.admin, {"table": "invoices", "name": "Codes", "kind": "docx"})
    shop.docs.templates.attach_docx(shop.admin, template["id"], make_docx(
        ["{{ qr(number) }}", "{{ barcode(number, kind='code128', width=40) }}"]), "codes.docx")
    out = shop.docs.render(shop.admin, "invoices", shop.ids["invoice"], template["id"], "docx")
    names = zipfile.ZipFile(io.BytesIO(out.data)).namelist()
    assert len([n for n in names if n.startswith("word/media/")]) == 2


# --- uploads that are not Word files ---------------------------------------------------------
def zip_of(entries: dict[str, bytes | int]) -> bytes:
    """A ZIP whose entries are bytes, or (an int) that many zero bytes written in chunks."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in entries.items():
            if isinstance(content, int):
                with archive.open(name, "w", force_zip64=True) as handle:
                    chunk = b"\0" * (1024 * 1024)
                    for _ in range(content // len(chunk)):
                        handle.write(chunk)
            else:
                archive.writestr(name, content)
    return out.getvalue()


def test_what_is_not_a_word_file_is_refused():
    env = DocumentEnvironment()
    real = make_docx(["Invoice {{ number }}"])
    parts = {n: zipfile.ZipFile(io.BytesIO(real)).read(n) for n in zipfile.ZipFile(io.BytesIO(real)).namelist()}
    bomb = zip_of({**parts, "word/media/bomb.bin": MAX_UNPACKED + 8 * 1024 * 1024})
    assert len(bomb) < 2 * 1024 * 1024  # a small upload that unpacks to more than 64 MB
    ratio = zip_of({**parts, "word/media/zeros.bin": 8 * 1024 * 1024})
    cases = {b"%PDF-1.7 not a zip": "not a ZIP", zip_of({"hello.txt": b"hi"}): "no word/document.xml",
             bomb: "zip bomb", ratio: "zip bomb", real[: len(real) // 2]: "not a Word document",
             zip_of({**parts, "word/document.xml": b"<not xml"}): "Word cannot open"}
    for data, words in cases.items():
        with pytest.raises(DocxInvalid) as exc:
            check_docx(data, env)
        assert words in exc.value.message, (words, exc.value.message)
    assert check_docx(real, env)["variables"] == ["number"]


def test_a_zip_bomb_upload_is_refused_over_the_api(api, shop):
    from .conftest import envelope

    t = api.post("/templates", json={"table": "invoices", "name": "Bomb", "kind": "docx"}).get_json()
    real = make_docx(["x"])
    parts = {n: zipfile.ZipFile(io.BytesIO(real)).read(n) for n in zipfile.ZipFile(io.BytesIO(real)).namelist()}
    bomb = zip_of({**parts, "word/media/zeros.bin": 16 * 1024 * 1024})
    error = envelope(api.put(f"/templates/{t['id']}/docx", data={"file": (io.BytesIO(bomb), "bomb.docx")}), 422,
                     "DOCX_INVALID")
    assert "zip bomb" in error["message"] and api.get(f"/templates/{t['id']}").get_json()["docx"] is None


# --- limits and injection outside the HTML body -----------------------------------------------
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_word_documents_have_the_same_limits(shop):
    template = shop.docs.templates.create(shop.admin, {"table": "invoices", "name": "Big", "kind": "docx"})
    shop.docs.templates.attach_docx(shop.admin, template["id"], make_docx(
        ["{% for i in range(90000) %}{{ 'x' * 900 }}{% endfor %}"]), "big.docx")
    with pytest.raises(TemplateLimit) as exc:
        shop.docs.render(shop.admin, "invoices", shop.ids["invoice"], template["id"], "docx")
    assert exc.value.details["limit"] == "output"


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_file_names_and_email_texts_run_in_the_sandbox(shop):
    mail = DocumentMail(shop.docs)
    for i, payload in enumerate(PAYLOADS):
        for settings in ({"filename": payload}, {"email": {"subject": payload}}, {"email": {"body": payload}}):
            try:
                template = shop.template("<p>{{ number }}</p>", **settings)
            except CardfileError as exc:  # refused when saved (a tag that does not parse)
                check_blocked(exc)
                continue
            with pytest.raises(CardfileError) as exc:
                if "filename" in settings:
                    shop.docs.render(shop.admin, "invoices", shop.ids["invoice"], template["id"], "html")
                else:
                    mail.draft(shop.admin, "invoices", shop.ids["invoice"], template["id"])
            check_blocked(exc.value)
    assert LEAKS


def test_pictures_reach_the_pdf_once_however_many_pages(shop, runtime):
    import os

    from PIL import Image
    from pypdf import PdfReader

    from cardfile.reports.documents.batch import print_many

    picture = io.BytesIO()
    Image.frombytes("RGB", (120, 60), os.urandom(120 * 60 * 3)).save(picture, "PNG")
    logo = runtime.files.put(shop.admin, io.BytesIO(picture.getvalue()), "logo.png", "image/png")
    shop.docs.company.update(shop.admin, {"logo": logo})
    ids = [shop.ids["invoice"]] + [runtime.records.create(shop.admin, "invoices", {"number": f"P-{i}"})["id"]
                                   for i in range(2)]
    template = shop.template("<p>{{ number }}</p>{{ image(company.logo, width=30) }}")
    html = shop.html(shop.admin, template)
    assert 'class="cf-image" src="data:image/png;base64,' in html  # the browser gets the picture itself
    out = io.BytesIO()
    print_many(shop.docs, shop.admin, "invoices", template["id"], ids, "pdf", out)
    pages = PdfReader(io.BytesIO(out.getvalue())).pages
    assert len(pages) == 3 and all(len(page.images) == 1 for page in pages)
    assert len(out.getvalue()) < 3 * len(picture.getvalue())  # one picture object, drawn on each page
