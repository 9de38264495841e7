"""``cardfile serve`` is gunicorn: a real server process on a free port answers /healthz and
the sign-in page, writes a JSON access log, and stops gracefully on SIGTERM."""

from __future__ import annotations

import json
import signal
import socket
import time


def test_gunicorn_serves_health_and_login_then_stops_gracefully(tmp_path, servers, harness):
    env = harness.env(tmp_path)
    harness.cli(env, tmp_path, "init")
    server = servers(env, tmp_path, "--workers", "2", "--threads", "2")
    health = server.wait_ready()
    assert health["status"] == "ok"
    checks = health["checks"]
    assert checks["database"]["ok"] and checks["migrations"]["ok"]
    assert checks["migrations"]["current"] == checks["migrations"]["expected"]
    assert checks["scheduler"] == {"ok": True, "mode": "in-process", "running": True}

    status, body, headers = harness.get(server.url + "/login")
    assert status == 200 and b"<form" in body and headers["Content-Type"].startswith("text/html")
    status, body, headers = harness.get(server.url + "/healthz")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert headers["Cache-Control"] == "no-store"

    # two workers, each a process of its own under the gunicorn master, each ready once its
    # app is built
    deadline = time.monotonic() + 90
    while server.output().count("Worker ready") < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert server.output().count("Booting worker") == 2 and server.output().count("Worker ready") == 2, server.output()

    # a request in flight when SIGTERM arrives still gets its answer: its body is still
    # arriving while the server shuts down
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as held:
        held.sendall(b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 25\r\n\r\n"
                     b"username=ad")
        time.sleep(1.0)
        server.proc.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        assert server.proc.poll() is None  # waiting for the request in flight
        held.sendall(b"min&password=x")
        reply = b""
        while chunk := held.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 ") and int(reply[9:12]) < 500, reply[:200]
    assert server.proc.wait(45) == 0, server.output()
    output = server.output()
    assert "Shutting down: Master" in output

    access = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    login = [a for a in access if a["path"] == "/login"]
    assert login and login[0]["method"] == "GET" and login[0]["status"] == 200 and login[0]["ms"] >= 0
    assert set(login[0]) >= {"time", "remote", "query", "bytes", "user_agent", "pid"}
