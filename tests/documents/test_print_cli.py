"""`cardfile print TABLE TEMPLATE [--id N | --where EXPR] -o FILE` on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import zipfile

import pytest
from click.testing import CliRunner

from cardfile.platform.cli import cli

from .docx_files import docx_text, make_docx
from .readback import pdf_pages, pdf_text


@pytest.fixture
def run(settings, shop):
    env = {"CARDFILE_DATA_DIR": str(settings.data_dir), "CARDFILE_DATABASE_URL": settings.database_url,
           "CARDFILE_DB_SCHEMA": settings.db_schema or "", "CARDFILE_SECRET_KEY": "test-secret"}

    def invoke(*args):
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


def test_print_one_record_and_a_filtered_set(run, shop, runtime, tmp_path):
    for number in ("X-1", "X-2"):
        runtime.records.create(shop.admin, "invoices", {"number": number, "status": "draft"})
    template = shop.template("<h1>Invoice {{ number }}</h1>{{ words(total) if total else '' }}", language="ru")
    one = tmp_path / "one.pdf"
    result = run("print", "invoices", template["name"], "--id", str(shop.ids["invoice"]), "-o", str(one))
    assert result.exit_code == 0, result.output
    assert "Invoice INV-7" in pdf_text(one.read_bytes()) and "Одна тысяча двести рублей 50 копеек" in pdf_text(one.read_bytes())
    many = tmp_path / "drafts.pdf"
    result = run("print", "invoices", str(template["id"]), "--where", 'status == "draft"', "--sort", "-number",
                 "-o", str(many))
    assert result.exit_code == 0, result.output
    assert "Printed 2 record(s)" in result.output and "2/2" in result.output
    text = pdf_text(many.read_bytes())
    assert pdf_pages(many.read_bytes()) == 2 and text.index("X-2") < text.index("X-1")
    page = tmp_path / "all.html"
    assert run("print", "invoices", template["name"], "-o", str(page)).exit_code == 0
    assert page.read_text("utf-8").count('class="cf-page"') == 3


def test_print_as_a_user_and_the_errors(run, shop, runtime, clerk, tmp_path):
    template = shop.template("<p>{{ client.tax_id }}</p>")
    out = tmp_path / "out.html"
    result = run("print", "invoices", template["name"], "--id", str(shop.ids["invoice"]), "--user", "clerk", "-o", str(out))
    assert result.exit_code == 0 and "TAX-7701234567" not in out.read_text("utf-8")
    result = run("print", "invoices", "No such template", "-o", str(out))
    assert result.exit_code == 1 and "has no template 'No such template'" in result.output
    assert template["name"] in result.output
    result = run("print", "invoices", template["name"], "--id", "424242", "--id", "1", "-o", str(tmp_path / "x.pdf"))
    assert result.exit_code == 1 and "Record #424242" in result.output and not (tmp_path / "x.pdf").exists()
    result = run("print", "invoices", template["name"], "--where", "nope >", "-o", str(out))
    assert result.exit_code == 1
    result = run("print", "invoices", template["name"], "--id", "1", "--where", "true", "-o", str(out))
    assert result.exit_code == 2


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_print_word_documents_into_a_zip(run, shop, tmp_path):
    template = shop.docs.templates.create(shop.admin, {"table": "invoices", "name": "Word", "kind": "docx"})
    shop.docs.templates.attach_docx(shop.admin, template["id"], make_docx(["No {{ number }}"]), "w.docx")
    out = tmp_path / "invoices.zip"
    assert run("print", "invoices", "Word", "-o", str(out)).exit_code == 0
    archive = zipfile.ZipFile(io.BytesIO(out.read_bytes()))
    assert [docx_text(archive.read(n)) for n in archive.namelist()] == ["No INV-7"]
    one = tmp_path / "one.docx"
    assert run("print", "invoices", "Word", "--id", "1", "-o", str(one)).exit_code == 0
    assert docx_text(one.read_bytes()) == "No INV-7"
