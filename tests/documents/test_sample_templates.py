"""The customer-accounting sample's print templates: installed from the package's templates/
folder, re-applied without duplicates (keeping the owner's edits), and every one printed
against demo data and read back (PDF with pdftotext, DOCX with python-docx and opened in
LibreOffice)."""

from __future__ import annotations

import io
import shutil
import zipfile

import pytest

from cardfile.metamodel.errors import PackageInvalid
from cardfile.metamodel.packages import apply_package, load_package, validate_package
from cardfile.metamodel.packages.demo import load_demo
from cardfile.metamodel.packages.samples import sample_path
from cardfile.metamodel.records.query import ListQuery
from cardfile.reports.documents import Documents
from cardfile.reports.documents.batch import print_many, select_ids
from cardfile.reports.documents.packages import install_templates

from . import sample_docx
from .docx_files import docx_text, make_docx
from .readback import libreoffice_pdf, pdf_pages, pdf_text

SAMPLES = {"Invoice for payment", "Invoice for payment (Word)", "Contract", "Contract (Word)",
           "Act of completed work", "Delivery note", "Price tags", "Client card"}
COMPANY = {"name": "Northwind Supply Ltd", "tax_id": "1003600012345", "address": "12 Harbour Road, Chisinau",
           "bank": "Moldova Agroindbank", "bank_code": "AGRNMD2X", "account": "MD24AG000000022512345678",
           "director": "Elena Petrov", "accountant": "Victor Novak"}


@pytest.fixture
def sample():
    return load_package(sample_path("customer-accounting"))


def test_the_package_lists_its_templates(sample, runtime):
    assert {t.definition["name"] for t in sample.templates} == SAMPLES
    validate_package(sample, runtime.registry)
    kinds = {t.definition["name"]: t.definition["kind"] for t in sample.templates}
    assert kinds["Invoice for payment (Word)"] == kinds["Contract (Word)"] == "docx"
    for template in sample.templates:  # the Word files are what sample_docx.py makes
        if template.definition["kind"] == "docx":
            made = sample_docx.build()[template.definition["file"]]
            assert docx_text(template.content) == docx_text(made)


def test_installing_and_reapplying(sample, runtime, admin, tmp_path):
    apply_package(runtime, admin, sample)
    assert install_templates(runtime, admin, sample.name, sample.templates) == \
        {"created": 8, "updated": 0, "unchanged": 0, "kept": 0}
    assert install_templates(runtime, admin, sample.name, sample.templates)["unchanged"] == 8
    docs = Documents(runtime)
    listed = {t["name"]: t for t in docs.templates.list(admin)}
    assert set(listed) == SAMPLES and listed["Price tags"]["settings"]["layout"] == "flow"
    assert listed["Contract (Word)"]["docx"]["name"] == "contract.docx"
    # the owner changes the invoice; a package upgrade changes the act: the edit is kept
    invoice = listed["Invoice for payment"]
    docs.templates.update(admin, invoice["id"], {"body": invoice["body"] + "<p>Our own footer</p>",
                                                 "version": invoice["version"]})
    word = listed["Invoice for payment (Word)"]  # and uploads a Word file of their own
    docs.templates.attach_docx(admin, word["id"], make_docx(["Our invoice {{ number }}"]), "ours.docx")
    copy = tmp_path / "package"
    shutil.copytree(sample.root, copy)
    (copy / "templates" / "act.html").write_text((copy / "templates" / "act.html").read_text() + "<!-- v2 -->")
    upgraded = load_package(copy)
    assert install_templates(runtime, admin, sample.name, upgraded.templates) == \
        {"created": 0, "updated": 1, "unchanged": 5, "kept": 2}
    assert docs.templates.get(admin, word["id"])["docx"]["name"] == "ours.docx"
    assert docs.templates.get(admin, invoice["id"])["body"].endswith("<p>Our own footer</p>")
    act = docs.templates.get(admin, listed["Act of completed work"]["id"])
    assert act["body"].endswith("<!-- v2 -->") and act["version"] == 2
    assert [v["action"] for v in docs.templates.versions(admin, act["id"])] == ["package", "create"]


def test_a_broken_templates_folder_is_refused_with_places(sample, tmp_path):
    copy = tmp_path / "package"
    shutil.copytree(sample.root, copy)
    (copy / "templates" / "act.yaml").write_text("name: Act\ntable: invoices\nkind: html\nfile: missing.html\npaper: A4\n")
    with pytest.raises(PackageInvalid) as exc:
        load_package(copy)
    places = {(p["file"], p["path"]) for p in exc.value.details["problems"]}
    assert ("templates/act.yaml", "$.paper") in places


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_every_sample_prints_on_demo_data(sample, runtime, admin):
    apply_package(runtime, admin, sample)
    load_demo(runtime, admin, sample)
    install_templates(runtime, admin, sample.name, sample.templates)
    docs = Documents(runtime)
    docs.company.update(admin, COMPANY)
    by_name = {t["name"]: t for t in docs.templates.list(admin)}
    records = runtime.records
    invoice = records.list(admin, "invoices", ListQuery(filters=[("status", "eq", "sent")], sort=["id"]))["records"][0]
    contracts = records.list(admin, "contracts", ListQuery(sort=["id"], per_page=200))["records"]
    with_invoices = next(c for c in contracts if records.list(
        admin, "invoices", ListQuery(filters=[("contract", "eq", str(c["id"]))]))["total"])
    client = invoice["client"]["id"]

    def pdf(name, table, record_id):
        return pdf_text(docs.render(admin, table, record_id, by_name[name]["id"], "pdf", keep=False).data)

    text = pdf("Invoice for payment", "invoices", invoice["id"])
    assert f"Invoice for payment No. {invoice['number']}" in text and "MD24AG000000022512345678" in text
    assert "Amount in words:" in text and "euros" in text and "VAT rate" in text
    text = pdf("Act of completed work", "invoices", invoice["id"])
    assert f"ACT No. {invoice['number']}" in text and "no claims" in text
    text = pdf("Delivery note", "invoices", invoice["id"])
    assert f"DELIVERY NOTE No. {invoice['number']}" in text and "Received by" in text
    text = pdf("Contract", "contracts", with_invoices["id"])
    assert f"CONTRACT No. {with_invoices['number']}" in text and "specification" in text and "Elena Petrov" in text
    text = pdf("Client card", "clients", client)
    assert invoice["number"] in text and "Contact persons" in text
    products = select_ids(runtime, admin, "products", query=ListQuery(sort=["id"]))
    out = io.BytesIO()
    print_many(docs, admin, "products", by_name["Price tags"]["id"], products, "pdf", out)
    assert pdf_pages(out.getvalue()) == -(-len(products) // 21)  # 3 × 7 tags a sheet
    word = docs.render(admin, "invoices", invoice["id"], by_name["Invoice for payment (Word)"]["id"], "docx")
    assert f"Invoice for payment No. {invoice['number']}" in docx_text(word.data)
    assert "euros" in docx_text(word.data) and "{{" not in docx_text(word.data)
    contract = docs.render(admin, "contracts", with_invoices["id"], by_name["Contract (Word)"]["id"], "docx")
    assert f"CONTRACT No. {with_invoices['number']}" in docx_text(contract.data)
    # LibreOffice opens both generated Word files
    for data, number in ((word.data, invoice["number"]), (contract.data, with_invoices["number"])):
        assert number in pdf_text(libreoffice_pdf(data))
