"""Printing many records into one document: PDF pages, labels on shared sheets, HTML, a ZIP of
DOCX files; the records chosen by id or by filter, as the acting user; kept copies."""

from __future__ import annotations

import io
import zipfile

import pytest

from cardfile.metamodel.errors import CardfileError, NotFound
from cardfile.metamodel.records.query import ListQuery
from cardfile.reports.documents.batch import CHUNK, PrintJobs, print_many, select_ids

from .conftest import envelope
from .docx_files import docx_text, make_docx
from .readback import pdf_pages, pdf_text


def invoices(shop, rt, count: int, **values) -> list[int]:
    return [rt.records.create(shop.admin, "invoices", {"number": f"B-{i:03}", "client": shop.ids["client"],
                                                       "status": "draft", **values})["id"] for i in range(count)]


def render(shop, actor, template, ids, fmt="pdf", progress=None) -> bytes:
    out = io.BytesIO()
    print_many(shop.docs, actor, "invoices", template["id"], ids, fmt, out, progress)
    return out.getvalue()


def test_a_pdf_with_a_page_per_record_in_the_order_given(shop, runtime):
    ids = invoices(shop, runtime, CHUNK + 3)  # more than one chunk: pages are joined
    template = shop.template("<h1>Invoice {{ number }}</h1><p>{{ client.name }}</p>")
    seen = []
    chosen = list(reversed(ids))
    data = render(shop, shop.admin, template, chosen, progress=lambda done, total: seen.append((done, total)))
    assert pdf_pages(data) == len(chosen)
    text = pdf_text(data)
    positions = [text.index(f"Invoice B-{i:03}") for i in reversed(range(len(ids)))]
    assert positions == sorted(positions) and text.count("Romashka LLC") == len(chosen)
    assert seen[0] == (0, len(chosen)) and seen[-1] == (len(chosen), len(chosen))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_large_batch_is_laid_out_on_worker_processes(shop, runtime, monkeypatch):
    from cardfile.reports.documents import batch

    monkeypatch.setattr(batch, "CHUNK", 2)  # 7 records: 4 chunks, more than two: the workers take them
    made = []
    monkeypatch.setattr(batch.PdfMaker, "__enter__", lambda self: made.append(self.workers) or self.start())
    ids = invoices(shop, runtime, 7)
    shop.docs.workers = 2
    template = shop.template("<h1>Invoice {{ number }}</h1>")
    seen = []
    data = render(shop, shop.admin, template, ids, progress=lambda done, total: seen.append(done))
    assert made == [2] and pdf_pages(data) == 7 and seen == [0, 2, 4, 6, 7]
    text = pdf_text(data)
    assert [text.index(f"B-{i:03}") for i in range(7)] == sorted(text.index(f"B-{i:03}") for i in range(7))


def test_labels_share_sheets_in_the_flow_layout(shop, runtime):
    ids = invoices(shop, runtime, 12)
    template = shop.template('<div style="width: 55mm; height: 30mm; border: 1px solid">{{ number }}</div>',
                             layout="flow")
    data = render(shop, shop.admin, template, ids)
    assert pdf_pages(data) == 1 and all(f"B-{i:03}" in pdf_text(data) for i in range(12))
    html = render(shop, shop.admin, template, ids, "html").decode()
    assert html.count('class="cf-item"') == 12 and html.count('class="cf-page cf-flow"') == 1


def test_docx_records_go_into_a_zip_with_distinct_names(shop, runtime):
    ids = invoices(shop, runtime, 3)
    template = shop.docs.templates.create(shop.admin, {"table": "invoices", "name": "Word", "kind": "docx",
                                                       "settings": {"filename": "Invoice"}})
    shop.docs.templates.attach_docx(shop.admin, template["id"], make_docx(["Invoice {{ number }} for {{ client.name }}"]),
                                    "w.docx")
    data = render(shop, shop.admin, template, ids, "docx")
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.namelist() == ["Invoice.docx", "Invoice (2).docx", "Invoice (3).docx"]
    assert "Invoice B-001 for Romashka LLC" in docx_text(archive.read("Invoice (2).docx"))


