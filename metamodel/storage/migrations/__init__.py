"""The platform's own schema (``cf_…`` tables), upgraded with alembic.

``upgrade(connection)`` brings a database to the newest revision inside the caller's
transaction. User tables are not alembic's business: they are built from metadata by
``cardfile.metamodel.storage.ddl``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

VERSION_TABLE = "cf_alembic_version"
_HERE = Path(__file__).parent


def _config(connection=None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(connection, revision: str = "head") -> None:
    command.upgrade(_config(connection), revision)


def current(connection) -> str | None:
    ctx = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return ctx.get_current_revision()


def head() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()
