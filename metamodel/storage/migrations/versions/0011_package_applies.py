"""Configuration package history: ``cf_package_applies``, one row per package applied
(package, version, who, when, the plan, what it brought, and how it ended).

``objects`` lists the metadata the package brought (``table:clients``,
``field:clients.name``, ``view:clients/All clients`` …): what a later upgrade finds in the
base and in no applied package is the customer's own (local) addition.

Revision ID: 0011_package_applies
"""
import sqlalchemy as sa
from alembic import op

from cardfile.metamodel.storage.sqltypes import UtcDateTime

revision = "0011_package_applies"
down_revision = "0010_trash_unique_live"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "cf_package_applies",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("package", sa.String(64), nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("format_version", sa.Integer, nullable=False),
        sa.Column("source", sa.Text, nullable=True),
        sa.Column("actor_id", sa.Integer, nullable=True),
        sa.Column("actor_name", sa.String(150), nullable=True),
        sa.Column("applied_at", UtcDateTime, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("plan", sa.JSON, nullable=False),
        sa.Column("objects", sa.JSON, nullable=False),
        sa.Column("backup", sa.Text, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_index("ix_cf_package_applies_package", "cf_package_applies", ["package"])


def downgrade():
    op.drop_index("ix_cf_package_applies_package", table_name="cf_package_applies")
    op.drop_table("cf_package_applies")
