"""SQLite: the live-row indexes of user tables lead with ``deleted_at`` (see
``cardfile.metamodel.storage.live_rows``), so a filtered count reads the index alone.

A one-off change of how user tables' indexes are laid out, so it is made here rather than
by the metadata-driven DDL: every plain index ``ix_…`` of a table ``t_…`` over live rows
is built again with ``deleted_at`` first. PostgreSQL keeps its indexes as they are.

Revision ID: 0005
"""
import re

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_LIVE = re.compile(r"^CREATE INDEX (ix_\d+_\w+) ON (t_\d+) \((?!deleted_at)(.+)\) WHERE deleted_at IS NULL$")


def upgrade():
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    rows = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND name GLOB 'ix_*' AND tbl_name GLOB 't_*'").all()
    for (sql,) in rows:
        match = _LIVE.match(" ".join((sql or "").split()))
        if match is None:
            continue
        name, table, columns = match.groups()
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
        conn.exec_driver_sql(f'CREATE INDEX "{name}" ON "{table}" (deleted_at, {columns}) WHERE deleted_at IS NULL')
