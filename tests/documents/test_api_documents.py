"""Templates and documents over the REST API: statuses, envelopes, the access rules."""

from __future__ import annotations

from .conftest import envelope
from .docx_files import make_docx


def make(api, **extra):
    body = {"table": "invoices", "name": "Invoice", "kind": "html", "body": "<h1>{{ number }}</h1>{{ client.tax_id }}",
            **extra}
    response = api.post("/templates", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_crud_over_the_api(api, shop):
    t = make(api)
    assert api.get(f"/templates/{t['id']}").get_json()["body"].startswith("<h1>")
    changed = api.patch(f"/templates/{t['id']}", json={"body": "<h2>{{ number }}</h2>", "version": 1})
    assert changed.status_code == 200 and changed.get_json()["version"] == 2
    envelope(api.patch(f"/templates/{t['id']}", json={"body": "x", "version": 1}), 409, "STALE_VERSION")
    assert [v["version"] for v in api.get(f"/templates/{t['id']}/versions").get_json()["versions"]] == [2, 1]
    assert api.post(f"/templates/{t['id']}/revert", json={"version": 1}).get_json()["body"].startswith("<h1>")
    listed = api.get("/tables/invoices/templates").get_json()["templates"]
    assert [x["name"] for x in listed] == ["Invoice"] and listed[0]["usable"] and listed[0]["designable"]
    assert api.delete(f"/templates/{t['id']}").get_json() == {"id": t["id"], "trashed": True}
    envelope(api.get(f"/templates/{t['id']}"), 404, "TEMPLATE_NOT_FOUND")
    assert api.post(f"/templates/{t['id']}/restore").status_code == 200


def test_a_syntax_error_is_422_with_line_and_column(api, shop):
    error = envelope(api.post("/templates", json={"table": "invoices", "name": "X", "kind": "html",
                                                  "body": "ok\n{{ number }\n"}), 422, "TEMPLATE_INVALID")
    assert (error["details"]["line"], error["details"]["column"]) == (2, 11)
    assert api.get("/tables/invoices/templates").get_json()["templates"] == []


def test_printing_one_record(api, clerk_api, shop, rt, clerk):
    t = make(api)
    html = api.get(f"/tables/invoices/print/{t['id']}/{shop.ids['invoice']}?format=html")
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert "INV-7" in html.get_data(as_text=True) and "TAX-7701234567" in html.get_data(as_text=True)
    assert "sandbox" in html.headers["Content-Security-Policy"]
    pdf = api.get(f"/tables/invoices/print/{t['id']}/{shop.ids['invoice']}?format=pdf&download=1")
    assert pdf.data.startswith(b"%PDF") and pdf.headers["Content-Disposition"].startswith("attachment")
    envelope(api.get(f"/tables/invoices/print/{t['id']}/{shop.ids['invoice']}?format=docx"), 400,
             "BAD_QUERY")
    envelope(api.get(f"/tables/invoices/print/{t['id']}/999"), 404, "RECORD_NOT_FOUND")
    # the clerk may not read the client's tax id: the printed page says so and shows no value
    rt.records.update(shop.admin, "clients", shop.ids["client"], {"manager": clerk.id, "version": 1})
    page = clerk_api.get(f"/tables/invoices/print/{t['id']}/{shop.ids['invoice']}?format=html")
    assert "[not readable: client.tax_id]" in page.get_data(as_text=True)
    assert "TAX-7701234567" not in page.get_data(as_text=True)


def test_the_editor_endpoints(api, shop):
    preview = api.post("/templates/preview", json={"table": "invoices", "body": "<b>{{ number }}</b>"})
    assert preview.status_code == 200 and "<b>INV-7</b>" in preview.get_json()["html"]
    check = api.post("/templates/check", json={"table": "invoices", "body": "{{ clent.name }} {{ client.nmae }}\n"
                                                                             "{% for l in lines %}{{ l.itm }}{% endfor %}"})
    assert check.get_json() == {"ok": False, "errors": [], "unknown": [
        {"name": "clent", "line": 1}, {"name": "client.nmae", "line": 1}, {"name": "l.itm", "line": 2}]}
    bad = api.post("/templates/check", json={"table": "invoices", "body": "{% if %}"}).get_json()
    assert bad["ok"] is False and bad["errors"][0]["line"] == 1
    groups = api.get("/tables/invoices/template-variables").get_json()["groups"]
    names = {item["name"] for group in groups for item in group["items"]}
    assert {"number", "client.name", "client.tax_id", "lines", "payments", "company.name", "words"} <= names


def test_clerks_may_not_design(clerk_api, shop):
    envelope(clerk_api.post("/templates", json={"table": "invoices", "name": "x", "kind": "html", "body": "x"}),
             403, "ACCESS_DENIED")
    envelope(clerk_api.post("/templates/preview", json={"table": "invoices", "body": "x"}), 403, "ACCESS_DENIED")
    envelope(clerk_api.put("/company", json={"name": "Mine"}), 403, "ACCESS_DENIED")


def test_docx_upload_checks(api, shop):
    t = api.post("/templates", json={"table": "invoices", "name": "Word", "kind": "docx"}).get_json()
    bad = api.put(f"/templates/{t['id']}/docx", data={"file": (__import__("io").BytesIO(b"not a docx"), "x.docx")})
    envelope(bad, 422, "DOCX_INVALID")
    good = api.put(f"/templates/{t['id']}/docx", data={"file": (__import__("io").BytesIO(
        make_docx(["Invoice {{ number }} {{ nmber }}"])), "invoice.docx")})
    assert good.status_code == 200 and good.get_json()["unknown"] == ["nmber"]
    back = api.get(f"/templates/{t['id']}/docx")
    assert back.data.startswith(b"PK")


def test_company_details(api, shop):
    assert api.put("/company", json={"name": "Acme SRL", "tax_id": "1234"}).get_json()["name"] == "Acme SRL"
    envelope(api.put("/company", json={"nmae": "x"}), 400, "UNKNOWN_KEYS")
    envelope(api.put("/company", json={"logo": {"sha256": "0" * 64}}), 422, "VALIDATION_FAILED")
    assert api.get("/company").get_json()["tax_id"] == "1234"
