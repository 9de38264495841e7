"""``cardfile print TABLE TEMPLATE [--id N | --where EXPR] -o FILE``: documents from the shell.

Acts as the first active administrator, or as ``--user`` with that user's rights, and goes
through the same document service as the card's Print menu and the API: one record to
HTML, PDF or DOCX, or many into one PDF/HTML (or a ZIP of DOCX files), with no cap.
"""

from __future__ import annotations

from pathlib import Path

import click

from cardfile.metamodel.errors import CardfileError
from cardfile.metamodel.formulas.filters import where_filter
from cardfile.metamodel.records.query import ListQuery, parse_filter
from cardfile.reports.documents import FORMATS, Documents
from cardfile.reports.documents.batch import print_many, select_ids

from .cli import Env, cli, pass_env


@cli.command("print")
@click.argument("table")
@click.argument("template")
@click.option("--id", "ids", type=int, multiple=True, metavar="N", help="This record (repeatable).")
@click.option("--where", default=None, metavar="EXPR",
              help='Every record matching a formula condition, e.g. \'status == "unpaid"\'.')
@click.option("--filter", "filters", multiple=True, metavar="FIELD:OP:VALUE",
              help="Only matching records (repeatable; all must match).")
@click.option("--sort", default=None, metavar="FIELDS", help="Comma-separated fields, '-' for descending.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="pdf, html or docx (default: from the --output suffix; a ZIP holds DOCX files).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), required=True,
              help="File to write.")
@click.option("--user", "username", default=None, metavar="USERNAME",
              help="Print with this user's rights (default: the first administrator).")
@pass_env
def print_command(env: Env, table: str, template: str, ids, where, filters, sort, fmt, output: str,
                  username: str | None) -> None:
    """Print records of TABLE through TEMPLATE (its id or its name) into a file.

    Without --id, --where or --filter every record of the table is printed.
    """
    rt = env.runtime()
    actor = _actor(env, rt, username)
    docs = Documents(rt)
    found = _template(docs, actor, table, template)
    suffix = Path(output).suffix.lstrip(".").lower()
    fmt = fmt or {"zip": "docx"}.get(suffix, suffix if suffix in FORMATS else None) \
        or ("docx" if found["kind"] == "docx" else "pdf")
    docs.check_format(found, fmt)
    if len(ids) == 1 and not (where or filters):
        out = docs.render(actor, table, ids[0], found["id"], fmt)
        Path(output).write_bytes(out.data)
        click.echo(f"Printed {table} #{ids[0]} with {found['name']!r} to {output} ({fmt}).", err=True)
        return
    if ids and (where or filters):
        raise click.UsageError("Give --id, or --where/--filter, not both.")
    query = ListQuery(filters=[parse_filter(f) for f in filters],
                      sort=[s.strip() for s in (sort or "id").split(",") if s.strip()],
                      where=where_filter(where, rt.registry, me=actor) if where else None)
    chosen = select_ids(rt, actor, table, ids=list(ids) or None, query=query)
    shown = {"step": 0}

    def progress(done: int, total: int) -> None:
        step = done * 10 // max(total, 1)
        if step > shown["step"] or done == total:
            shown["step"] = step
            click.echo(f"  {done}/{total}", err=True)

    with open(output, "wb") as handle:
        try:
            result = print_many(docs, actor, table, found["id"], chosen, fmt, handle, progress)
        except BaseException:
            handle.close()
            Path(output).unlink(missing_ok=True)
            raise
    what = "ZIP of DOCX files" if fmt == "docx" else fmt
    click.echo(f"Printed {result.count} record(s) of {table} with {found['name']!r} to {output} ({what}).",
               err=True)


def _actor(env: Env, rt, username: str | None):
    if username is None:
        return env.admin()
    user = rt.users.by_username(username)
    if user is None:
        raise CardfileError(f"There is no user {username!r}.")
    return user


def _template(docs: Documents, actor, table: str, wanted: str) -> dict:
    templates = docs.templates.list(actor, table)
    for t in templates:
        if str(t["id"]) == wanted or t["name"] == wanted:
            return t
    for t in templates:
        if t["name"].casefold() == wanted.casefold():
            return t
    names = ", ".join(f"{t['id']}: {t['name']}" for t in templates) or "none"
    raise CardfileError(f"{table} has no template {wanted!r} (templates: {names}).")
