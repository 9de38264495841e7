"""Real server processes: ``cardfile serve`` (gunicorn) in a subprocess on a free port."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import types
import urllib.error
import urllib.request

import pytest

CLI = [sys.executable, "-c", "from cardfile.platform.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 10, headers: dict | None = None, method: str = "GET",
        json_body=None) -> tuple[int, bytes, dict]:
    headers = dict(headers or {})
    data = None
    if json_body is not None:
        data = json.dumps(json_body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, headers=headers, method=method, data=data)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


class Server:
    """One ``cardfile serve`` process; ``stop()`` sends SIGTERM and returns the exit code."""

    def __init__(self, env: dict, cwd, *args: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(cwd, f"server-{self.port}.log"), "w+b")
        self.proc = subprocess.Popen([*CLI, "serve", "--bind", f"127.0.0.1:{self.port}", *args], env=env,
                                     cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 90) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the server exited with {self.proc.returncode}:\n{self.output()}")
            try:
                status, body, _ = get(self.url + "/healthz", timeout=5)
                if status == 200:
                    return json.loads(body)
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"the server did not become healthy:\n{self.output()}")

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def stop(self, timeout: float = 45) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode


def server_env(tmp_path, database_url: str | None = None, schema: str | None = None, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARDFILE_")}
    env.update({"CARDFILE_DATA_DIR": str(tmp_path / "var"), "CARDFILE_SECRET_KEY": "server-test-secret",
                "PYTHONUNBUFFERED": "1"})
    if database_url:
        env["CARDFILE_DATABASE_URL"] = database_url
    if schema:
        env["CARDFILE_DB_SCHEMA"] = schema
    env.update(extra)
    return env


def cli(env: dict, cwd, *args: str) -> str:
    done = subprocess.run([*CLI, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def servers():
    """Start servers with ``servers(env, cwd, *args)``; all are stopped at the end."""
    started: list[Server] = []

    def start(env, cwd, *args) -> Server:
        server = Server(env, cwd, *args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
        server.log.close()


@pytest.fixture
def harness():
    """The helpers: ``get(url)``, ``cli(env, cwd, *args)``, ``env(tmp_path, url, schema)``."""
    return types.SimpleNamespace(get=get, cli=cli, env=server_env, free_port=free_port, cli_command=CLI)
