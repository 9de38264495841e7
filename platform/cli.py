"""The ``cardfile`` command line (click).

Every command reads its settings from the environment (``CARDFILE_DATA_DIR``,
``CARDFILE_DATABASE_URL``, … see ``cardfile.platform.settings``) and works on one
``Runtime``. The CLI runs on the machine that holds the data, so it acts as the first
active administrator for schema and user changes. A ``CardfileError`` is printed as
``Error: message`` with exit code 1, never as a traceback. Reference: ``docs/cli.md``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from cardfile.metamodel.actors import Actor
from cardfile.metamodel.errors import CardfileError, NotFound
from cardfile.metamodel.fieldtypes.registry import default_registry
from cardfile.metamodel.packages import installed_packages, load_package, validate_package
from cardfile.metamodel.packages.demo import load_demo
from cardfile.metamodel.packages.currency import check_currency, choose_currency
from cardfile.metamodel.packages.demo_language import localise
from cardfile.metamodel.packages.samples import resolve
from cardfile.metamodel.mail.package import load_mailings
from cardfile.metamodel.reminders.package import load_rules
from cardfile.metamodel.runtime import Runtime, Settings, build_runtime
from cardfile.metamodel.users import generate_password
from cardfile.platform.settings import load_settings, secret_key

DEFAULT_SAMPLE = "customer-accounting"


class NotInitialised(CardfileError):
    code = "NOT_INITIALISED"


class AlreadyInitialised(CardfileError):
    code = "ALREADY_INITIALISED"


class CardfileGroup(click.Group):
    """The top-level group: domain errors become ``Error: …`` and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CardfileError as exc:
            raise click.ClickException(exc.message) from None
        except OperationalError as exc:
            raise click.ClickException(f"Cannot use the database: {exc.orig}") from None


class Env:
    """Settings from the environment and the runtime built from them, once per command."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._runtime: Runtime | None = None

    @property
    def database(self) -> str:
        return make_url(self.settings.url).render_as_string(hide_password=True)

    def database_exists(self) -> bool:
        url = make_url(self.settings.url)
        if url.get_backend_name() == "sqlite":
            return bool(url.database) and url.database != ":memory:" and Path(url.database).exists()
        return True

    def build(self) -> Runtime:
        if self._runtime is None:
            self._runtime = build_runtime(self.settings)
        return self._runtime

    def initialised(self) -> bool:
        return self.database_exists() and bool(self.build().users.list())

    def runtime(self) -> Runtime:
        """The runtime of an initialised installation, or a clear error."""
        if not self.initialised():
            raise NotInitialised(f"Cardfile is not initialised in {self.database}; run `cardfile init` first.")
        return self.build()

    def admin(self) -> Actor:
        rt = self.runtime()
        for user in rt.users.list():
            if user["is_admin"] and user["is_active"]:
                return rt.users.get(user["id"])
        raise CardfileError("There is no active administrator; create one with `cardfile user add NAME --admin`.")

    def close(self) -> None:
        if self._runtime is not None:
            self._runtime.dispose()
            self._runtime = None


pass_env = click.make_pass_decorator(Env)


@click.group(cls=CardfileGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cardfile", prog_name="cardfile")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Cardfile: self-hosted records for a small business.

    Settings come from CARDFILE_* environment variables (data directory, database URL,
    secret key); see docs/cli.md.
    """
    env = Env(load_settings())
    ctx.obj = env
    ctx.call_on_close(env.close)


def main() -> None:
    cli(prog_name="cardfile")


# --- init, serve, run-local --------------------------------------------------------------
@cli.command()
@click.option("--sample", "package", metavar="NAME|PATH",
              help=f"Apply a configuration package: a sample name ({DEFAULT_SAMPLE}, retail-shop) or a package directory.")
@click.option("--demo/--no-demo", default=False, show_default=True,
              help="Also load the package's demo data.")
@click.option("--demo-language", metavar="LANG", default=None,
              help="Language of the demo data: en (default) or ru for the samples (names, cities, "
                   "tax ids, phones, amounts in roubles). Implies --demo.")
@click.option("--currency", metavar="CODE", default=None,
              help="ISO 4217 currency of the package's money fields in this base (RUB, USD …) "
                   "[default: the demo language's currency (RUB for ru), else the package's own].")
