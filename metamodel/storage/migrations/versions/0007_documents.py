"""Documents: print templates (versioned, trashable), printed copies kept with their
record, and batch print jobs.

Revision ID: 0007_documents
"""
import sqlalchemy as sa
from alembic import op

from cardfile.metamodel.storage.sqltypes import UtcDateTime

revision = "0007_documents"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "cf_templates",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("table_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("body", sa.Text, nullable=True),
        sa.Column("docx_sha256", sa.String(64), nullable=True),
        sa.Column("docx_name", sa.String(255), nullable=True),
        sa.Column("settings", sa.JSON, nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("package", sa.String(64), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("created_by", sa.Integer, nullable=True),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("updated_by", sa.Integer, nullable=True),
        sa.Column("deleted_at", UtcDateTime, nullable=True),
    )
    op.create_index("ix_cf_templates_table", "cf_templates", ["table_id"])
    op.create_table(
        "cf_template_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("template_id", sa.Integer, sa.ForeignKey("cf_templates.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("created_by", sa.Integer, nullable=True),
        sa.UniqueConstraint("template_id", "version", name="uq_cf_template_versions"),
    )
    op.create_table(
        "cf_documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("table_id", sa.Integer, nullable=False),
        sa.Column("record_id", sa.BigInteger, nullable=False),
        sa.Column("template_id", sa.Integer, nullable=True),
        sa.Column("template_name", sa.String(200), nullable=False),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("reads", sa.JSON, nullable=False),
        sa.Column("sent_to", sa.String(254), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("created_by", sa.Integer, nullable=True),
    )
    op.create_index("ix_cf_documents_record", "cf_documents", ["table_id", "record_id"])
    op.create_table(
        "cf_print_jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("table_id", sa.Integer, nullable=False),
        sa.Column("template_id", sa.Integer, nullable=False),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("query", sa.JSON, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("total", sa.Integer, nullable=True),
        sa.Column("done", sa.Integer, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("file_sha256", sa.String(64), nullable=True),
        sa.Column("file_name", sa.String(255), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("finished_at", UtcDateTime, nullable=True),
    )
    op.create_index("ix_cf_print_jobs_user", "cf_print_jobs", ["user_id"])