def test_the_records_a_clerk_prints_are_those_they_may_read(shop, runtime, clerk):
    mine = runtime.records.create(shop.admin, "clients", {"name": "Mine Ltd", "tax_id": "SECRET-TAX", "manager": clerk.id})
    own = invoices(shop, runtime, 2, client=mine["id"])
    other = invoices(shop, runtime, 2)  # invoices of a client outside the clerk's scope
    template = shop.template("<p>{{ number }} {{ client.name }} {{ client.tax_id }}</p>")
    chosen = select_ids(runtime, clerk, "invoices", query=ListQuery(sort=["id"]))
    assert set(own) <= set(chosen) and set(other) <= set(chosen)  # invoices themselves are readable
    text = pdf_text(render(shop, clerk, template, own + other))
    assert "Mine Ltd" in text and "Romashka" not in text and "SECRET-TAX" not in text
    assert text.count("[not readable: client.tax_id]") == 2  # a client out of scope is an empty link


def test_a_record_that_cannot_be_printed_stops_the_run_naming_it(shop, runtime, viewer):
    ids = invoices(shop, runtime, 2)
    template = shop.template("<p>{{ 100 // number.raw|length }}</p>")
    with pytest.raises(NotFound) as exc:
        render(shop, shop.admin, template, [ids[0], 999999])
    assert exc.value.details["record"] == 999999 and "Record #999999" in exc.value.message
    runtime.records.update(shop.admin, "invoices", ids[1], {"number": "", "version": 1})
    with pytest.raises(CardfileError) as exc:
        render(shop, shop.admin, template, ids)
    assert exc.value.details["record"] == ids[1]
    with pytest.raises(CardfileError) as exc:
        select_ids(runtime, viewer, "invoices", ids=ids)
    assert exc.value.code == "ACCESS_DENIED"


def test_keep_copy_attaches_each_records_pdf(shop, runtime):
    ids = invoices(shop, runtime, 2)
    template = shop.template("<h1>{{ number }}</h1>", keep_copy=True, filename="Invoice {{ number }}")
    render(shop, shop.admin, template, ids)
    shop.docs.render(shop.admin, "invoices", ids[0], template["id"], "html")  # HTML previews are not kept
    for record_id, number in zip(ids, ("B-000", "B-001")):
        kept = shop.docs.copies.list(shop.admin, "invoices", record_id)
        assert [(k["action"], k["file"], k["format"]) for k in kept] == [("printed", f"Invoice {number}.pdf", "pdf")]
        path, media, name = shop.docs.copies.open(shop.admin, "invoices", record_id, kept[0]["sha256"])
        assert media == "application/pdf" and number in pdf_text(path.read_bytes())
        history = runtime.records.history(shop.admin, "invoices", record_id)
        assert history[-1]["action"] == "printed" and history[-1]["changes"]["_document"]["sha256"] == kept[0]["sha256"]
    with pytest.raises(NotFound):
        shop.docs.copies.open(shop.admin, "invoices", ids[1], "0" * 64)


def test_print_jobs_belong_to_their_user(shop, runtime, tmp_path):
    ids = invoices(shop, runtime, 3)
    template = shop.template("<h1>{{ number }}</h1>")
    jobs = PrintJobs(tmp_path)
    token = jobs.create(shop.admin.id, "invoices", template, "pdf", len(ids))
    jobs.run(token, lambda out, progress: print_many(shop.docs, shop.admin, "invoices", template["id"], ids, "pdf",
                                                     out, progress))
    state = jobs.get(token, shop.admin.id)
    assert (state["state"], state["done"], state["total"]) == ("done", 3, 3)
    path, meta = jobs.output(token, shop.admin.id)
    assert pdf_pages(path.read_bytes()) == 3 and meta["filename"] == f"{template['name']} (3).pdf"
    with pytest.raises(NotFound):
        jobs.get(token, shop.admin.id + 1)
    failing = jobs.create(shop.admin.id, "invoices", template, "pdf", 1)
    jobs.run(failing, lambda out, progress: print_many(shop.docs, shop.admin, "invoices", template["id"], [999999],
                                                       "pdf", out, progress))
    assert jobs.get(failing, shop.admin.id)["state"] == "failed"
    assert "999999" in jobs.get(failing, shop.admin.id)["error"]


