"""The platform's own schema (``cf_…`` tables), upgraded with alembic.

``upgrade(connection)`` brings a database to the newest revision inside the caller's
transaction. A database whose revision this code does not know was migrated by a newer
Cardfile: it is refused (``NewerDatabase``, naming both revisions) and left as it is. User tables are not alembic's business: they are built from metadata by
``cardfile.metamodel.storage.ddl``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from ...errors import CardfileError

VERSION_TABLE = "cf_alembic_version"
_HERE = Path(__file__).parent


def _config(connection=None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    cfg.attributes["connection"] = connection
    return cfg


class NewerDatabase(CardfileError):
    code = "NEWER_DATABASE"


def check_known(connection) -> str | None:
    """The database's revision; ``NewerDatabase`` when this code does not know it."""
    found = current(connection)
    if found is None:
        return None
    try:
        known = ScriptDirectory.from_config(_config()).get_revision(found)
    except Exception:  # noqa: BLE001 - alembic: unknown revision
        known = None
    if known is None:
        expected = head()
        raise NewerDatabase(
            f"The database was migrated by a newer Cardfile (schema revision {found}); this Cardfile "
            f"knows revisions up to {expected}. Upgrade Cardfile instead; the database was not changed.",
            {"database_revision": found, "code_revision": expected})
    return found


def upgrade(connection, revision: str = "head") -> None:
    check_known(connection)
    command.upgrade(_config(connection), revision)


def current(connection) -> str | None:
    ctx = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return ctx.get_current_revision()


def head() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()
