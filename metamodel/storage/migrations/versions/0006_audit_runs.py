"""Audit entries for runs of records: ``cf_audit.last_record_id``.

A bulk create or an import writes one "create" entry per run of consecutive new ids,
covering the records ``record_id`` to ``last_record_id``, instead of one entry per record; a record's history
reads both kinds (``ix_cf_audit_run`` finds the runs).

Revision ID: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("cf_audit", sa.Column("last_record_id", sa.BigInteger(), nullable=True))
    op.create_index("ix_cf_audit_run", "cf_audit", ["table_id", "last_record_id"])
