"""The platform's own tables (``cf_…``), as SQLAlchemy Core metadata.

Their schema is created and upgraded by the alembic migrations in ``migrations/``;
``tests`` compare the migrated database with this metadata so the two cannot drift.
"""

from sqlalchemy import (
    JSON, BigInteger, Boolean, Column, ForeignKey, Integer, MetaData, String, Table, Text,
    UniqueConstraint, Index,
)

from .sqltypes import UtcDateTime

metadata = MetaData()

cf_meta = Table(
    "cf_meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

cf_tables = Table(
    "cf_tables", metadata,
    Column("id", Integer, primary_key=True),
    Column("api_name", String(64), nullable=False, unique=True),
    Column("label", String(200), nullable=False),
    Column("display_field_id", Integer, nullable=True),
    Column("parent_field_id", Integer, nullable=True),
    Column("section", String(200), nullable=True),
    Column("position", Integer, nullable=False, default=0),
    Column("options", JSON, nullable=False, default=dict),
    Column("created_at", UtcDateTime, nullable=False),
    Column("deleted_at", UtcDateTime, nullable=True),
)

cf_fields = Table(
    "cf_fields", metadata,
    Column("id", Integer, primary_key=True),
    Column("table_id", Integer, ForeignKey("cf_tables.id"), nullable=False),
    Column("api_name", String(64), nullable=False),
    Column("label", String(200), nullable=False),
    Column("type", String(40), nullable=False),
    Column("options", JSON, nullable=False, default=dict),
    Column("position", Integer, nullable=False, default=0),
    Column("created_at", UtcDateTime, nullable=False),
    Column("deleted_at", UtcDateTime, nullable=True),
    UniqueConstraint("table_id", "api_name", name="uq_cf_fields_table_api_name"),
)

cf_users = Table(
    "cf_users", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(150), nullable=False, unique=True),
    Column("name", String(200), nullable=False, default=""),
    Column("email", String(254), nullable=True),
    Column("password_hash", String(255), nullable=False),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("is_active", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_login_at", UtcDateTime, nullable=True),
    Column("attributes", JSON, nullable=True),  # extra facts formulas read as me.<name>
)

cf_tokens = Table(
    "cf_tokens", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("cf_users.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
)

cf_sessions = Table(  # browser sessions: the SHA-256 of the cookie's secret; deleting a row signs it out
    "cf_sessions", metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("cf_users.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("source", String(100), nullable=True),
    Index("ix_cf_sessions_user", "user_id"),
)

cf_audit = Table(
    "cf_audit", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("table_id", Integer, nullable=False),
    Column("record_id", BigInteger, nullable=True),
    Column("action", String(20), nullable=False),
    Column("version", Integer, nullable=True),
    Column("user_id", Integer, nullable=True),
    Column("at", UtcDateTime, nullable=False),
    Column("changes", JSON, nullable=False),
    # an entry for a run of records (a batch of a bulk create or import): record_id..last_record_id
    Column("last_record_id", BigInteger, nullable=True),
    Index("ix_cf_audit_record", "table_id", "record_id"),
    Index("ix_cf_audit_run", "table_id", "last_record_id"),
)

cf_counters = Table(
    "cf_counters", metadata,
    Column("key", String(200), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

cf_files = Table(
    "cf_files", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("content_type", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

cf_file_uploads = Table(  # who uploaded a file: the uploader reads it until a record holds it
    "cf_file_uploads", metadata,
    Column("id", Integer, primary_key=True),
    Column("sha256", String(64), ForeignKey("cf_files.sha256"), nullable=False),
    Column("uploader_id", Integer, ForeignKey("cf_users.id"), nullable=False),
    Column("uploaded_at", UtcDateTime, nullable=False),
    Column("attached_at", UtcDateTime, nullable=True),
    Index("ix_cf_file_uploads_file", "sha256", "uploader_id"),
)

cf_reports = Table(
    "cf_reports", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("table_name", String(64), nullable=False),
    Column("definition", JSON, nullable=False),
    Column("description", Text, nullable=True),
    Column("owner_id", Integer, ForeignKey("cf_users.id"), nullable=True),
    Column("shared", Boolean, nullable=False, default=False),
    Column("package", String(64), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_cf_reports_owner", "owner_id"),
)

cf_imports = Table(
    "cf_imports", metadata,
    Column("id", Integer, primary_key=True),
    Column("table_id", Integer, nullable=False),
    Column("user_id", Integer, nullable=True),
    Column("source", String(255), nullable=False),
    Column("mode", String(20), nullable=False),
    Column("created_count", Integer, nullable=False),
    Column("updated_count", Integer, nullable=False),
    Column("created_ids", JSON, nullable=False),
    Column("updated", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("reverted_at", UtcDateTime, nullable=True),
)

# --- the browser UI's metadata (migration 0003) -------------------------------------------
cf_layouts = Table(  # one card layout per table: tabs -> sections -> columns -> field names
    "cf_layouts", metadata,
    Column("table_id", Integer, primary_key=True, autoincrement=False),
    Column("definition", JSON, nullable=False),
    Column("updated_by", Integer, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
)

cf_views = Table(  # saved list views: personal (owner), shared, or the table's default
    "cf_views", metadata,
    Column("id", Integer, primary_key=True),
    Column("table_id", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("owner_id", Integer, ForeignKey("cf_users.id"), nullable=True),
    Column("shared", Boolean, nullable=False, default=False),
    Column("is_default", Boolean, nullable=False, default=False),
    Column("definition", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_cf_views_table", "table_id"),
)

cf_sections = Table(  # navigation sections: the owner names, orders and hides them
    "cf_sections", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("position", Integer, nullable=False, default=0),
    Column("hidden", Boolean, nullable=False, default=False),
)

# --- access: groups, permissions, security log, login throttling ----------------------
cf_groups = Table(
    "cf_groups", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("description", Text, nullable=False, default=""),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("sections", JSON, nullable=True),  # visible menu sections; NULL: every section
    Column("package", String(64), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
)

cf_group_members = Table(
    "cf_group_members", metadata,
    Column("group_id", Integer, ForeignKey("cf_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("cf_users.id"), primary_key=True),
    Index("ix_cf_group_members_user", "user_id"),
)

cf_permissions = Table(
    "cf_permissions", metadata,
    Column("id", Integer, primary_key=True),
    Column("group_id", Integer, ForeignKey("cf_groups.id", ondelete="CASCADE"), nullable=False),
    Column("table_id", Integer, nullable=False),
    Column("actions", JSON, nullable=False),
    Column("row_scope", String(20), nullable=False, default="all"),
    Column("condition", Text, nullable=True),
    Column("fields", JSON, nullable=False, default=dict),  # field id (text) -> "hidden" | "read_only"
    UniqueConstraint("group_id", "table_id", name="uq_cf_permissions_group_table"),
)

cf_security_log = Table(
    "cf_security_log", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("event", String(40), nullable=False),
    Column("user_id", Integer, nullable=True),      # whom it is about
    Column("username", String(150), nullable=True),
    Column("actor_id", Integer, nullable=True),     # who did it (admin actions)
    Column("source", String(100), nullable=True),   # client address
    Column("details", JSON, nullable=False),
    Index("ix_cf_security_log_at", "at"),
)

cf_login_attempts = Table(
    "cf_login_attempts", metadata,
    Column("key", String(200), primary_key=True),   # "user:<folded name>" or "ip:<address>"
    Column("failures", Integer, nullable=False),
    Column("first_at", UtcDateTime, nullable=False),
    Column("locked_until", UtcDateTime, nullable=True),
)

# --- documents: print templates, their versions, printed copies, print jobs (0007) --------
cf_templates = Table(  # a print template of one table: HTML+Jinja text or an uploaded DOCX
    "cf_templates", metadata,
    Column("id", Integer, primary_key=True),
    Column("table_id", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("kind", String(10), nullable=False),          # "html" | "docx"
    Column("body", Text, nullable=True),                 # the HTML template (kind html)
    Column("docx_sha256", String(64), nullable=True),    # the DOCX in the file store (kind docx)
    Column("docx_name", String(255), nullable=True),
    Column("settings", JSON, nullable=False),            # paper, file name, language, email, groups, keep_copy
    Column("description", Text, nullable=True),
    Column("package", String(64), nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", Integer, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", Integer, nullable=True),
    Column("deleted_at", UtcDateTime, nullable=True),
    Index("ix_cf_templates_table", "table_id"),
)

cf_template_versions = Table(  # every saved state of a template: who, when, what
    "cf_template_versions", metadata,
    Column("id", Integer, primary_key=True),
    Column("template_id", Integer, ForeignKey("cf_templates.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("action", String(20), nullable=False),
    Column("definition", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", Integer, nullable=True),
    UniqueConstraint("template_id", "version", name="uq_cf_template_versions"),
)

cf_documents = Table(  # generated documents kept with their record (printed copies, emails)
    "cf_documents", metadata,
    Column("id", Integer, primary_key=True),
    Column("table_id", Integer, nullable=False),
    Column("record_id", BigInteger, nullable=False),
    Column("template_id", Integer, nullable=True),
    Column("template_name", String(200), nullable=False),
    Column("format", String(10), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("reads", JSON, nullable=False),               # records and fields the document shows
    Column("sent_to", String(254), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", Integer, nullable=True),
    Index("ix_cf_documents_record", "table_id", "record_id"),
)

cf_print_jobs = Table(  # a batch print run: progress readable by any app process
    "cf_print_jobs", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("table_id", Integer, nullable=False),
    Column("template_id", Integer, nullable=False),
    Column("format", String(10), nullable=False),
    Column("query", JSON, nullable=False),
    Column("state", String(20), nullable=False),         # queued, running, done, failed
    Column("total", Integer, nullable=True),
    Column("done", Integer, nullable=False),
    Column("error", Text, nullable=True),
    Column("file_sha256", String(64), nullable=True),
    Column("file_name", String(255), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    Index("ix_cf_print_jobs_user", "user_id"),
)

# --- reminders, inbox, mail, mailings, jobs (0009): defined in messaging_tables -----------
from . import messaging_tables  # noqa: E402,F401  (adds its tables to ``metadata``)
from . import package_tables  # noqa: E402,F401  (cf_package_applies, revision 0011)
