"""Card layouts, saved list views and navigation sections (the browser UI's metadata).

Revision ID: 0003
"""
import sqlalchemy as sa
from alembic import op

from cardfile.metamodel.storage.sqltypes import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "cf_layouts",
        sa.Column("table_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("updated_by", sa.Integer, nullable=True),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "cf_views",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("table_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("cf_users.id"), nullable=True),
        sa.Column("shared", sa.Boolean, nullable=False),
        sa.Column("is_default", sa.Boolean, nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_cf_views_table", "cf_views", ["table_id"])
    op.create_table(
        "cf_sections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("hidden", sa.Boolean, nullable=False),
    )
