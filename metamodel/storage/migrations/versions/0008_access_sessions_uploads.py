"""Revocable sign-in sessions and who uploaded which file.

``cf_sessions``: one row per browser session (the SHA-256 of the secret the cookie holds);
signing out, a password change, disabling a user and "sign out everywhere" delete rows,
and a cookie whose row is gone is signed out at its next request.

``cf_file_uploads``: one row per upload (file, uploader, time); the uploader may read the
file until a record holds it, and only an uploader may put a file into a record.

Revision ID: 0008_access_sessions_uploads
"""
import sqlalchemy as sa
from alembic import op

from cardfile.metamodel.storage.sqltypes import UtcDateTime

revision = "0008_access_sessions_uploads"
down_revision = "0007_documents"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "cf_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("cf_users.id"), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("last_seen_at", UtcDateTime, nullable=False),
        sa.Column("source", sa.String(100), nullable=True),
    )
    op.create_index("ix_cf_sessions_user", "cf_sessions", ["user_id"])
    op.create_table(
        "cf_file_uploads",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sha256", sa.String(64), sa.ForeignKey("cf_files.sha256"), nullable=False),
        sa.Column("uploader_id", sa.Integer, sa.ForeignKey("cf_users.id"), nullable=False),
        sa.Column("uploaded_at", UtcDateTime, nullable=False),
        sa.Column("attached_at", UtcDateTime, nullable=True),
    )
    op.create_index("ix_cf_file_uploads_file", "cf_file_uploads", ["sha256", "uploader_id"])
