"""``cardfile db copy SRC_URL DST_URL``: move a whole base to another database (docs/deploy.md)."""

from __future__ import annotations

import click

from cardfile.metamodel.dbcopy import copy_base, shown
from cardfile.platform.cli import cli


@cli.group("db")
def db() -> None:
    """Database tools."""


@db.command("copy")
@click.argument("src_url")
@click.argument("dst_url")
@click.option("--src-schema", default=None, metavar="NAME", help="PostgreSQL schema of the source.")
@click.option("--dst-schema", default=None, metavar="NAME", help="PostgreSQL schema of the destination.")
def db_copy(src_url: str, dst_url: str, src_schema: str | None, dst_schema: str | None) -> None:
    """Copy the whole base at SRC_URL into the empty database at DST_URL.

    SQLite to PostgreSQL, PostgreSQL to SQLite or PostgreSQL to PostgreSQL; ids, counters
    and users are kept. Every table is verified by its row count and a checksum; a
    mismatch undoes the copy. Stop the app first. Example:

      cardfile db copy sqlite:///var/cardfile.db postgresql://cardfile:PASSWORD@127.0.0.1/cardfile
    """
    click.echo(f"Copying {shown(src_url)} -> {shown(dst_url)}")

    def report(item) -> None:
        click.echo(f"  {item.name:<24} {item.rows:>9} rows  sha256 {item.checksum[:16]}  "
                   f"{'ok' if item.ok else 'MISMATCH'}")

    results = copy_base(src_url, dst_url, src_schema=src_schema, dst_schema=dst_schema, progress=report)
    rows = sum(r.rows for r in results)
    click.echo(f"Copied {len(results)} tables, {rows} rows; row counts and checksums match the source.")
