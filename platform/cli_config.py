"""``cardfile config export`` (and, below, diff and history): configuration packages out of and
into a running base. ``validate`` and ``apply`` live in ``cli.py`` with ``init``.
Reference: ``docs/config-packages.md``."""

from __future__ import annotations

import click

from cardfile.metamodel.packages.export import render_package, write_package
from cardfile.platform.cli import Env, config, pass_env


@config.command("export")
@click.argument("target", metavar="DIR", type=click.Path(file_okay=False))
@click.option("--name", default=None, help="Package name (default: the package applied last, or 'configuration').")
@click.option("--version", "version", default=None, help="Package version (default: the applied one, or 1.0.0).")
@click.option("--title", default=None, help="Package title.")
@pass_env
def config_export(env: Env, target: str, name: str | None, version: str | None, title: str | None) -> None:
    """Write the running configuration as a package into DIR (no records, users or secrets)."""
    rt, actor = env.runtime(), env.admin()
    files = render_package(rt, actor, name=name, version=version, title=title)
    write_package(files, target)
    tables = sum(1 for f in files if f.startswith("tables/"))
    click.echo(f"Exported {len(files)} file(s) ({tables} tables) to {target}.")
