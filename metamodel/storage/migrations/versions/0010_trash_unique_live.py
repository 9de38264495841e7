"""Unique values are unique among live records: the unique indexes of user tables become
partial indexes over ``deleted_at IS NULL`` (see ``live_rows.live_unique_index``).

A record in the trash no longer holds its unique value, so an import that was reverted
can be run again. User tables are built from metadata, so this one-off change of how their
existing unique indexes (``uq_<table>_<field>`` on ``t_<table>``) are laid out is made here;
new ones are created partial by the metadata-driven DDL.

Revision ID: 0010_trash_unique_live
"""
import re

from alembic import op

revision = "0010_trash_unique_live"
down_revision = "0009_reminders_mail"
branch_labels = None
depends_on = None

_SQLITE = re.compile(r'^CREATE UNIQUE INDEX "?(uq_\d+_\d+)"? ON "?(t_\d+)"? \(([^()]+)\)$')


def upgrade():
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND name GLOB 'uq_*' "
            "AND tbl_name GLOB 't_*'").all()
        for (sql,) in rows:
            match = _SQLITE.match(" ".join((sql or "").split()))
            if match is None:  # already partial
                continue
            name, table, columns = match.groups()
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
            conn.exec_driver_sql(f'CREATE UNIQUE INDEX "{name}" ON "{table}" ({columns}) WHERE deleted_at IS NULL')
        return
    rows = conn.exec_driver_sql(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
        "AND indexname ~ '^uq_[0-9]+_[0-9]+$' AND tablename ~ '^t_[0-9]+$'").all()
    for name, definition in rows:
        if " WHERE " in definition.upper():
            continue
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
        conn.exec_driver_sql(f"{definition} WHERE (deleted_at IS NULL)")
