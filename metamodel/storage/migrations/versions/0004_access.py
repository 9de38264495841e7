"""Groups, per-table permissions, the security log, login throttling, user attributes.

Revision ID: 0004
"""
import sqlalchemy as sa
from alembic import op

from cardfile.metamodel.storage.sqltypes import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cf_users") as batch:
        batch.add_column(sa.Column("attributes", sa.JSON, nullable=True))
    op.create_table(
        "cf_groups",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("is_admin", sa.Boolean, nullable=False),
        sa.Column("sections", sa.JSON, nullable=True),
        sa.Column("package", sa.String(64), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "cf_group_members",
        sa.Column("group_id", sa.Integer, sa.ForeignKey("cf_groups.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("cf_users.id"), primary_key=True),
    )
    op.create_index("ix_cf_group_members_user", "cf_group_members", ["user_id"])
    op.create_table(
        "cf_permissions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("group_id", sa.Integer, sa.ForeignKey("cf_groups.id", ondelete="CASCADE"), nullable=False),
        sa.Column("table_id", sa.Integer, nullable=False),
        sa.Column("actions", sa.JSON, nullable=False),
        sa.Column("row_scope", sa.String(20), nullable=False),
        sa.Column("condition", sa.Text, nullable=True),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.UniqueConstraint("group_id", "table_id", name="uq_cf_permissions_group_table"),
    )
    op.create_table(
        "cf_security_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=True),
        sa.Column("username", sa.String(150), nullable=True),
        sa.Column("actor_id", sa.Integer, nullable=True),
        sa.Column("source", sa.String(100), nullable=True),
        sa.Column("details", sa.JSON, nullable=False),
    )
    op.create_index("ix_cf_security_log_at", "cf_security_log", ["at"])
    op.create_table(
        "cf_login_attempts",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("first_at", UtcDateTime, nullable=False),
        sa.Column("locked_until", UtcDateTime, nullable=True),
    )
