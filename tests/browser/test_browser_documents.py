"""Documents in the browser, on the customer-accounting sample with demo data: every sample
template opened from a card's Print menu (a screenshot each), Send by email saying where to
set up mail, printing selected records of a list with progress, and the template editor
(a syntax error with its line and column, the live preview, a variable inserted, saved)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from cardfile.metamodel.packages import apply_package, load_package
from cardfile.metamodel.packages.demo import load_demo
from cardfile.metamodel.packages.samples import sample_path
from cardfile.metamodel.records.query import ListQuery
from cardfile.reports.documents import Documents
from cardfile.reports.documents.packages import install_templates

DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
SAMPLE_RECORDS = {"invoices": "Invoice for payment", "contracts": "Contract", "clients": "Client card"}


@pytest.fixture
def books(live, boss):
    pkg = load_package(sample_path("customer-accounting"))
    apply_package(live.rt, boss, pkg)
    load_demo(live.rt, boss, pkg)
    install_templates(live.rt, boss, pkg.name, pkg.templates)
    docs = Documents(live.rt)
    docs.company.update(boss, {"name": "Northwind Supply Ltd", "tax_id": "1003600012345", "bank": "Moldova Agroindbank",
                               "bank_code": "AGRNMD2X", "account": "MD24AG000000022512345678",
                               "address": "12 Harbour Road, Chisinau", "director": "Elena Petrov",
                               "accountant": "Victor Novak"})
    return {t["name"]: t for t in docs.templates.list(boss)}


def first(live, boss, table: str, **filters) -> dict:
    q = ListQuery(filters=[(k, "eq", v) for k, v in filters.items()], sort=["id"], per_page=1)
    return live.rt.records.list(boss, table, q)["records"][0]


def test_print_menu_shows_every_sample_and_email_says_where_to_set_up_mail(live, boss, books, new_page, sign_in, shot):
    page = new_page()
    sign_in(page)
    invoice = first(live, boss, "invoices", status="sent")
    page.goto(f"/t/invoices/{invoice['id']}")
    page.get_by_role("button", name="Print ▾").click()
    menu = page.locator("#print-menu")
    expect(menu).to_be_visible()
    for name in ("Invoice for payment", "Act of completed work", "Delivery note", "Invoice for payment (Word)"):
        expect(menu.locator(".print-entry", has_text=name).first).to_be_visible()
    shot(page, "40-card-print-menu")
    entry = menu.locator(".print-entry").filter(has=page.locator(".print-name", has_text=re.compile(r"^Invoice for payment$")))
    with page.expect_popup() as popup:
        entry.get_by_role("link", name="View").click()
    document = popup.value
    document.wait_for_load_state()
    expect(document.locator("h1")).to_contain_text(f"Invoice for payment No. {invoice['number']}")
    expect(document.locator("body")).to_contain_text("Amount in words")
    shot(document, "41-sample-invoice-for-payment")
    document.close()

    # Send by email: the dialog is filled from the template; without SMTP it says where to set it
    entry.get_by_role("button", name="Email…").click()
    dialog = page.locator("#email-dialog")
    expect(dialog).to_be_visible()
    expect(page.get_by_role("textbox", name="Subject", exact=True)).to_have_value(re.compile(f"Invoice {invoice['number']} of "))
    expect(page.get_by_role("textbox", name="To", exact=True)).not_to_have_value("")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#email-error")).to_contain_text("CARDFILE_SMTP_URL")
    page.get_by_role("button", name="Cancel").click()


def test_each_sample_document_in_the_browser(live, boss, books, new_page, sign_in, shot):
    page = new_page()
    sign_in(page)
    invoice = first(live, boss, "invoices", status="sent")
    records = {"invoices": invoice["id"], "contracts": first(live, boss, "contracts")["id"],
               "clients": invoice["client"]["id"], "products": first(live, boss, "products")["id"]}
    for name, template in books.items():
        if template["kind"] != "html":
            continue
        page.goto(f"/api/v1/tables/{template['table']}/print/{template['id']}/{records[template['table']]}?format=html")
        expect(page.locator(".cf-page").first).to_be_visible()
        assert "[not readable" not in page.content()
        shot(page, "42-sample-" + re.sub(r"\W+", "-", name.lower()).strip("-"))


def test_print_selected_records_of_a_list(live, boss, books, new_page, sign_in, shot):
    page = new_page()
    sign_in(page)
    page.goto("/t/products")
    boxes = page.locator(".row-select")
    boxes.nth(0).check()
    boxes.nth(1).check()
    boxes.nth(2).check()
    page.get_by_role("button", name="Print ▾").click()
    tags = page.locator("form[data-list-print]", has_text="Price tags")
    with page.expect_navigation():
        tags.get_by_role("button", name="Selected (3)").click()
    expect(page.get_by_role("link", name="Download")).to_be_visible(timeout=30000)
    expect(page.locator("#run-text")).to_contain_text("3")
    shot(page, "43-print-run")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"%PDF")


def test_the_template_editor(live, boss, books, new_page, sign_in, shot, tmp_path):
    page = new_page(viewport={"width": 1440, "height": 900})
    sign_in(page)
    page.goto("/documents/")
    with page.expect_navigation():
        page.get_by_role("link", name="Act of completed work").click()
    body = page.locator("#tpl-body")
    expect(page.locator("#tpl-preview")).to_have_attribute("src", re.compile("/api/v1/templates/preview/"))
    frame = page.frame_locator("#tpl-preview")
    expect(frame.locator("h1")).to_contain_text("ACT No.")
    page.wait_for_timeout(300)
    DOCS_IMAGES.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS_IMAGES / "documents-editor.png"))

    # a mistake on line 3: the check names the line and the column
    original = body.input_value()
    body.fill("<h1>Act {{ number }}</h1>\n<p>fine</p>\n<p>{{ client.name }</p>\n")
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#tpl-problems .errors")).to_contain_text("line 3, column")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#tpl-problems .errors")).to_contain_text("Syntax error at line 3")
    assert Documents(live.rt).templates.get(boss, books["Act of completed work"]["id"])["version"] == 1

    # a name the table does not have is listed; a variable clicked goes in at the cursor
    body.fill("<h1>Act {{ number }}</h1>\n<p>{{ clent.name }}</p>\n<p>Client: </p>\n")
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#tpl-problems .unknown")).to_contain_text("clent")
    body.fill(original)
    body.evaluate("(el) => { el.focus(); el.setSelectionRange(0, 0); }")
    page.locator(".variables button.var", has_text=re.compile(r"^due_date$")).click()
    expect(body).to_have_value(re.compile(r"^\{\{ due_date \}\}"))
    expect(frame.locator("body")).to_contain_text(re.compile(r"\d{4}"))
    page.get_by_label("Paper").select_option("A5")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#tpl-state")).to_have_text("Saved.")
    saved = Documents(live.rt).templates.get(boss, books["Act of completed work"]["id"])
    assert saved["version"] == 2 and saved["body"].startswith("{{ due_date }}") and saved["settings"]["paper"]["size"] == "A5"
    shot(page, "44-template-editor")

    # a Word template: upload a file with a misspelt placeholder, the page lists it
    word = books["Invoice for payment (Word)"]
    page.goto(f"/documents/{word['id']}")
    from docx import Document

    upload = tmp_path / "misspelt.docx"
    made = Document()
    made.add_paragraph("Invoice {{ number }} for {{ clinet.name }}")
    made.save(str(upload))
    page.locator("#docx-file").set_input_files(str(upload))
    expect(page.locator("#tpl-problems")).to_contain_text("clinet")
    expect(page.locator("#docx-current")).to_contain_text("misspelt.docx")
