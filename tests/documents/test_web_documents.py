"""Documents in the browser: the Print menus of cards and lists, print runs with progress, the
copies page, the template pages and the editor's preview frame, with the access rules."""

from __future__ import annotations

import re
import time

import pytest

from .readback import pdf_pages, pdf_text


def form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, html[:2000]
    return match.group(1)


def page_token(html: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


def signed_in(app, username: str, password: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": form_token(page)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


@pytest.fixture
def boss(app, shop):
    return signed_in(app, "admin", "admin-password")


def test_the_card_has_a_print_menu_of_usable_templates(app, boss, shop, runtime, clerk, viewer):
    invoice_t = shop.template("<h1>{{ number }}</h1>")
    word = shop.docs.templates.create(shop.admin, {"table": "invoices", "name": "Word one", "kind": "docx"})
    secret = shop.template("<p>{{ number }}</p>", groups=["bosses"])
    html = boss.get(f"/t/invoices/{shop.ids['invoice']}").get_data(as_text=True)
    assert 'id="print-menu"' in html and html.count('class="print-entry"') == 3
    assert f"/api/v1/tables/invoices/print/{invoice_t['id']}/{shop.ids['invoice']}?format=pdf" in html
    assert f"/api/v1/tables/invoices/print/{word['id']}/{shop.ids['invoice']}?format=docx" in html
    assert 'id="email-dialog"' in html and "/documents/t/invoices/1/copies" in html
    runtime.records.update(shop.admin, "clients", shop.ids["client"], {"manager": clerk.id, "version": 1})
    clerk_page = signed_in(app, "clerk", "clerk-password").get(f"/t/invoices/{shop.ids['invoice']}").get_data(as_text=True)
    assert 'id="print-menu"' in clerk_page and secret["name"] not in clerk_page and invoice_t["name"] in clerk_page
    viewer_page = signed_in(app, "viewer", "viewer-password").get(f"/t/invoices/{shop.ids['invoice']}")
    assert viewer_page.status_code == 200 and 'id="print-menu"' not in viewer_page.get_data(as_text=True)
    assert 'id="print-menu"' not in boss.get("/t/clients/1").get_data(as_text=True)  # no templates there


def wait_for(client, run_url: str) -> dict:
    for _ in range(300):
        status = client.get(run_url + "/status").get_json()
        if status["state"] != "running":
            return status
        time.sleep(0.1)
    raise AssertionError("the print run did not finish")


def test_printing_a_list_all_matching_and_selected(app, boss, shop, runtime):
    for number in ("L-1", "L-2", "L-3"):
        runtime.records.create(shop.admin, "invoices", {"number": number, "status": "draft"})
    template = shop.template("<h1>Invoice {{ number }}</h1>")
    page = boss.get("/t/invoices?filter=status:eq:draft").get_data(as_text=True)
    assert 'id="list-print-menu"' in page and "All matching (3)" in page
    action = re.search(r'action="(/documents/t/invoices/print/\d+\?[^"]*)"', page).group(1).replace("&amp;", "&")
    response = boss.post(action, data={"csrf_token": form_token(page), "scope": "all", "format": "pdf"})
    assert response.status_code == 302 and "/documents/runs/" in response.headers["Location"]
    run_url = response.headers["Location"]
    assert wait_for(boss, run_url)["state"] == "done"
    assert "Download" in boss.get(run_url).get_data(as_text=True)
    file = boss.get(run_url + "/file")
    data = file.get_data()
    assert file.mimetype == "application/pdf" and pdf_pages(data) == 3 and "L-2" in pdf_text(data)
    assert "INV-7" not in pdf_text(data)
    selected = boss.post(f"/documents/t/invoices/print/{template['id']}",
                         data={"csrf_token": form_token(page), "scope": "selected", "ids": f"{shop.ids['invoice']}"})
    other = signed_in(app, "admin", "admin-password")
    assert other.get(selected.headers["Location"] + "/status").get_json()["state"] in ("running", "done")
    assert wait_for(boss, selected.headers["Location"])["total"] == 1
    assert boss.get("/documents/runs/" + "x" * 24 + "/status").status_code == 404


def test_a_failed_run_says_why(app, boss, shop):
    template = shop.template("<p>{{ barcode(number) }}</p>")  # INV-7 is no EAN-13 code
    page = boss.get("/t/invoices").get_data(as_text=True)
    response = boss.post(f"/documents/t/invoices/print/{template['id']}",
                         data={"csrf_token": form_token(page), "scope": "all"})
    status = wait_for(boss, response.headers["Location"])
    assert status["state"] == "failed" and "Record #1" in status["error"] and "EAN-13" in status["error"]


def test_template_pages_and_the_preview_frame(app, boss, shop, clerk):
    template = shop.template("<h1>{{ number }}</h1><style>h1 { color: red }</style>")
    listing = boss.get("/documents/").get_data(as_text=True)
    assert template["name"] in listing and "Invoices" in listing
    editor = boss.get(f"/documents/{template['id']}")
    assert editor.status_code == 200 and 'id="tpl-body"' in editor.get_data(as_text=True)
    new = boss.get("/documents/new?table=invoices").get_data(as_text=True)
    created = boss.post("/documents/new", data={"csrf_token": form_token(new), "table": "invoices", "name": "Fresh",
                                                "kind": "html"})
    assert created.status_code == 302 and "/documents/" in created.headers["Location"]
    clash = boss.post("/documents/new", data={"csrf_token": form_token(new), "table": "invoices", "name": "Fresh",
                                              "kind": "html"})
    assert clash.status_code == 422 and "already has a template named" in clash.get_data(as_text=True)
    token = page_token(editor.get_data(as_text=True))
    preview = boss.post("/api/v1/templates/preview", headers={"X-CSRF-Token": token},
                        json={"table": "invoices", "body": "<b>{{ number }}</b>", "frame": True}).get_json()
    frame = boss.get(preview["frame"])
    assert frame.status_code == 200 and "<b>INV-7</b>" in frame.get_data(as_text=True)
    assert "sandbox" in frame.headers["Content-Security-Policy"] and "'unsafe-inline'" in frame.headers["Content-Security-Policy"]
    clerk_client = signed_in(app, "clerk", "clerk-password")
    assert clerk_client.get(preview["frame"]).status_code == 404  # someone else's preview
    assert clerk_client.get(f"/documents/{template['id']}").status_code == 403
    assert clerk_client.get("/documents/").status_code == 403
    company = boss.get("/documents/company")
    assert company.status_code == 200 and 'id="company-form"' in company.get_data(as_text=True)
    assert clerk_client.get("/documents/company").status_code == 403


def test_the_copies_page(app, boss, shop):
    template = shop.template("<h1>{{ number }}</h1>", keep_copy=True)
    assert boss.get(f"/api/v1/tables/invoices/print/{template['id']}/{shop.ids['invoice']}?format=pdf").status_code == 200
    page = boss.get(f"/documents/t/invoices/{shop.ids['invoice']}/copies").get_data(as_text=True)
    assert template["name"] in page and "printed" in page and ".pdf" in page
    card = boss.get(f"/t/invoices/{shop.ids['invoice']}").get_data(as_text=True)
    assert "document kept" in card and f"{template['name']} INV-7.pdf (SHA-256 " in card
