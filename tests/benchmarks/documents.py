"""Benchmark: printing the customer-accounting sample's invoice for payment.

    python tests/benchmarks/documents.py [--invoices 1000] [--db sqlite|postgresql|both]

Prints, per database:

* the HTML of one invoice (read through the record service as the user, rendered in the
  sandbox): median and p95 of 200 renders (target p95 ≤ 50 ms);
* the PDF of one invoice (WeasyPrint): median of 10;
* a batch of every invoice (default 1,000, each one page with four lines) into one PDF,
  in a fresh process: the time and the process's peak resident memory (targets ≤ 2
  minutes and ≤ 500 MB on our 2-core machine).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from cardfile.metamodel.packages import apply_package, load_package
from cardfile.metamodel.packages.samples import sample_path
from cardfile.metamodel.records.query import ListQuery
from cardfile.metamodel.runtime import Settings, build_runtime
from cardfile.reports.documents import Documents
from cardfile.reports.documents.batch import print_many, select_ids
from cardfile.reports.documents.packages import install_templates

PG_URL = os.environ.get("CARDFILE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1/test")
TEMPLATE = "Invoice for payment"


def settings_for(kind: str, data_dir: Path):
    if kind == "sqlite":
        return Settings(data_dir=data_dir), (lambda: None)
    schema = "cfb_" + uuid.uuid4().hex[:10]
    engine = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')

    def drop():
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        engine.dispose()

    return Settings(data_dir=data_dir, database_url=PG_URL, db_schema=schema), drop


def fill(rt, admin, invoices: int) -> None:
    pkg = load_package(sample_path("customer-accounting"))
    apply_package(rt, admin, pkg)
    install_templates(rt, admin, pkg.name, pkg.templates)
    Documents(rt).company.update(admin, {
        "name": "Northwind Supply Ltd", "tax_id": "1003600012345", "address": "12 Harbour Road, Chisinau",
        "bank": "Moldova Agroindbank", "bank_code": "AGRNMD2X", "account": "MD24AG000000022512345678",
        "director": "Elena Petrov", "accountant": "Victor Novak"})
    rnd = random.Random(7)
    clients = [rt.records.create(admin, "clients", {"name": f"Client {i:03} Ltd", "tax_id": f"10036{i:08}",
                                                    "address": f"{i} Market Square, Chisinau"})["id"]
               for i in range(50)]
    products = [rt.records.create(admin, "products", {"name": f"Product {i:02}", "unit": "pcs", "sku": f"P-{i:04}",
                                                      "price": f"{rnd.randint(100, 99900) / 100:.2f}"})["id"]
                for i in range(40)]
    started = time.perf_counter()
    for i in range(invoices):
        rt.records.create(admin, "invoices", {"client": rnd.choice(clients), "status": "sent", "lines": [
            {"product": rnd.choice(products), "quantity": str(rnd.randint(1, 20)),
             "vat": rnd.choice(["20", "0"])} for _ in range(4)]})
    print(f"  {invoices} invoices created in {time.perf_counter() - started:.1f} s", flush=True)


def batch(settings: Settings, queue) -> None:
    """In a fresh process: every invoice into one PDF; (seconds, peak MB, pages, bytes)."""
    from pypdf import PdfReader

    rt = build_runtime(settings)
    admin = next(rt.users.get(u["id"]) for u in rt.users.list() if u["is_admin"])
    docs = Documents(rt)
    template = next(t for t in docs.templates.list(admin, "invoices") if t["name"] == TEMPLATE)
    started = time.perf_counter()
    ids = select_ids(rt, admin, "invoices", query=ListQuery(sort=["id"]))
    with tempfile.NamedTemporaryFile(suffix=".pdf") as out:
        print_many(docs, admin, "invoices", template["id"], ids, "pdf", out)
        out.flush()
        seconds = time.perf_counter() - started
        pages = len(PdfReader(out.name).pages)
        size = os.path.getsize(out.name)
    rt.dispose()
    queue.put((seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, pages, size))


def run(kind: str, invoices: int) -> None:
    print(f"== {kind} ({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        settings, drop = settings_for(kind, Path(tmp) / "data")
        try:
            rt = build_runtime(settings)
            admin = rt.users.create("admin", "admin-password", is_admin=True, bootstrap=True)
            fill(rt, admin, invoices)
            docs = Documents(rt)
            template = next(t for t in docs.templates.list(admin, "invoices") if t["name"] == TEMPLATE)
            first = rt.records.list(admin, "invoices", ListQuery(sort=["id"], per_page=1))["records"][0]["id"]
            docs.render(admin, "invoices", first, template["id"], "html")  # compile once
            times = []
            for _ in range(200):
                started = time.perf_counter()
                docs.render(admin, "invoices", first, template["id"], "html")
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            print(f"  HTML of one invoice: median {statistics.median(times):.1f} ms, "
                  f"p95 {times[int(len(times) * 0.95) - 1]:.1f} ms (target p95 <= 50 ms)", flush=True)
            pdfs = []
            for _ in range(10):
                started = time.perf_counter()
                docs.render(admin, "invoices", first, template["id"], "pdf", keep=False)
                pdfs.append((time.perf_counter() - started) * 1000)
            print(f"  PDF of one invoice: median {statistics.median(pdfs):.0f} ms", flush=True)
            rt.dispose()
            queue = multiprocessing.get_context("spawn").Queue()
            process = multiprocessing.get_context("spawn").Process(target=batch, args=(settings, queue))
            process.start()
            seconds, peak, worker_peak, pages, size = queue.get()
            process.join()
            print(f"  batch of {invoices} invoices to one PDF: {seconds:.1f} s, {pages} pages, "
                  f"{size / 2**20:.1f} MB file, peak RSS {peak:.0f} MB (largest layout process {worker_peak:.0f} MB) "
                  f"(targets <= 120 s, <= 500 MB)", flush=True)
        finally:
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    args = parser.parse_args()
    for kind in (("sqlite", "postgresql") if args.db == "both" else (args.db,)):
        run(kind, args.invoices)


if __name__ == "__main__":
    sys.exit(main())
