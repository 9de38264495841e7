"""The only place physical names are made: ``t_<id>`` for tables, ``f_<id>`` for columns.

User text never becomes an SQL identifier; labels and API names live in metadata only.
"""


def table_name(table_id: int) -> str:
    return f"t_{int(table_id)}"


def column_name(field_id: int, part: str | None = None) -> str:
    """A field's column; multi-column types add a fixed suffix (``f_12_cur``)."""
    base = f"f_{int(field_id)}"
    return f"{base}_{part}" if part else base


def index_name(table_id: int, field_id: int, kind: str = "ix") -> str:
    return f"{kind}_{int(table_id)}_{int(field_id)}"


SYSTEM_COLUMNS = ("id", "version", "created_at", "created_by", "updated_at", "updated_by", "owner", "deleted_at")
CHILD_COLUMNS = ("parent_id", "position")