@click.option("--admin", "admin_name", default="admin", show_default=True, metavar="USERNAME",
              help="Username of the administrator to create.")
@pass_env
def init(env: Env, package: str | None, demo: bool, demo_language: str | None, currency: str | None,
         admin_name: str) -> None:
    """Create the data directory and database, and the administrator with a generated password."""
    _initialise(env, package, demo or demo_language is not None, admin_name, demo_language, currency)


def _initialise(env: Env, package: str | None, demo: bool, admin_name: str,
                demo_language: str | None = None, currency: str | None = None) -> None:
    if demo and not package:
        raise click.UsageError("--demo needs --sample (demo data belongs to a configuration package).")
    if env.initialised():
        count = len(env.build().users.list())
        raise AlreadyInitialised(
            f"Cardfile is already initialised in {env.database} ({count} user(s)); nothing was changed. "
            "Use `cardfile config apply` to change the configuration, or start with an empty data "
            "directory or database.")
    pkg, source = None, None
    if package:
        path, source = resolve(package)
        pkg = validate_package(load_package(path), default_registry())
        load_rules(pkg.root, pkg.name)
        load_mailings(pkg.root, pkg.name)
        if demo and pkg.demo is not None:  # an unknown language is refused before anything is made
            currency = currency or localise(pkg.demo, demo_language, pkg.name).get("currency")
        if currency:
            currency = check_currency(pkg, currency)
    elif currency:
        raise click.UsageError("--currency needs --sample (it is the currency of a package's money fields).")
    Path(env.settings.data_dir).mkdir(parents=True, exist_ok=True)
    rt = env.build()
    secret_key(env.settings)
    password = generate_password()
    admin = rt.users.create(admin_name, password, name="Administrator", is_admin=True, bootstrap=True)
    lines = ["Cardfile initialised.",
             f"  data directory: {Path(env.settings.data_dir).resolve()}",
             f"  database:       {env.database}"]
    try:
        if pkg is not None:
            from cardfile.platform.config_install import install  # one transaction, recorded in the history

            if currency:
                choose_currency(rt, pkg, currency)
            report = install(rt, admin, pkg, secret_key(env.settings), source=source)
            created = sum(1 for c in report["changes"] if c["action"] == "create_table")
            lines.append(f"  configuration:  {pkg.title} {pkg.version} ({created} tables)")
            if currency:
                lines.append(f"  currency:       {currency}")
            steps = report["steps"]
            for key, shown in (("reports", "reports:        "), ("print templates", "print templates: "),
                               ("reminder rules", "reminder rules: "), ("mailing drafts", "mailing drafts: ")):
                if steps.get(key):
                    lines.append(f"  {shown}{steps[key]['created']}")
            if pkg.extras.get("views"):  # views.yaml is applied with the rest of the package
                lines.append(f"  saved views:    {steps['layouts and views']['views']}")
            if demo:
                result = load_demo(rt, admin, pkg, language=demo_language)
                shown = f", {result['language']}" if demo_language else ""
                lines.append(f"  demo data:      {result['total']} records (seed {result['seed']}{shown})")
    finally:
        click.echo("\n".join(lines))
        click.echo("")
        click.echo(f"  administrator:  {admin_name}")
        click.echo(f"  password:       {password}")
        click.echo(f"  The password is shown only this once; change it with `cardfile user passwd {admin_name}`.")


