"""Benchmark: the server time of the list page (first page, with the total) at scale.

    python tests/benchmarks/web_list.py [--rows 1000000]

Fills a 6-field table (text, money, choice, date, link, integer) on SQLite with bulk
inserts, then times ``GET /t/<table>`` through the Flask test client (server time only:
rendering included, no network): the plain first page, the first page sorted by an
indexed field, and a filtered first page. Prints p50/p95 over 20 requests each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path

from cardfile.platform.app import create_app

KINDS = ["new", "active", "paused", "closed"]


def fill(rt, boss, rows: int) -> None:
    rt.schema.create_table(boss, {"label": "Regions", "fields": [{"label": "Name", "type": "text"}]})
    rt.records.bulk_create(boss, "regions", [{"name": f"Region {i}"} for i in range(1, 21)])
    rt.schema.create_table(boss, {"label": "Accounts", "fields": [
        {"label": "Name", "type": "text"}, {"label": "Balance", "type": "money", "options": {"indexed": True}},
        {"label": "Kind", "type": "choice", "options": {"indexed": True, "choices": [{"value": k} for k in KINDS]}},
        {"label": "Since", "type": "date"}, {"label": "Region", "type": "link", "options": {"target": "regions"}},
        {"label": "Visits", "type": "integer"}]})
    rng = random.Random(7)
    start = dt.date(2020, 1, 1)
    batch = 50_000
    for offset in range(0, rows, batch):
        rt.records.bulk_create(boss, "accounts", [
            {"name": f"Account {offset + i:07d}", "balance": f"{rng.randint(0, 10**6) / 100:.2f}",
             "kind": rng.choice(KINDS), "since": (start + dt.timedelta(days=rng.randint(0, 2000))).isoformat(),
             "region": rng.randint(1, 20), "visits": rng.randint(0, 500)}
            for i in range(min(batch, rows - offset))])


def timed(client, url: str, n: int = 20) -> tuple[float, float]:
    client.get(url)  # warm the catalog and the page cache
    samples = []
    for _ in range(n):
        begin = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - begin) * 1000)
        assert response.status_code == 200, response.status_code
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--data-dir", help="keep the database here and reuse it on the next run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(args.data_dir or tmp)
        app = create_app({"data_dir": data_dir, "secret_key": "bench", "TESTING": True,
                          "WTF_CSRF_ENABLED": False})
        rt = app.extensions["cardfile"]
        if rt.users.by_username("boss") is None:
            boss = rt.users.create("boss", "boss-password", name="Boss", is_admin=True, bootstrap=True)
            begin = time.perf_counter()
            fill(rt, boss, args.rows)
            print(f"filled {args.rows:,} rows in {time.perf_counter() - begin:.0f} s")
        client = app.test_client()
        client.post("/login", data={"username": "boss", "password": "boss-password"})
        for label, url in (("first page", "/t/accounts"),
                           ("sorted by balance (indexed), descending", "/t/accounts?sort=-balance"),
                           ("filtered on kind (indexed)", "/t/accounts?filter=kind:eq:active")):
            p50, p95 = timed(client, url)
            print(f"{label:45s} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms")
        rt.dispose()


if __name__ == "__main__":
    main()
