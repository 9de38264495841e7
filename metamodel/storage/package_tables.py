"""The platform table of configuration package history (revision 0011_package_applies).

It belongs to ``platform_tables.metadata``, which imports this module, so the migration
test compares it like every other ``cf_`` table.

    cf_package_applies   one row per apply: package, version, who, when, the plan, the
                         metadata it brought (``objects``), the backup taken, how it ended
"""

from sqlalchemy import JSON, Column, Index, Integer, String, Table, Text

from .platform_tables import metadata
from .sqltypes import UtcDateTime

cf_package_applies = Table(
    "cf_package_applies", metadata,
    Column("id", Integer, primary_key=True),
    Column("package", String(64), nullable=False),
    Column("version", String(40), nullable=False),
    Column("format_version", Integer, nullable=False),
    Column("source", Text, nullable=True),
    Column("actor_id", Integer, nullable=True),
    Column("actor_name", String(150), nullable=True),
    Column("applied_at", UtcDateTime, nullable=False),
    Column("state", String(20), nullable=False),  # applied | failed
    Column("plan", JSON, nullable=False),
    Column("objects", JSON, nullable=False),
    Column("backup", Text, nullable=True),
    Column("error", Text, nullable=True),
    Index("ix_cf_package_applies_package", "package"),
)
