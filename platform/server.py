"""The production web server: gunicorn running the app in several worker processes.

``cardfile serve`` (and ``run-local``, hence ``make run``) start it; ``--dev`` keeps
Werkzeug's reloading development server instead.

* **Workers**: ``--workers`` (``CARDFILE_WORKERS``), by default one per CPU core plus one,
  at most 8; each worker builds its own app (engine, caches) after the fork and serves
  ``--threads`` requests at once (gthread workers: a long export does not block the worker's
  heartbeat).
* **Access log**: one JSON object per request on standard output (``time``, ``remote``,
  ``method``, ``path``, ``query``, ``status``, ``bytes``, ``ms``, ``user_agent``,
  ``referer``, ``pid``), ready for journald or a log collector.
* **Graceful shutdown**: SIGTERM (systemd's stop, Ctrl+C) stops accepting connections and
  lets the requests in flight finish for up to ``GRACEFUL_TIMEOUT`` seconds.
* On a system without ``fork`` (Windows) gunicorn cannot run: the development server
  serves instead, with a note.
"""

from __future__ import annotations

import json
import os
import sys
import time

#: seconds the requests in flight get to finish after SIGTERM
GRACEFUL_TIMEOUT = 30
MAX_DEFAULT_WORKERS = 8


def default_workers() -> int:
    return max(1, min((os.cpu_count() or 1) + 1, MAX_DEFAULT_WORKERS))


def gunicorn_available() -> bool:
    if sys.platform.startswith("win"):
        return False
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return False
    return True


def _app_factory():
    from cardfile.platform.app.factory import create_app

    return create_app()


def _worker_ready(worker) -> None:
    """Logged once a worker has built its app and starts answering requests."""
    worker.log.info("Worker ready (pid: %s)", worker.pid)


def run(binds: list[str], workers: int, threads: int = 4, access_log: bool = True,
        log_level: str = "info") -> None:
    """Serve until SIGTERM/SIGINT (blocks)."""
    from gunicorn.app.base import BaseApplication
    from gunicorn.glogging import Logger

    class JsonAccessLogger(Logger):
        """gunicorn's logger with the access log written as JSON lines."""

        def access(self, resp, req, environ, request_time):
            if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.logconfig_dict
                    or self.cfg.syslog):
                return
            status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
            entry = {
                "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "remote": environ.get("HTTP_X_FORWARDED_FOR", environ.get("REMOTE_ADDR", "")).split(",")[0].strip(),
                "method": environ.get("REQUEST_METHOD"),
                "path": environ.get("PATH_INFO"),
                "query": environ.get("QUERY_STRING") or None,
                "status": int(status) if str(status).isdigit() else status,
                "bytes": getattr(resp, "sent", None),
                "ms": round(request_time.total_seconds() * 1000, 1),
                "user_agent": environ.get("HTTP_USER_AGENT"),
                "referer": environ.get("HTTP_REFERER"),
                "pid": os.getpid(),
            }
            try:
                self.access_log.info(json.dumps(entry, ensure_ascii=False))
            except Exception:  # noqa: BLE001 - logging must never fail a request
                self.exception("access log")

    class Server(BaseApplication):
        def load_config(self):
            options = {
                "bind": binds, "workers": workers, "threads": threads, "worker_class": "gthread",
                "graceful_timeout": GRACEFUL_TIMEOUT, "timeout": 120, "keepalive": 5,
                "accesslog": "-" if access_log else None, "errorlog": "-", "loglevel": log_level,
                "logger_class": JsonAccessLogger, "proc_name": "cardfile",
                "forwarded_allow_ips": os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
                "post_worker_init": _worker_ready,
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            return _app_factory()

    Server().run()


def run_dev(host: str, port: int, reload: bool = True) -> None:
    """Werkzeug's development server (one process; reloads on code changes)."""
    from werkzeug.serving import run_simple

    def _placeholder(environ, start_response):  # pragma: no cover - the watcher never serves
        raise RuntimeError("the reloader's watcher process serves nothing")

    # with the reloader, this process only watches files and the app is built in its child
    serving = not reload or os.environ.get("WERKZEUG_RUN_MAIN") == "true"
    run_simple(host, port, _app_factory() if serving else _placeholder, threaded=True,
               use_reloader=reload, use_debugger=False)
