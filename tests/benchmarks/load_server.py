"""The server under test for ``load.py``: a fresh Cardfile behind ``cardfile serve``.

:class:`Server` makes a temporary data directory (on PostgreSQL, also a fresh schema),
runs ``cardfile init --sample customer-accounting --demo``, creates an API token for the
administrator, starts gunicorn on a free loopback port and waits for ``/healthz``.
:meth:`Server.stop` stops gunicorn, drops the schema and removes the directory; it is
safe to call more than once and from a ``finally`` after Ctrl+C.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

CLI = [sys.executable, "-c", "from cardfile.platform.cli import main; main()"]
PG_URL = os.environ.get("CARDFILE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1/test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak) of a process in MB; empty once it is gone."""
    found = {}
    with contextlib.suppress(OSError):  # the process is gone
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(line.split()[1]) / 1024
    return found


def children(pid: int) -> list[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found.update(int(p) for p in task.read_text().split())
        except OSError:
            continue
    return sorted(found)


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(sql)


class Server:
    def __init__(self, db: str, workers: int, threads: int):
        self.db, self.workers, self.threads = db, workers, threads
        self.tmp: str | None = None
        self.schema: str | None = None
        self.proc: subprocess.Popen | None = None
        self.token = ""
        self.port = 0
        self.log = None

    def start(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="cardfile-load-")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CARDFILE_")}
        env.update(CARDFILE_DATA_DIR=str(Path(self.tmp) / "var"), CARDFILE_SECRET_KEY="load-bench",
                   CARDFILE_SCHEDULER="off")
        if self.db == "postgresql":
            self.schema = "cfload_" + uuid.uuid4().hex[:10]
            _pg(f'CREATE SCHEMA "{self.schema}"')
            env.update(CARDFILE_DATABASE_URL=PG_URL, CARDFILE_DB_SCHEMA=self.schema)
        run = dict(env=env, cwd=self.tmp, capture_output=True, text=True, check=True)
        subprocess.run([*CLI, "init", "--sample", "customer-accounting", "--demo"], **run)
        out = subprocess.run([*CLI, "token", "create", "admin", "--name", "load benchmark"], **run).stdout
        self.token = re.search(r"^(cf_\S+)$", out, re.M).group(1)
        self.port = free_port()
        self.log = open(Path(self.tmp) / "serve.log", "w")
        self.proc = subprocess.Popen(
            [*CLI, "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
             "--threads", str(self.threads)],
            env=env, cwd=self.tmp, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise SystemExit("the server did not start:\n" + self.output()[-3000:])
                time.sleep(0.3)
        # each worker answers /healthz once it is up; wait until all of them are
        while len(children(self.proc.pid)) < self.workers and time.monotonic() < deadline:
            time.sleep(0.2)

    def output(self) -> str:
        try:
            return (Path(self.tmp) / "serve.log").read_text()
        except (OSError, TypeError):
            return ""

    def requests_by_worker(self) -> dict[int, int]:
        """Requests each worker has answered so far, from the JSON access log."""
        import json

        found: dict[int, int] = {}
        for line in self.output().splitlines():
            if line.startswith("{"):
                with contextlib.suppress(ValueError):
                    pid = json.loads(line).get("pid")
                    if pid:
                        found[pid] = found.get(pid, 0) + 1
        return found

    def memory(self) -> list[tuple[str, int, dict[str, float]]]:
        """(role, pid, {VmRSS, VmHWM}) for the gunicorn master and each worker."""
        if self.proc is None:
            return []
        master = self.proc.pid
        return [("master", master, proc_status(master))] + [
            ("worker", pid, proc_status(pid)) for pid in children(master)]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
            except ProcessLookupError:  # it has already ended
                self.proc.wait(10)
        self.proc = None
        if self.schema:
            try:
                _pg(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
            except Exception as exc:  # noqa: BLE001 - report it, keep cleaning up
                print(f"  could not drop schema {self.schema}: {exc}", file=sys.stderr)
            self.schema = None
        if self.tmp:
            if self.log is not None:
                self.log.close()
                self.log = None
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
