"""``cardfile scheduler``, ``cardfile jobs``, ``cardfile backup`` and ``cardfile restore``."""

from __future__ import annotations

import signal

import click

from cardfile.metamodel import backup as backups
from cardfile.metamodel.jobs import JOB_NAMES, Jobs
from cardfile.platform.cli import Env, cli, pass_env
from cardfile.platform.settings import secret_key


@cli.command("scheduler")
@pass_env
def scheduler_command(env: Env) -> None:
    """Run the scheduler as its own process (reminders, mail, mailings, backups).

    Use it with several app processes, which then run with CARDFILE_SCHEDULER=off.
    Stop it with Ctrl+C or SIGTERM.
    """
    from cardfile.platform.scheduler import build, triggers

    rt = env.runtime()
    scheduler, _jobs = build(rt, secret_key(env.settings), blocking=True)
    names = ", ".join(triggers(rt.settings))
    click.echo(f"Cardfile scheduler on {env.database} (time zone {rt.settings.timezone}): {names}. Ctrl+C stops it.")
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    click.echo("Scheduler stopped.")


@cli.command("jobs")
@click.option("--run", "name", type=click.Choice(JOB_NAMES), default=None, help="Run this job once now.")
@pass_env
def jobs_command(env: Env, name: str | None) -> None:
    """Show the scheduled jobs (last run, last error), or run one now."""
    rt = env.runtime()
    jobs = Jobs(rt, secret_key(env.settings))
    if name:
        result = jobs.run(name)
        click.echo(f"{name}: {'another scheduler is running it' if result is None else result}")
        return
    for job in jobs.status():
        state = f"last run {job['last_finished_at'] or 'never'}, {job['runs']} run(s)"
        click.echo(f"{job['name']:<10} {state}" + (f"\n  last error: {job['last_error'].splitlines()[-1]}"
                                                   if job["last_error"] else ""))


@cli.command("backup")
@click.option("--keep", type=int, default=None, help="Keep this many backups (default: CARDFILE_BACKUP_KEEP).")
@click.option("--list", "show", is_flag=True, help="List the backups instead.")
@pass_env
def backup_command(env: Env, keep: int | None, show: bool) -> None:
    """Back up the database into <data dir>/backups now."""
    env.runtime()
    if show:
        for item in backups.list_backups(env.settings):
            click.echo(f"{item['name']}  {item['size']} bytes")
        return
    result = backups.make_backup(env.settings, keep=keep)
    click.echo(f"Backup written: {result['file']} ({result['size']} bytes).")
    for old in result["removed"]:
        click.echo(f"  removed the old backup {old}")


@cli.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_env
def restore_command(env: Env, file: str, yes: bool) -> None:
    """Put a backup FILE back in place of the database (stop the app and the scheduler first)."""
    if not yes:
        click.confirm(f"Replace the database {env.database} with {file}?", abort=True)
    env.close()
    result = backups.restore(env.settings, file)
    click.echo(f"Restored {result['restored']} into {result['into']}.")
