"""Benchmark: many API clients at once against ``cardfile serve`` (gunicorn) on loopback.

    python tests/benchmarks/load.py [--clients 50] [--seconds 120] [--db sqlite|postgresql|both]
                                    [--workers 2] [--threads 4] [--think 0] [--hot 5] [--seed 1]

For each database: a fresh data directory (on PostgreSQL a fresh schema in
``CARDFILE_TEST_DATABASE_URL``, default ``postgresql://postgres@127.0.0.1/test``) with
the customer-accounting sample and its demo data, an API token for the administrator, and
``cardfile serve --workers N``. Then ``--clients`` threads, each with its own keep-alive
connection and no think time (``--think S``: a pause of S seconds on average after each
answer, as a person reading it), run this mix over the REST API for ``--seconds``:

* list invoices: a status filter, newest first, page 1 or 2 of 25, with the total (25 %)
* search clients: quick search for a few letters of a client's name (15 %)
* open a card: GET one invoice, client or deal (25 %)
* update: open one of ``--hot`` deals and PATCH its amount up by 1.00 with ``If-Match``;
  a 409 stale version is counted (not an error), the deal read again and the change
  reapplied (20 %)
* create an invoice with one to three line items (10 %)
* a pivot: ``POST /reports/preview``, one of three definitions (5 %)

It prints requests/s, p50/p95/p99 per operation and overall, errors (5xx, connection
errors, unexpected 4xx), stale-version retries, lost updates (each hot deal's amount must
equal the successful increments), duplicate invoice numbers (a counter: must be none),
the server's CPU time per request and the RSS (now and peak) of the gunicorn master and
each worker. Target: p95 <= 200 ms and no errors on PostgreSQL. The load generator runs
on the same machine and shares its cores; its own CPU time is printed too.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import resource
import signal
import sys
import threading
import time
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

from load_server import Server

API = "/api/v1"
OPS = [("list invoices", 25), ("search clients", 15), ("open card", 25), ("update", 20),
       ("create invoice", 10), ("pivot", 5)]
PIVOTS = [
    {"rows": [{"field": "client"}], "columns": [{"field": "date", "date": "month"}],
     "values": [{"field": "total", "agg": "sum"}, {"agg": "count"}]},
    {"rows": [{"field": "status"}], "values": [{"field": "total", "agg": "sum"}, {"field": "balance", "agg": "sum"}]},
    {"rows": [{"field": "client.category"}], "columns": [{"field": "date", "date": "quarter"}],
     "values": [{"field": "net", "agg": "sum"}], "totals": True, "subtotals": True},
]
MAX_RETRIES = 100
IDLE_CLOSE = 3.0  # seconds; gunicorn keeps an idle connection 5 s
UNTIMED = ("setup",)


class Stats:
    def __init__(self):
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter = Counter()
        self.samples: list[str] = []
        self.stale = 0
        self.increments: Counter = Counter()
        self.uncertain: Counter = Counter()
        self.created = 0

    def merge(self, other: "Stats") -> None:
        for op, values in other.latency.items():
            self.latency[op].extend(values)
        self.errors.update(other.errors)
        self.samples.extend(other.samples[:5])
        self.stale += other.stale
        self.increments.update(other.increments)
        self.uncertain.update(other.uncertain)
        self.created += other.created


class Client:
    """One keep-alive connection; every request is timed under an operation name."""

    def __init__(self, port: int, token: str, stats: Stats):
        self.port, self.stats = port, stats
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.conn: http.client.HTTPConnection | None = None
        self.last_used = 0.0

    def call(self, op: str, method: str, path: str, body=None, headers=None, expect=(200,)):
        """(status, parsed JSON) or (None, None) after a connection error; errors are counted."""
        data = None if body is None else json.dumps(body).encode()
        hdrs = {**self.headers, **(headers or {}),
                **({"Content-Type": "application/json"} if data is not None else {})}
        started = time.perf_counter()
        if started - self.last_used > IDLE_CLOSE or op in UNTIMED:  # setup and checks: a fresh connection
            self.close()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.conn.request(method, API + path, body=data, headers=hdrs)
            response = self.conn.getresponse()
            raw = response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            self.stats.latency[op].append(time.perf_counter() - started)
            self.stats.errors[(op, "connection")] += 1
            self.stats.samples.append(f"{op}: {type(exc).__name__}: {exc}")
            self.close()
            return None, None
        self.last_used = time.perf_counter()
        self.stats.latency[op].append(self.last_used - started)
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        if status not in expect:
            kind = "5xx" if status >= 500 else "unexpected 4xx" if status >= 400 else f"status {status}"
            self.stats.errors[(op, kind)] += 1
            self.stats.samples.append(f"{op}: {method} {path} -> {status} {raw[:200]!r}")
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, None

    def must(self, method: str, path: str, body=None, headers=None):
        """A setup or check request (not timed): retried a few times, then the run stops."""
        for attempt in range(5):
            status, data = self.call("setup", method, path, body, headers)
            if status == 200:
                return data
            print(f"  setup: {self.stats.samples[-1] if self.stats.samples else status}; retrying",
                  file=sys.stderr)
            time.sleep(1 + attempt)
        raise SystemExit(f"{method} {path} failed: {self.stats.samples[-3:]}")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Workload:
    """What the clients pick from: ids and search terms read once from the demo data."""

    def __init__(self, client: Client, hot: int):
        self.ids = {t: [r["id"] for r in self.all(client, t)] for t in ("invoices", "clients", "deals")}
        self.products = [(r["id"], r["price"]["amount"]) for r in self.all(client, "products")]
        names = [r["name"] for r in self.all(client, "clients")]
        self.terms = sorted({w[:4].lower() for n in names for w in n.split() if len(w) >= 4})
        self.hot = self.ids["deals"][:hot]
        self.invoices_before = 0

    def reset(self, client: Client) -> None:
        """Hot deals to 0.00 (the lost-update check counts from there); invoices counted."""
        for deal in self.hot:
            record = client.must("GET", f"/tables/deals/records/{deal}")
            client.must("PATCH", f"/tables/deals/records/{deal}", {"amount": "0.00"},
                        {"If-Match": f'"{record["version"]}"'})
        self.invoices_before = len(self.all(client, "invoices"))

    @staticmethod
    def all(client: Client, table: str) -> list[dict]:
        found, page = [], 1
        while True:
            body = client.must("GET", f"/tables/{table}/records?per_page=500&sort=id&page={page}")
            found += body["records"]
            if len(found) >= body["total"] or not body["records"]:
                return found
            page += 1


def run_op(op: str, client: Client, work: Workload, rng: random.Random) -> None:
    stats = client.stats
    if op == "list invoices":
        status = rng.choice(["sent", "draft", "sent", "cancelled"])
        client.call(op, "GET", f"/tables/invoices/records?filter=status:eq:{status}&sort=-date"
                               f"&per_page=25&page={rng.choice([1, 1, 2])}")
    elif op == "search clients":
        client.call(op, "GET", f"/tables/clients/records?search={rng.choice(work.terms)}&per_page=25")
    elif op == "open card":
        table = rng.choice(["invoices", "clients", "deals"])
        client.call(op, "GET", f"/tables/{table}/records/{rng.choice(work.ids[table])}")
    elif op == "update":
        deal = rng.choice(work.hot)
        for _ in range(MAX_RETRIES):
            status, record = client.call("open card", "GET", f"/tables/deals/records/{deal}")
            if status != 200:
                return
            amount = Decimal(record["amount"]["amount"]) + 1
            status, _ = client.call(op, "PATCH", f"/tables/deals/records/{deal}", {"amount": f"{amount:.2f}"},
                                    {"If-Match": f'"{record["version"]}"'}, expect=(200, 409))
            if status == 200:
                stats.increments[deal] += 1
                return
            if status != 409:
                if status is None:
                    stats.uncertain[deal] += 1  # it may or may not have been written
                return
            stats.stale += 1
        stats.errors[(op, "gave up after retries")] += 1
    elif op == "create invoice":
        lines = []
        for product, price in rng.sample(work.products, rng.randint(1, 3)):
            lines.append({"product": product, "quantity": str(rng.randint(1, 5)), "price": price})
        status, _ = client.call(op, "POST", "/tables/invoices/records",
                                {"client": rng.choice(work.ids["clients"]), "status": "draft", "lines": lines},
                                expect=(201,))
        stats.created += status == 201
    elif op == "pivot":
        client.call(op, "POST", "/reports/preview", {"table": "invoices", "definition": rng.choice(PIVOTS)})


def client_loop(port: int, token: str, work: Workload, seed: int, stop: threading.Event, stats: Stats,
                think: float = 0.0) -> None:
    rng = random.Random(seed)
    client = Client(port, token, stats)
    names, weights = zip(*OPS)
    try:
        while not stop.is_set():
            run_op(rng.choices(names, weights)[0], client, work, rng)
            if think:  # a person reading the answer before the next click
                stop.wait(rng.expovariate(1 / think))
    except Exception as exc:  # noqa: BLE001 - a client's own failure is a finding, not a crash
        stats.errors[("client", type(exc).__name__)] += 1
        stats.samples.append(f"client: {type(exc).__name__}: {exc}")
    finally:
        client.close()


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            continue
    return total / 100  # clock ticks (USER_HZ is 100 on Linux)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))] * 1000


def check(client: Client, work: Workload, stats: Stats) -> tuple[int, int, list[str]]:
    """(lost updates, duplicate invoice numbers, notes) read back after the run."""
    lost, notes = 0, []
    for deal in work.hot:
        record = client.must("GET", f"/tables/deals/records/{deal}")
        final = Decimal(record["amount"]["amount"])
        expected = stats.increments[deal]
        if final != expected:
            lost += max(0, expected - int(final))
            notes.append(f"deal {deal}: amount {final}, successful increments {expected}"
                         f" ({stats.uncertain[deal]} PATCHes cut off by a connection error)")
    numbers = Counter(r["number"] for r in Workload.all(client, "invoices"))
    duplicates = sum(n - 1 for n in numbers.values() if n > 1)
    if sum(numbers.values()) != work.invoices_before + stats.created:
        notes.append(f"invoices: {sum(numbers.values())} now, {work.invoices_before} before"
                     f" + {stats.created} created")
    return lost, duplicates, notes


def report(db: str, args, stats: Stats, elapsed: float, lost: int, duplicates: int, notes: list[str],
           server_cpu: float, client_cpu: float, memory, served: dict[int, int]) -> None:
    everything = [v for values in stats.latency.values() for v in values]
    total = len(everything)
    print(f"\n{db}: {args.clients} clients (think time {args.think:g} s), {elapsed:.1f} s, "
          f"cardfile serve --workers {args.workers} --threads {args.threads}")
    print(f"  {'operation':<16} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for op in [name for name, _ in OPS] + ["all"]:
        values = everything if op == "all" else stats.latency.get(op, [])
        if values:
            print(f"  {op:<16} {len(values):>9} {len(values) / elapsed:>8.1f} {pct(values, 50):>8.1f} "
                  f"{pct(values, 95):>8.1f} {pct(values, 99):>8.1f}")
    errors = sum(stats.errors.values())
    print(f"  errors: {errors}" + "".join(f"; {op} {kind}: {n}" for (op, kind), n in sorted(stats.errors.items())))
    for sample in stats.samples[:5]:
        print(f"    e.g. {sample}")
    print(f"  stale-version 409s retried: {stats.stale} (successful updates: {sum(stats.increments.values())})")
    print(f"  lost updates: {lost}; duplicate invoice numbers: {duplicates} "
          f"(invoices created: {stats.created})")
    for note in notes:
        print(f"    {note}")
    print(f"  server CPU: {server_cpu:.1f} s, {server_cpu / total * 1000:.1f} ms a request; "
          f"load generator CPU: {client_cpu:.1f} s ({client_cpu / elapsed * 100:.0f}% of one core)")
    for role, pid, mem in memory:
        print(f"  {role} (pid {pid}): RSS {mem.get('VmRSS', float('nan')):.1f} MB, "
              f"peak {mem.get('VmHWM', float('nan')):.1f} MB"
              + (f", {served[pid]} requests answered" if pid in served else ""))
    p95 = pct(everything, 95)
    verdict = "met" if p95 <= 200 and errors == 0 and lost == 0 and duplicates == 0 else "not met"
    print(f"  overall p95 {p95:.1f} ms, errors {errors} (target on PostgreSQL: p95 <= 200 ms, 0 errors: {verdict})")


def run(db: str, args) -> None:
    server = Server(db, args.workers, args.threads)
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        server.start()
        setup = Client(server.port, server.token, Stats())
        work = Workload(setup, args.hot)
        rng = random.Random(args.seed)
        for op, _ in OPS:  # warm every worker up (the first pivot imports pandas)
            for _ in range(4 * args.workers):
                run_op(op, setup, work, rng)
        if setup.stats.errors:
            print(f"  warm-up errors (not counted): {setup.stats.samples[:3]}", file=sys.stderr)
        work.reset(setup)
        setup.stats = Stats()
        per_client = [Stats() for _ in range(args.clients)]
        pids = [server.proc.pid] + [pid for _, pid, _ in server.memory()[1:]]
        cpu_before, own_before = cpu_seconds(pids), resource.getrusage(resource.RUSAGE_SELF)
        served_before = server.requests_by_worker()
        started = time.perf_counter()
        for i in range(args.clients):
            t = threading.Thread(target=client_loop, daemon=True,
                                 args=(server.port, server.token, work, args.seed * 1000 + i, stop, per_client[i],
                                       args.think))
            threads.append(t)
            t.start()
        stop.wait(args.seconds)
        stop.set()
        for t in threads:
            t.join(90)
        elapsed = time.perf_counter() - started
        own = resource.getrusage(resource.RUSAGE_SELF)
        server_cpu = cpu_seconds(pids) - cpu_before
        client_cpu = own.ru_utime + own.ru_stime - own_before.ru_utime - own_before.ru_stime
        memory = server.memory()
        served = {pid: n - served_before.get(pid, 0) for pid, n in server.requests_by_worker().items()}
        stats = Stats()
        for s in per_client:
            stats.merge(s)
        lost, duplicates, notes = check(setup, work, stats)
        report(db, args, stats, elapsed, lost, duplicates, notes, server_cpu, client_cpu, memory, served)
    finally:
        stop.set()
        server.stop()


def interrupted(signum, frame):
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent API clients (threads)")
    parser.add_argument("--seconds", type=float, default=120, help="how long the clients run")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="requests each worker serves at once")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean seconds a client waits between requests (exponential; 0: none, the server saturated)")
    parser.add_argument("--hot", type=int, default=5, help="deals every update goes to (contention)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not 1 <= args.clients <= 500 or not 0 < args.seconds <= 3600:
        parser.error("--clients must be 1..500 and --seconds 0..3600")
    # SIGTERM cleans up like Ctrl+C: the finally blocks stop the server and drop the schema
    signal.signal(signal.SIGTERM, interrupted)
    try:
        for db in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
            run(db, args)
    except KeyboardInterrupt:
        print("\ninterrupted; the server is stopped and its data removed", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
