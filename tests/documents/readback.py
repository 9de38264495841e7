"""Reading generated documents back: PDF text with poppler's ``pdftotext``, pages with pypdf,
DOCX with python-docx (``docx_files.docx_text``), and LibreOffice opening a DOCX."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from pypdf import PdfReader


def pdf_text(data: bytes) -> str:
    """The text of a PDF as ``pdftotext -layout`` reads it (poppler-utils)."""
    assert data.startswith(b"%PDF"), data[:40]
    result = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"], input=data,
                            capture_output=True, check=True, timeout=60)
    return result.stdout.decode("utf-8")


def pdf_pages(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def soffice() -> str:
    """LibreOffice's binary; CI installs it (.ci/run), elsewhere a test without it is skipped."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is required in CI (apt-get install libreoffice-writer)")
        pytest.skip("LibreOffice is not installed")
    return found


def libreoffice_pdf(docx: bytes) -> bytes:
    """Open a DOCX in LibreOffice (headless, its own profile) and convert it to PDF."""
    binary = soffice()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "document.docx"
        src.write_bytes(docx)
        profile = Path(tmp) / "profile"
        subprocess.run([binary, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                        "--convert-to", "pdf", "--outdir", tmp, str(src)],
                       capture_output=True, check=True, timeout=180)
        out = Path(tmp) / "document.pdf"
        assert out.exists(), "LibreOffice did not convert the document"
        return out.read_bytes()