def _server_options(command):
    """The options ``serve`` and ``run-local`` share."""
    options = [
        click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on."),
        click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535),
                     help="Port to listen on."),
        click.option("--bind", "binds", multiple=True, metavar="ADDRESS",
                     help="Listen on HOST:PORT or unix:PATH instead of --host/--port (repeatable)."),
        click.option("--workers", type=click.IntRange(1, 64), default=None, envvar="CARDFILE_WORKERS",
                     help="Worker processes [default: CPU cores + 1, at most 8; CARDFILE_WORKERS]."),
        click.option("--threads", type=click.IntRange(1, 64), default=4, envvar="CARDFILE_THREADS",
                     help="Requests each worker serves at once [default: 4; CARDFILE_THREADS]."),
        click.option("--dev", is_flag=True,
                     help="Run the development server instead (one process, reloads when code changes)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@cli.command()
@_server_options
@pass_env
def serve(env: Env, host: str, port: int, binds: tuple, workers: int | None, threads: int, dev: bool) -> None:
    """Run the web server: gunicorn with several workers (--dev: the development server)."""
    env.runtime()
    env.close()
    _serve(host, port, binds, workers, threads, dev)


def _serve(host: str, port: int, binds: tuple = (), workers: int | None = None, threads: int = 4,
           dev: bool = False) -> None:
    from cardfile.platform import server

    shown = f"[{host}]" if ":" in host else host
    if not dev and not server.gunicorn_available():
        click.echo("gunicorn cannot run on this system; using the development server.")
        dev = True
    if dev:
        if binds:
            raise click.UsageError("--dev listens on --host and --port only.")
        click.echo(f"Cardfile (development server) is running at http://{shown}:{port}/  (press Ctrl+C to stop)")
        server.run_dev(host, port)
        return
    workers = workers or server.default_workers()
    binds = list(binds) or [f"{shown}:{port}"]
    where = ", ".join(b if b.startswith("unix:") else f"http://{b}/" for b in binds)
    click.echo(f"Cardfile is running at {where}  ({workers} worker(s); press Ctrl+C to stop)")
    sys.stdout.flush()
    server.run(binds, workers, threads)


@cli.command("run-local")
@_server_options
@click.option("--sample", "package", default=DEFAULT_SAMPLE, show_default=True, metavar="NAME|PATH",
              help="Configuration package for a fresh installation.")
@click.option("--admin", "admin_name", default="admin", show_default=True, metavar="USERNAME",
              help="Administrator to create on a fresh installation.")
@pass_env
def run_local(env: Env, host: str, port: int, binds: tuple, workers: int | None, threads: int, dev: bool,
              package: str, admin_name: str) -> None:
    """Initialise on first use (sample configuration and demo data), then serve."""
    if env.initialised():
        click.echo(f"Using the existing installation in {env.database}.")
        click.echo("Forgot the administrator's password? `cardfile user passwd USERNAME` sets a new one.")
    else:
        _initialise(env, package, True, admin_name)
    click.echo("")
    env.close()
    _serve(host, port, binds, workers, threads, dev)


@cli.command()
@pass_env
def migrate(env: Env) -> None:
    """Bring the platform's own tables up to this version of Cardfile (also done on start)."""
    from cardfile.metamodel.storage import migrations
    from cardfile.metamodel.storage.engine import make_engine

    if not env.database_exists():
        raise NotInitialised(f"There is no database at {env.database}; run `cardfile init` first.")
    engine = make_engine(env.settings.url, schema=env.settings.db_schema)
    try:
        with engine.begin() as conn:
            before = migrations.check_known(conn)
            migrations.upgrade(conn)
            after = migrations.current(conn)
    finally:
        engine.dispose()
    if before == after:
        click.echo(f"The database is up to date (schema revision {after}).")
    else:
        click.echo(f"Migrated the database from schema revision {before or 'none'} to {after}.")


# --- users -------------------------------------------------------------------------------
@cli.group()
def user() -> None:
    """Manage users."""


@user.command("add")
@click.argument("username")
@click.option("--admin", "is_admin", is_flag=True, help="Make the user an administrator.")
@click.option("--name", default="", help="Full name shown in the app.")
@click.option("--email", default=None, help="Email address (for reminders).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="The password (asked for when left out).")
@pass_env
def user_add(env: Env, username: str, is_admin: bool, name: str, email: str | None, password: str) -> None:
    """Create a user."""
    actor = env.admin()
    created = env.runtime().users.create(username, password, name=name, email=email, is_admin=is_admin, actor=actor)
    click.echo(f"User {created.username} created (#{created.id}{', administrator' if is_admin else ''}).")


@user.command("passwd")
@click.argument("username")
@click.option("--password", prompt="New password", hide_input=True, confirmation_prompt=True,
              help="The new password (asked for when left out).")
@pass_env
def user_passwd(env: Env, username: str, password: str) -> None:
    """Set a user's password (every browser session of the user ends)."""
    env.runtime().users.set_password(username, password, trusted=True)
    click.echo(f"Password of {username} changed. Their browser sessions were signed out.")


@user.command("signout")
@click.argument("username")
@pass_env
def user_signout(env: Env, username: str) -> None:
    """Sign a user out everywhere: every browser session of theirs ends at once."""
    ended = env.runtime().users.end_sessions(username, trusted=True)["sessions_ended"]
    click.echo(f"{username}: {ended} session(s) signed out.")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_env
def user_list(env: Env, as_json: bool) -> None:
    """List users."""
    users = env.runtime().users.list()
    if as_json:
        click.echo(json.dumps(users, indent=2))
        return
    _table(["id", "username", "name", "admin", "active", "last login"],
           [[u["id"], u["username"], u["name"], _yes(u["is_admin"]), _yes(u["is_active"]),
             _when(u["last_login_at"])] for u in users])


@user.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Enable the user again instead.")
@pass_env
def user_disable(env: Env, username: str, enable: bool) -> None:
    """Disable a user (never deleted): no sign-in, sessions and tokens stop working."""
    env.runtime().users.set_active(username, enable, actor=env.admin())
    click.echo(f"User {username} {'enabled' if enable else 'disabled'}.")


@cli.command("reassign-owner")
@click.argument("from_user", metavar="FROM")
@click.argument("to_user", metavar="TO")
@click.option("--table", "tables", multiple=True, help="Only this table (repeatable).")
@click.option("--filter", "filters", multiple=True, help="field:operator:value (one table only; repeatable).")
@click.option("--field", default=None, help="Move this user field of the one table (e.g. manager) instead of the owner.")
@pass_env
def reassign_owner(env: Env, from_user: str, to_user: str, tables: tuple, filters: tuple, field: str | None) -> None:
    """Move the records owned by FROM to TO (or, with --field, where that user field is FROM),
    in one transaction, audited."""
    from cardfile.metamodel.records.query import parse_filter

    rt = env.runtime()
    result = rt.records.reassign_owner(env.admin(), from_user, to_user, tables=list(tables) or None,
                                       filters=[parse_filter(f) for f in filters], field=field)
    for table, moved in result["moved"].items():
        click.echo(f"{table}: {moved}")
    click.echo(f"{result['total']} record(s) moved from {result['from']} to {result['to']}.")


# --- groups ------------------------------------------------------------------------------
@cli.group()
def group() -> None:
    """Manage groups, their members and permissions."""


@group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_env
def group_list(env: Env, as_json: bool) -> None:
    """List groups with their members."""
    groups = env.runtime().groups.list(env.admin())
    if as_json:
        click.echo(json.dumps(groups, indent=2))
        return
    _table(["id", "name", "admin", "members"],
           [[g["id"], g["name"], _yes(g["is_admin"]), ", ".join(m["username"] for m in g["members"])]
            for g in groups])


@group.command("add")
@click.argument("name")
@click.option("--admin", "is_admin", is_flag=True, help="Members may do everything.")
@click.option("--description", default="", help="What the group is for.")
@pass_env
def group_add(env: Env, name: str, is_admin: bool, description: str) -> None:
    """Create a group (it may do nothing until granted)."""
    env.runtime().groups.create(env.admin(), name, description=description, is_admin=is_admin)
    click.echo(f"Group {name} created.")


@group.command("add-member")
@click.argument("name")
@click.argument("username")
@pass_env
def group_add_member(env: Env, name: str, username: str) -> None:
    """Put a user in a group."""
    env.runtime().groups.add_member(env.admin(), name, username)
    click.echo(f"{username} is in {name}.")


@group.command("remove-member")
@click.argument("name")
@click.argument("username")
@pass_env
def group_remove_member(env: Env, name: str, username: str) -> None:
    """Take a user out of a group."""
    env.runtime().groups.remove_member(env.admin(), name, username)
    click.echo(f"{username} is no longer in {name}.")


@group.command("grant")
@click.argument("name")
@click.argument("table")
@click.option("--actions", required=True, help="Comma-separated: read,create,update,delete,export,print,design.")
@click.option("--rows", default="all", help="all, own, group, or a condition such as 'manager == me'.")
@click.option("--field", "fields", multiple=True, help="field=hidden or field=read_only (repeatable).")
@pass_env
def group_grant(env: Env, name: str, table: str, actions: str, rows: str, fields: tuple) -> None:
    """Set what a group may do on a table (* for every table)."""
    modes = {}
    for item in fields:
        key, _, mode = item.partition("=")
        modes[key.strip()] = mode.strip()
    spec = {"actions": [a.strip() for a in actions.split(",") if a.strip()],
            "rows": rows if rows in ("all", "own", "group") else {"condition": rows}, "fields": modes}
    result = env.runtime().groups.set_permission(env.admin(), name, table, spec)
    click.echo(f"{name} on {result['table']}: {', '.join(result['actions']) or 'nothing'}.")


@group.command("revoke")
@click.argument("name")
@click.argument("table")
@pass_env
def group_revoke(env: Env, name: str, table: str) -> None:
    """Remove a group's permission on a table."""
    env.runtime().groups.remove_permission(env.admin(), name, table)
    click.echo(f"{name} may no longer use {table}.")


# --- tokens ------------------------------------------------------------------------------
@cli.group()
def token() -> None:
    """Manage API tokens."""


@token.command("create")
@click.argument("username")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@pass_env
def token_create(env: Env, username: str, name: str) -> None:
    """Create an API token for a user; the secret is printed once."""
    rt = env.runtime()
    owner = rt.users.by_username(username)
    if owner is None:
        raise NotFound(f"No user {username!r}.", {"username": username})
    token_id, secret = rt.users.create_token(owner, name)
    click.echo(f"Token #{token_id} ({name}) for {owner.username}:")
    click.echo(secret)
    click.echo("The secret is shown only this once; send it as `Authorization: Bearer <secret>`.")


@token.command("revoke")
@click.argument("token_id", metavar="ID", type=int)
@pass_env
def token_revoke(env: Env, token_id: int) -> None:
    """Revoke an API token."""
    env.runtime().users.revoke_token(token_id, trusted=True)
    click.echo(f"Token #{token_id} revoked.")


@token.command("list")
@click.option("--user", "username", default=None, metavar="USERNAME", help="Only this user's tokens.")
@pass_env
def token_list(env: Env, username: str | None) -> None:
    """List API tokens (never their secrets)."""
    rt = env.runtime()
    user_id = None
    if username is not None:
        owner = rt.users.by_username(username)
        if owner is None:
            raise NotFound(f"No user {username!r}.", {"username": username})
        user_id = owner.id
    _table(["id", "user", "name", "prefix", "created", "last used", "state"],
           [[t["id"], t["username"], t["name"], t["prefix"] + "…", _when(t["created_at"]),
             _when(t["last_used_at"]), "revoked" if t["revoked"] else "active"]
            for t in rt.users.list_tokens(user_id)])


# --- configuration packages --------------------------------------------------------------
@cli.group()
def config() -> None:
    """Validate and apply configuration packages."""


@config.command("validate")
@click.argument("package", metavar="PATH")
def config_validate(package: str) -> None:
    """Check a package (files, schemas, types, options, links) without a database."""
    path, _source = resolve(package)
    pkg = validate_package(load_package(path), default_registry())
    load_rules(pkg.root, pkg.name)  # reminders.yaml and mailings.yaml against their schemas
    load_mailings(pkg.root, pkg.name)
    fields = sum(len(t.spec["fields"]) for t in pkg.tables)
    click.echo(f"OK: {pkg.name} {pkg.version} ({pkg.title}): {len(pkg.tables)} tables, {fields} fields"
               + (", demo data" if pkg.demo is not None else "") + ".")


@config.command("apply")
@click.argument("package", metavar="PATH")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--allow-destructive", is_flag=True,
              help="Also apply destructive steps (fields the new version drops, values that do not convert); "
                   "a backup is taken first.")
@click.option("--adopt", is_flag=True,
              help="Let the package take over tables and fields of the same name that were added here.")
@pass_env
def config_apply(env: Env, package: str, dry_run: bool, allow_destructive: bool, adopt: bool) -> None:
    """Apply a package to the database: an upgrade that keeps data, in one transaction.

    PATH is a package directory or the name of a sample (customer-accounting).
    """
    from cardfile.platform.config_install import install

    path, source = resolve(package)
    pkg = load_package(path)
    rt, actor = env.runtime(), env.admin()
    report = install(rt, actor, pkg, secret_key(env.settings), allow_destructive=allow_destructive,
                     adopt=adopt, dry_run=dry_run, source=source)
    _print_changes(report["changes"], report["notices"], report["local"])
    if dry_run:
        click.echo(f"Dry run: {len(report['changes'])} change(s) would be applied; nothing was changed.")
        if any(c["destructive"] for c in report["changes"]) and not allow_destructive:
            click.echo("Destructive changes need --allow-destructive.")
        return
    for name, counts in report["steps"].items():
        if name == "groups":
            continue
        shown = ", ".join(f"{n} {k}" for k, n in counts.items() if isinstance(n, int))
        if name == "layouts and views":
            if counts.get("kept"):
                click.echo(f"  kept as edited here: {'; '.join(counts['kept'])}")
            if not any(counts[k] for k in ("layouts", "views", "sections")):
                continue
            shown = ", ".join(f"{counts[k]} {k}" for k in ("layouts", "views", "sections") if counts[k])
            click.echo(f"  written: {shown}")
            continue
        click.echo(f"  {name}: " + ", ".join(f"{n} {k}" for k, n in counts.items() if isinstance(n, int)))
    if report["backup"]:
        click.echo(f"  backup taken first: {report['backup']}")
    if report["applied"]:
        click.echo(f"{pkg.name} {pkg.version}: {report['applied']} change(s) applied.")
    else:
        click.echo(f"{pkg.name} {pkg.version}: nothing to change (0 changes).")


def _print_changes(changes: list[dict], notices: list[str], local: list[str] = ()) -> None:
    for change in changes:
        click.echo(f"  {change['description']}")
    for notice in notices:
        click.echo(f"  kept: {notice}")
    for item in local:
        click.echo(f"  kept (added here): {item}")


# --- demo data ---------------------------------------------------------------------------
@cli.group()
def demo() -> None:
    """Demo data."""


@demo.command("load")
@click.option("--seed", type=int, default=None, help="Random seed (default: the package's); same seed, same data.")
@click.option("--package", default=None, metavar="NAME|PATH",
              help="Package whose demo.yaml to use (default: the package applied to this database).")
@click.option("--language", metavar="LANG", default=None,
              help="Language of the demo data (en, ru for the samples; default: the demo's own).")
@pass_env
def demo_load(env: Env, seed: int | None, package: str | None, language: str | None) -> None:
    """Fill the package's empty tables with deterministic demo records."""
    rt, actor = env.runtime(), env.admin()
    if package is None:
        applied = installed_packages(rt)
        if len(applied) != 1:
            names = ", ".join(p["name"] for p in applied) or "none"
            raise CardfileError(f"Say which package's demo data to load with --package (applied: {names}).")
        package = applied[0]["source"]
    path, _source = resolve(package)
    pkg = load_package(path)
    result = load_demo(rt, actor, pkg, seed=seed, language=language)
    for name, count in result["tables"].items():
        click.echo(f"  {name}: {count}")
    click.echo(f"Loaded {result['total']} demo records (seed {result['seed']}).")


# --- output helpers ----------------------------------------------------------------------
def _yes(value) -> str:
    return "yes" if value else "no"


def _when(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else "never"


def _table(headers: list[str], rows: list[list]) -> None:
    if not rows:
        click.echo("(none)")
        return
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
    for row in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())


from cardfile.platform import cli_reports  # noqa: E402,F401 - export and import commands
from cardfile.platform import cli_jobs  # noqa: E402,F401 - scheduler, jobs, backup, restore
from cardfile.platform import cli_documents  # noqa: E402,F401 - the print command
from cardfile.platform import cli_config  # noqa: E402,F401 - config export, diff, history
from cardfile.platform import cli_db  # noqa: E402,F401 - db copy

if __name__ == "__main__":  # pragma: no cover - `python -m cardfile.platform.cli`
    sys.exit(main())
