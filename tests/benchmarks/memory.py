"""Benchmark: resident memory (RSS) of an idle Cardfile server, per process.

    python tests/benchmarks/memory.py [--workers 2] [--sample customer-accounting] [--requests 20]

Initialises a fresh SQLite data directory in a temporary folder (with ``--sample``, the
sample configuration and its demo data), starts ``cardfile serve`` (gunicorn) on a free
loopback port, signs in as the administrator and opens the start page, a list and the API's
OpenAPI document ``--requests`` times, waits a moment, then prints the RSS of the gunicorn
master and of each worker (VmRSS from /proc: Linux only), and the modules a worker has not
imported yet (pandas is imported by the first pivot, not at start). The target is at most
150 MB per worker.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

CLI = [sys.executable, "-c", "from cardfile.platform.cli import main; main()"]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample", default=None, help="configuration package (with its demo data)")
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CARDFILE_")}
        env.update(CARDFILE_DATA_DIR=str(Path(tmp) / "var"), CARDFILE_SECRET_KEY="bench", CARDFILE_SCHEDULER="off")
        init = [*CLI, "init"] + (["--sample", args.sample, "--demo"] if args.sample else [])
        out = subprocess.run(init, env=env, cwd=tmp, capture_output=True, text=True, check=True).stdout
        password = re.search(r"password:\s+(\S+)", out).group(1)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([*CLI, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers)],
                                  env=env, cwd=tmp,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
            deadline = time.monotonic() + 120
            while True:
                try:
                    opener.open(base + "/healthz", timeout=5).read()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the server did not start")
                    time.sleep(0.3)
            page = opener.open(base + "/login").read().decode()
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
            form = {"username": "admin", "password": password, **({"csrf_token": token.group(1)} if token else {})}
            opener.open(base + "/login", urllib.parse.urlencode(form).encode()).read()
            started = time.perf_counter()
            for _ in range(args.requests):
                for path in ("/", "/api/v1/openapi.json", "/api/v1/tables"):
                    opener.open(base + path).read()
            elapsed = time.perf_counter() - started
            time.sleep(2)
            master = server.pid
            workers = children(master)
            print(f"cardfile serve --workers {args.workers} on SQLite"
                  f"{' with ' + args.sample + ' and its demo data' if args.sample else ''}; "
                  f"{args.requests * 3} requests in {elapsed:.1f} s, then idle")
            print(f"  master (pid {master}): {rss_mb(master):6.1f} MB")
            for pid in workers:
                print(f"  worker (pid {pid}): {rss_mb(pid):6.1f} MB")
            print(f"  largest worker: {max(rss_mb(p) for p in workers):.1f} MB (target: <= 150 MB)")
            probe = subprocess.run([*[sys.executable, "-c",
                                      "import sys; from cardfile.platform.app import create_app; create_app(); "
                                      "print(' '.join(m for m in ('pandas', 'numpy', 'weasyprint', 'openpyxl', "
                                      "'docxtpl', 'pypdf') if m not in sys.modules))"]],
                                   env=env, cwd=tmp, capture_output=True, text=True)
            print(f"  not imported at start: {probe.stdout.strip() or '(all of them)'}")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(60)


if __name__ == "__main__":
    main()
