"""``cardfile config export`` (and, below, diff and history): configuration packages out of and
into a running base. ``validate`` and ``apply`` live in ``cli.py`` with ``init``.
Reference: ``docs/config-packages.md``."""

from __future__ import annotations

import json

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


@config.command("diff")
@click.argument("package", metavar="PATH")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@pass_env
def config_diff(env: Env, package: str, as_json: bool) -> None:
    """What applying PATH would do to this base: destructive steps first, then the rest."""
    from cardfile.metamodel.packages.samples import resolve
    from cardfile.platform.config_install import load_checked, plan

    path, _source = resolve(package)
    rt, actor = env.runtime(), env.admin()
    pkg = load_checked(path, rt.registry)
    result = plan(rt, actor, pkg)
    data = result.to_dict()
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
        return
    for line in describe_plan(data):
        click.echo(line)


def describe_plan(data: dict) -> list[str]:
    """The plan as lines of text: where it starts from, conflicts, destructive steps, the rest, what is kept."""
    lines = [f"{data['package']} {data['previous'] or '(not applied here yet)'} -> {data['version']}"]
    for c in data["conflicts"]:
        lines.append(f"CONFLICT: {c['message']}.")
        lines.append(f"  suggested: {c['suggestion']}.")
    destructive = [c for c in data["changes"] if c["destructive"] or c["blocked"]]
    rest = [c for c in data["changes"] if not (c["destructive"] or c["blocked"])]
    if destructive:
        lines.append(f"Destructive ({len(destructive)}; need --allow-destructive, a backup is taken first):")
        lines += [f"  {c['description']}" for c in destructive]
    additions = [c for c in rest if c["action"] in ("create_table", "add_field")]
    changes = [c for c in rest if c not in additions]
    if additions:
        lines.append(f"Additions ({len(additions)}):")
        lines += [f"  {c['description']}" for c in additions]
    if changes:
        lines.append(f"Changes ({len(changes)}):")
        lines += [f"  {c['description']}" for c in changes]
    if data["local"]:
        lines.append(f"Kept, added here ({len(data['local'])}):")
        lines += [f"  {item}" for item in data["local"]]
    if data["notices"]:
        lines.append(f"Kept, not in the package ({len(data['notices'])}):")
        lines += [f"  {n}" for n in data["notices"]]
    if not data["changes"] and not data["conflicts"]:
        lines.append("Nothing to change.")
    return lines


@config.command("history")
@click.option("--package", default=None, help="Only this package's applies.")
@pass_env
def config_history(env: Env, package: str | None) -> None:
    """Every package applied to this base: when, who, which version, what it did."""
    from cardfile.metamodel.packages.history import history
    from cardfile.platform.cli import _table

    rows = history(env.runtime().engine, package)
    _table(["id", "when", "package", "version", "who", "state", "changes", "backup"],
           [[r["id"], r["applied_at"][:19].replace("T", " "), r["package"], r["version"], r["actor_name"] or "",
             r["state"] + (f": {r['error'][:60]}" if r["error"] else ""), len(r["plan"].get("changes") or []),
             r["backup"] or ""] for r in rows])
