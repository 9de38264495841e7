"""Backups of the database into ``<data>/backups``, the newest ``Settings.backup_keep`` kept.

* **SQLite**: the online backup API (``sqlite3.Connection.backup``) copies a consistent
  database while the app keeps working; the file is ``cardfile-YYYYMMDD-HHMMSS.db``.
* **PostgreSQL**: ``pg_dump --format=custom`` when it is installed (``.dump``); otherwise a
  clear error that names what to install.

``restore(settings, file)`` puts a backup back (stop the app and the scheduler first):
SQLite through the backup API into the database file, PostgreSQL with ``pg_restore
--clean``. Uploaded files live in ``<data>/files`` and are content-addressed: copy that
folder along with the backups.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from .errors import CardfileError

PREFIX = "cardfile-"


class BackupFailed(CardfileError):
    code = "BACKUP_FAILED"


def backup_dir(settings) -> Path:
    return Path(settings.data_dir) / "backups"


def _sqlite_path(settings) -> Path | None:
    url = make_url(settings.url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise BackupFailed("An in-memory database cannot be backed up.")
    return Path(url.database)


def make_backup(settings, now: dt.datetime | None = None, keep: int | None = None) -> dict:
    """Write one backup; remove the oldest beyond ``keep``. Returns ``{"file", "size", "removed"}``."""
    now = now or dt.datetime.now(dt.timezone.utc)
    folder = backup_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = now.astimezone(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    source = _sqlite_path(settings)
    if source is not None:
        target = folder / f"{PREFIX}{stamp}.db"
        partial = target.with_suffix(".db.partial")
        with sqlite3.connect(str(source)) as src, sqlite3.connect(str(partial)) as dst:
            src.backup(dst)
        partial.replace(target)
    else:
        target = folder / f"{PREFIX}{stamp}.dump"
        _pg_dump(settings, target)
    keep = settings.backup_keep if keep is None else keep
    removed = prune(settings, keep) if keep and keep > 0 else []
    return {"file": str(target), "size": target.stat().st_size, "removed": removed}


def prune(settings, keep: int) -> list[str]:
    files = list_backups(settings)
    old = files[keep:] if keep > 0 else []
    for item in old:
        Path(item["file"]).unlink(missing_ok=True)
    return [item["file"] for item in old]


def list_backups(settings) -> list[dict]:
    """Newest first."""
    folder = backup_dir(settings)
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.name.startswith(PREFIX) and p.suffix in (".db", ".dump")]
    files.sort(key=lambda p: p.name, reverse=True)
    return [{"file": str(p), "name": p.name, "size": p.stat().st_size} for p in files]


def restore(settings, file: str | Path) -> dict:
    path = Path(file)
    if not path.is_file():
        raise BackupFailed(f"No backup file {str(path)!r}.")
    target = _sqlite_path(settings)
    if target is not None:
        if path.suffix != ".db":
            raise BackupFailed(f"{path.name} is not an SQLite backup (.db).")
        with sqlite3.connect(str(path)) as src:
            if src.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupFailed(f"{path.name} is damaged (integrity check failed).")
            with sqlite3.connect(str(target)) as dst:
                src.backup(dst)
        return {"restored": str(path), "into": str(target)}
    tool = shutil.which("pg_restore")
    if tool is None:
        raise BackupFailed("pg_restore is not installed; install the PostgreSQL client tools "
                           "(Debian: apt-get install postgresql-client).")
    _run([tool, "--clean", "--if-exists", "--no-owner", "--dbname", _pg_url(settings), str(path)])
    return {"restored": str(path), "into": make_url(settings.url).render_as_string(hide_password=True)}


def _pg_url(settings) -> str:
    url = make_url(settings.url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _pg_dump(settings, target: Path) -> None:
    tool = shutil.which("pg_dump")
    if tool is None:
        raise BackupFailed("pg_dump is not installed, so the nightly backup of PostgreSQL cannot run; install the "
                           "PostgreSQL client tools (Debian: apt-get install postgresql-client), or back up "
                           "the database with your own tools.")
    command = [tool, "--format=custom", "--no-owner", "--file", str(target)]
    if settings.db_schema:
        command += ["--schema", settings.db_schema]
    _run(command + [_pg_url(settings)])


def _run(command: list[str]) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=3600)  # noqa: S603 - fixed tool, no shell
    except subprocess.CalledProcessError as exc:
        raise BackupFailed(f"{Path(command[0]).name} failed: {exc.stderr.decode(errors='replace')[-500:]}") from None
