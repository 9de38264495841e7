"""Settings: defaults, then ``CARDFILE_*`` environment variables, then explicit overrides.

| variable | meaning | default |
|---|---|---|
| ``CARDFILE_DATA_DIR`` | data directory: database, files, backups, secret key | ``./var`` |
| ``CARDFILE_DATABASE_URL`` | SQLAlchemy URL; ``postgresql://…`` for production | SQLite in the data dir |
| ``CARDFILE_DB_SCHEMA`` | PostgreSQL schema to use (search_path) | none |
| ``CARDFILE_SECRET_KEY`` | session signing key | generated once into the data dir |
| ``CARDFILE_MAX_UPLOAD_MB`` | largest accepted file upload | 25 |
| ``CARDFILE_MAX_JSON_KB`` | largest accepted JSON request body | 2048 |
| ``CARDFILE_QUERY_TIMEOUT`` | seconds a read query may run before it is stopped (0: no limit) | 10 |
| ``CARDFILE_TIMEZONE`` … ``CARDFILE_TRASH_DAYS`` | scheduler, reminders, mail, backups and the trash: see ``SCHEDULING_VARS`` | |
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cardfile.metamodel.runtime import Settings

ENV_VARS = ("CARDFILE_DATA_DIR", "CARDFILE_DATABASE_URL", "CARDFILE_DB_SCHEMA", "CARDFILE_SECRET_KEY",
            "CARDFILE_MAX_UPLOAD_MB", "CARDFILE_MAX_JSON_KB", "CARDFILE_QUERY_TIMEOUT")
#: variable -> (Settings field, conversion): the scheduler, reminders and mail
SCHEDULING_VARS = {"CARDFILE_TIMEZONE": ("timezone", str), "CARDFILE_SCHEDULER": ("scheduler", str),
                   "CARDFILE_BASE_URL": ("base_url", str), "CARDFILE_SMTP_URL": ("smtp_url", str),
                   "CARDFILE_MAIL_FROM": ("mail_from", str), "CARDFILE_MAIL_PER_MINUTE": ("mail_per_minute", int),
                   "CARDFILE_BACKUP_KEEP": ("backup_keep", int), "CARDFILE_TRASH_DAYS": ("trash_days", int)}


def load_settings(overrides: dict | None = None, environ=None) -> Settings:
    env = os.environ if environ is None else environ
    values = {
        "data_dir": Path(env.get("CARDFILE_DATA_DIR", "var")),
        "database_url": env.get("CARDFILE_DATABASE_URL") or None,
        "db_schema": env.get("CARDFILE_DB_SCHEMA") or None,
        "secret_key": env.get("CARDFILE_SECRET_KEY") or None,
        "max_upload_bytes": int(float(env.get("CARDFILE_MAX_UPLOAD_MB", "25")) * 1024 * 1024),
        "max_json_bytes": int(float(env.get("CARDFILE_MAX_JSON_KB", "2048")) * 1024),
        "query_timeout": float(env.get("CARDFILE_QUERY_TIMEOUT", "10")) or None,
    }
    for name, (key, convert) in SCHEDULING_VARS.items():
        if env.get(name):
            values[key] = convert(env[name])
    values.update(overrides or {})
    values["data_dir"] = Path(values["data_dir"])
    return Settings(**values)


def secret_key(settings: Settings) -> str:
    """The configured key, or one generated once and kept in the data directory."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
