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
    Index("ix_cf_audit_record", "table_id", "record_id"),
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
