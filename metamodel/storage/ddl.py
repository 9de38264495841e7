"""Schema changes as data: plan a list of operations, show it, apply it in one transaction.

``plan_*`` functions are pure: they take SQLAlchemy objects built from metadata and
return operations. ``apply(conn, ops)`` runs them through alembic's operations on the
caller's connection (the caller owns the transaction, so a failure writes nothing —
PostgreSQL and SQLite both have transactional DDL). SQLite (3.35+) adds, renames and
drops user columns in place: user columns there carry no key constraints (the record
service checks links; PostgreSQL also has real foreign keys), so no rebuild is needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from typing import Any

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Column, Index, Table, bindparam, update


@dataclass
class CreateTable:
    table: Table

    def describe(self) -> str:
        return f"create table {self.table.name} ({', '.join(c.name for c in self.table.columns)})"


@dataclass
class DropTable:
    name: str

    def describe(self) -> str:
        return f"drop table {self.name}"


@dataclass
class AddColumns:
    table: Table
    columns: list[Column]
    indexes: list[Index] = dc_field(default_factory=list)

    def describe(self) -> str:
        cols = ", ".join(f"{c.name} {c.type!r}" for c in self.columns)
        return f"add to {self.table.name}: {cols}" + (f"; index {', '.join(i.name for i in self.indexes)}" if self.indexes else "")


@dataclass
class DropColumns:
    table: Table
    column_names: list[str]

    def describe(self) -> str:
        return f"drop from {self.table.name}: {', '.join(self.column_names)}"


@dataclass
class ReplaceIndexes:
    table: Table
    drop: list[str]
    create: list[Index]

    def describe(self) -> str:
        return (f"indexes on {self.table.name}: drop {', '.join(self.drop) or '-'}; "
                f"create {', '.join(i.name for i in self.create) or '-'}")


@dataclass
class RewriteColumns:
    """Replace a field's column(s) with new ones holding converted values (a retype)."""

    table: Table
    old_names: list[str]
    new_columns: list[Column]
    values: dict[int, dict[str, Any]]  # record id -> {new column name: db value}
    drop_indexes: list[str] = dc_field(default_factory=list)
    create_indexes: list[Index] = dc_field(default_factory=list)

    def describe(self) -> str:
        cols = ", ".join(f"{c.name} {c.type!r}" for c in self.new_columns)
        return f"rewrite {self.table.name}.{'/'.join(self.old_names)} as {cols} ({len(self.values)} values)"


def _ops(conn) -> Operations:
    return Operations(MigrationContext.configure(conn))


def _copy_index(index: Index, table_name: str) -> tuple[str, str, list[str], bool, dict]:
    where = {k: v for k, v in index.dialect_kwargs.items() if k.endswith("_where") and v is not None}
    columns = [c.name if hasattr(c, "name") else str(c) for c in index.expressions]
    return index.name, table_name, columns, bool(index.unique), where


def apply(conn, ops: list) -> None:
    operations = _ops(conn)
    for op in ops:
        if isinstance(op, CreateTable):
            op.table.create(conn)
        elif isinstance(op, DropTable):
            operations.drop_table(op.name)
        elif isinstance(op, AddColumns):
            for column in op.columns:
                operations.add_column(op.table.name, column._copy())
                _add_foreign_keys(conn, operations, op.table.name, column)
            for index in op.indexes:
                _create_index(operations, index, op.table.name)
        elif isinstance(op, ReplaceIndexes):
            for name in op.drop:
                operations.drop_index(name, table_name=op.table.name)
            for index in op.create:
                _create_index(operations, index, op.table.name)
        elif isinstance(op, DropColumns):
            _drop_columns(conn, operations, op.table, op.column_names)
        elif isinstance(op, RewriteColumns):
            _rewrite(conn, operations, op)
        else:  # pragma: no cover - a programming error, not user input
            raise TypeError(f"unknown DDL operation {op!r}")


def _add_foreign_keys(conn, operations: Operations, table_name: str, column: Column) -> None:
    """Links are foreign keys on PostgreSQL. On SQLite a column added later cannot get
    one without a table rebuild, so there the record service's checks guard links."""
    if conn.dialect.name == "sqlite":
        return
    for fk in column.foreign_keys:
        target_table, target_column = fk.target_fullname.split(".")
        operations.create_foreign_key(fk.name or f"fk_{table_name}_{column.name}", table_name,
                                      target_table, [column.name], [target_column])


def _create_index(operations: Operations, index: Index, table_name: str) -> None:
    name, table, columns, unique, where = _copy_index(index, table_name)
    operations.create_index(name, table, columns, unique=unique, **where)


def _drop_columns(conn, operations: Operations, table: Table, column_names: list[str]) -> None:
    """Drop indexes on the columns, then the columns (SQLite 3.35+ drops them in place;
    user columns carry no key constraints there, the record service checks links)."""
    for index in list(table.indexes):
        if any(c.name in column_names for c in index.columns):
            operations.drop_index(index.name, table_name=table.name)
    for name in column_names:
        operations.drop_column(table.name, name)


def _rewrite(conn, operations: Operations, op: RewriteColumns) -> None:
    temp = [Column(f"{c.name}__new", c.type, nullable=True) for c in op.new_columns]
    for column in temp:
        operations.add_column(op.table.name, column)
    target = Table(op.table.name, op.table.metadata.__class__(), Column("id", primary_key=True),
                   *[Column(c.name, c.type) for c in temp])
    rows = [{"_id": rid, **{f"{k}__new": v for k, v in values.items()}} for rid, values in op.values.items()]
    if rows:
        stmt = update(target).where(target.c.id == bindparam("_id")).values(
            {c.name: bindparam(c.name) for c in temp})
        for start in range(0, len(rows), 5000):
            conn.execute(stmt, rows[start:start + 5000])
    for name in op.drop_indexes:
        operations.drop_index(name, table_name=op.table.name)
    for name in op.old_names:
        # retypes never touch key columns, so both databases drop these in place
        operations.drop_column(op.table.name, name)
    for column in op.new_columns:
        operations.alter_column(op.table.name, f"{column.name}__new", new_column_name=column.name)
    for index in op.create_indexes:
        _create_index(operations, index, op.table.name)
