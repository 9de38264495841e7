"""``cardfile export TABLE`` and ``cardfile import TABLE FILE``: lists out, spreadsheets in.

Both act as the first active administrator (the CLI runs where the data is) and go
through the record service like the web UI and the API do.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from cardfile.metamodel.records.query import ListQuery, parse_filter
from cardfile.metamodel.records.stream import RowStream
from cardfile.reports.exports import FORMATS, lines_csv, list_csv, list_json, list_xlsx
from cardfile.reports.imports import MODES, ImportOptions, run_import

from .cli import Env, cli, pass_env

ERRORS_SHOWN = 50


@cli.command("export")
@click.argument("table")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Output format (default: from the --output suffix, else csv).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="File to write (default: standard output; XLSX needs a file).")
@click.option("--filter", "filters", multiple=True, metavar="FIELD:OP:VALUE",
              help="Only matching records (repeatable; all must match).")
@click.option("--search", default=None, help="Quick search over text fields.")
@click.option("--sort", default=None, metavar="FIELDS", help="Comma-separated fields, '-' for descending.")
@click.option("--lines", default=None, metavar="FIELD",
              help="CSV: the line items of this lines field (keyed by Record ID) instead of the records.")
@pass_env
def export_command(env: Env, table: str, fmt: str | None, output: str | None, filters, search, sort,
                   lines: str | None) -> None:
    """Export a table's records (readable fields only) to CSV, XLSX or JSON; XLSX and JSON
    hold the line items too (a sheet per lines field, inside each record)."""
    if fmt is None:
        suffix = Path(output).suffix.lstrip(".").lower() if output else ""
        fmt = suffix if suffix in FORMATS else "csv"
    if fmt == "xlsx" and not output:
        raise click.UsageError("XLSX is written to a file: add --output FILE.xlsx.")
    if lines and fmt != "csv":
        raise click.UsageError("--lines gives line items as CSV; XLSX and JSON hold them already.")
    rt, actor = env.runtime(), env.admin()
    query = ListQuery(filters=[parse_filter(f) for f in filters], search=search,
                      sort=[s.strip() for s in (sort or "").split(",") if s.strip()])
    stream = rt.records.iter_rows(actor, table, query, action="export")
    count = 0
    source = stream

    def counted(with_lines: bool = False):
        nonlocal count
        for batch in source.batches(with_lines=with_lines):
            count += len(batch)
            yield batch

    stream = RowStream(source.table, source.fields, counted, source.lines)
    if fmt == "xlsx":
        list_xlsx(rt.registry, stream, output, title=stream.table.label)
    else:
        if lines:
            chunks = lines_csv(rt.registry, stream, lines)
        else:
            chunks = list_csv(rt.registry, stream) if fmt == "csv" else list_json(stream, with_lines=True)
        out = open(output, "wb") if output else sys.stdout.buffer
        try:
            for chunk in chunks:
                out.write(chunk)
        finally:
            if output:
                out.close()
            else:
                out.flush()
    if output:
        click.echo(f"Exported {count} record(s) of {table} to {output} ({fmt}).", err=True)


@cli.command("import")
@click.argument("table")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row and show a preview; write nothing.")
@click.option("--mode", type=click.Choice(MODES), default=None,
              help="create new records, update existing ones (by --key), or upsert (default: "
                   "create, or upsert when --key is given).")
@click.option("--key", default=None, metavar="FIELD", help="Field that identifies the record to update.")
@click.option("--map", "maps", multiple=True, metavar="COLUMN=FIELD",
              help="Map a column to a field (FIELD empty to skip it); unmapped columns are auto-matched.")
@click.option("--link-key", "link_keys", multiple=True, metavar="LINK=FIELD",
              help="Find linked records by this field of the target instead of its display value.")
@click.option("--encoding", default=None, help="Encoding of a CSV file (default: detected).")
@click.option("--delimiter", default=None, help="CSV delimiter (default: detected among , ; tab).")
@click.option("--header-row", type=int, default=None, help="Row holding the column headers (default: detected).")
@click.option("--sheet", default=None, help="XLSX sheet (default: the first).")
@click.option("--lines", "lines", multiple=True, metavar="FIELD=FILE",
              help="A CSV or XLSX file of the line items of FIELD, keyed by Record ID (a CSV export's second "
                   "file); an XLSX's own sheets named after a lines field are read without it.")
@click.option("--keep-ids", is_flag=True, help="Create the records with the IDs of the file's ID column "
                                                   "(restoring a table: links to it by id hold).")
@click.option("--locale", "locale_name", default=None, metavar="LOCALE",
              help="Read currency signs as written there: $ is CAD in en_CA, lei is MDL in ro_MD "
                   "(default: signs every locale reads alike; a field's own currency comes first).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
@pass_env
def import_command(env: Env, table: str, file: str, dry_run: bool, mode: str | None, key: str | None, maps,
                   link_keys, encoding, delimiter, header_row, sheet, lines, keep_ids: bool, locale_name,
                   as_json: bool) -> None:
    """Import records from a CSV, XLSX or JSON file (as an export writes them): all rows or none."""
    rt, actor = env.runtime(), env.admin()
    options = ImportOptions(mode=mode or ("upsert" if key else "create"), key=key, dry_run=dry_run,
                            encoding=encoding, delimiter=delimiter, header_row=header_row, sheet=sheet,
                            links=_pairs(link_keys, "--link-key"), keep_ids=keep_ids, locale=locale_name)
    lines_files = {k: v for k, v in _pairs(lines, "--lines").items()}
    if maps:  # the other columns are auto-matched (as an API import's partial mapping)
        options.mapping = {k: (v or None) for k, v in _pairs(maps, "--map").items()}
    shown = {"n": 0}

    def progress(rows: int) -> None:
        if rows and rows // 100_000 > shown["n"]:
            shown["n"] = rows // 100_000
            click.echo(f"  {rows} rows…", err=True)

    result = run_import(rt, actor, table, file, Path(file).name, options, progress=progress,
                        lines_files=lines_files)
    if as_json:
        click.echo(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    else:
        _print_report(result)
    if result["error_count"]:
        raise click.ClickException(f"{result['error_count']} problem(s); nothing was imported.")


def _pairs(items, option: str) -> dict:
    result = {}
    for item in items:
        left, sep, right = item.partition("=")
        if not sep or not left:
            raise click.UsageError(f"{option} takes LEFT=RIGHT, got {item!r}.")
        result[left] = right
    return result


def _print_report(result: dict) -> None:
    src = result["source"]
    settings = f"{src['format']}"
    if src["format"] == "csv":
        settings += f", {src['encoding']}, delimiter {src['delimiter']!r}"
    if src["format"] == "json":
        click.echo(f"File: json, {src['records']} record(s).")
    else:
        click.echo(f"File: {settings}, headers in row {src['header_row']}.")
    for column, field in (result["mapping"] or {}).items():
        click.echo(f"  {column!r} -> {field or '(skipped)'}")
    for name, part in (result.get("lines") or {}).items():
        click.echo(f"  line items of {name}: {part['rows']} row(s) from {part['source']}")
    for error in result["errors"][:ERRORS_SHOWN]:
        where = f"{error['sheet']}, " if error.get("sheet") else ""
        click.echo(f"  {where}row {error['row']}, {error['column'] or '-'} = {error.get('value')!r}: "
                   f"{error['reason']}")
    if result["error_count"] > ERRORS_SHOWN:
        click.echo(f"  … and {result['error_count'] - ERRORS_SHOWN} more")
    if result["dry_run"]:
        for item in result["preview"][:5]:
            click.echo(f"  row {item['row']} ({item['action']}): {json.dumps(item['values'], ensure_ascii=False)}")
        click.echo(f"Dry run: {result['rows']} rows, {result['created']} to create, {result['updated']} to update, "
                   f"{result['error_count']} problem(s); nothing was written.")
    elif result["written"]:
        click.echo(f"Imported {result['rows']} rows into {result['table']}: {result['created']} created, "
                   f"{result['updated']} updated (import #{result['import_id']}; "
                   f"revert with POST /api/v1/imports/{result['import_id']}/revert).")