# --- the API ------------------------------------------------------------------------------------
def test_printing_a_filtered_set_over_the_api(api, shop, rt):
    ids = invoices(shop, rt, 4)
    rt.records.update(shop.admin, "invoices", ids[2], {"status": "paid", "version": 1})
    t = api.post("/templates", json={"table": "invoices", "name": "Batch", "kind": "html",
                                     "body": "<h1>Invoice {{ number }}</h1>"}).get_json()
    url = f"/tables/invoices/print/{t['id']}"
    response = api.post(url, json={"where": 'status == "paid"', "sort": "-id"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["X-Record-Count"] == "2" and "attachment" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert text.index("B-002") < text.index("INV-7") and "B-000" not in text
    response = api.post(url, json={"ids": [ids[1], ids[0]], "format": "html"})
    assert response.mimetype == "text/html" and response.get_data(as_text=True).count('class="cf-page"') == 2
    assert api.post(url, json={"filter": ["status:eq:draft"]}).headers["X-Record-Count"] == "3"
    envelope(api.post(url, json={"ids": [ids[0]], "where": "true"}), 400, "BAD_QUERY")
    envelope(api.post(url, json={"format": "docx"}), 400, "BAD_QUERY")
    envelope(api.post(url, json={"formats": "pdf"}), 400, "UNKNOWN_KEYS")
    envelope(api.post(url, json={"ids": []}), 422, "VALIDATION_FAILED")
    envelope(api.post(url, json={"where": "nosuchfield > 1"}), 422, "FORMULA_UNKNOWN_NAME")
    envelope(api.post(url, json={"filter": ["number:eq:nothing-like-this"]}), 404, "NOT_FOUND")
    envelope(api.post("/tables/invoices/print/9999", json={}), 404, "TEMPLATE_NOT_FOUND")
    spec = api.get("/openapi.json").get_json()
    op = spec["paths"]["/tables/{table}/print/{template_id}"]["post"]
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    assert {"format", "ids", "filter", "where"} <= set(schema["properties"])
    assert schema["properties"]["format"]["enum"] == ["html", "pdf", "docx"]
    assert set(op["responses"]["200"]["content"]) == {"application/pdf", "text/html", "application/zip"}


def test_kept_copies_over_the_api(api, clerk_api, shop, rt, clerk):
    t = api.post("/templates", json={"table": "invoices", "name": "Kept", "kind": "html", "body": "<h1>{{ number }}</h1>",
                                     "settings": {"keep_copy": True}}).get_json()
    invoice = shop.ids["invoice"]
    assert api.get(f"/tables/invoices/print/{t['id']}/{invoice}?format=pdf").status_code == 200
    listed = api.get(f"/tables/invoices/records/{invoice}/documents").get_json()["documents"]
    assert len(listed) == 1 and listed[0]["action"] == "printed" and listed[0]["user"] == "Admin"
    file = api.get(f"/tables/invoices/records/{invoice}/documents/{listed[0]['sha256']}?download=1")
    assert file.status_code == 200 and file.data.startswith(b"%PDF") and "attachment" in file.headers["Content-Disposition"]
    envelope(api.get(f"/tables/invoices/records/{invoice}/documents/{'a' * 64}"), 404, "NOT_FOUND")
    # the clerk may print invoices: sees the copy; another table's record id is not a way in
    assert clerk_api.get(f"/tables/invoices/records/{invoice}/documents").status_code == 200
    envelope(clerk_api.get(f"/tables/clients/records/{shop.ids['client']}/documents"), 404, "RECORD_NOT_FOUND")


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_docx_zip_over_the_api(api, shop, rt):
    t = api.post("/templates", json={"table": "invoices", "name": "W", "kind": "docx"}).get_json()
    api.put(f"/templates/{t['id']}/docx", data={"file": (io.BytesIO(make_docx(["No {{ number }}"])), "w.docx")},
            content_type="multipart/form-data")
    response = api.post(f"/tables/invoices/print/{t['id']}", json={"format": "docx"})
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert [docx_text(archive.read(n)) for n in archive.namelist()] == ["No INV-7"]
