"""``init``, ``upgrade``, ``uninstall`` and ``db list|drop``."""

from __future__ import annotations

import secrets

import click

from postroom.cli.context import CliContext, pass_cli
from postroom.modules.loader import application_addons
from postroom.orm.environment import SUPERUSER_ID, Environment


def _addons(value: str | None) -> list[str]:
    return [name.strip() for name in (value or "").split(",") if name.strip()]


@click.command()
@click.option("-d", "--database", "dbname", help="Database name (default: db_name, 'postroom').")
@click.option("-i", "--init", "addons", help="Comma-separated addons to install "
              "(default, in a new database: the applications on the addons path).")
@click.option("--demo", is_flag=True, help="Load demo data.")
@click.option("--admin-password", help="Password of the 'admin' user (in a new database, "
              "generated and shown once if omitted).")
@pass_cli
def init(cli: CliContext, dbname: str | None, addons: str | None, demo: bool,
         admin_password: str | None) -> None:
    """Create a database and install addons in it.

    On an existing database, install the addons given with -i (and their dependencies).
    """
    name = dbname or cli.config.db_name
    created = not cli.server.exists(name)
    database = cli.server.create_database(name) if created else cli.server.database(name)
    try:
        loader = cli.loader(database)
        with database.cursor() as cr:
            initialised = bool(loader.installed(cr))
        if initialised and not addons:
            raise click.ClickException(f"Database {name!r} is already initialised: give -i "
                                       "ADDONS to install more addons, or use 'postroom upgrade'")
        registry = loader.install(_addons(addons) or application_addons(loader) or ["base"],
                                  demo=demo)
        password = admin_password or (None if initialised else secrets.token_urlsafe(12))
        if password:
            with database.cursor() as cr:
                env = Environment(cr, SUPERUSER_ID, {}, registry=registry)
                env.ref("base.user_admin")._set_password(password)
    except BaseException:
        if created:
            database.close_all()
            cli.server.drop_database(name)
        raise
    click.echo(f"Database {name!r} is ready on {cli.server.where}.")
    if password and not admin_password:
        click.echo(f"Log in as 'admin' with the password: {password}  (shown only once)")


#: printed after the addons of a database changed under processes that may be running
RESTART_HINT = ("Restart the 'postroom serve' and 'postroom cron' processes of this database: "
                "they load addon code and models when they start.")


@click.command()
@click.option("-d", "--database", "dbname", help="Database name.")
@click.option("-u", "--update", "addons", required=True,
              help="Comma-separated addons to upgrade, or 'all'.")
@pass_cli
def upgrade(cli: CliContext, dbname: str | None, addons: str) -> None:
    """Upgrade installed addons: new fields and tables appear, data files reload."""
    database = cli.database(dbname)
    loader = cli.loader(database)
    names = _addons(addons)
    if names == ["all"]:
        with database.cursor() as cr:
            names = loader.installed(cr)
    loader.upgrade(names)
    click.echo(f"Upgraded {', '.join(names)} in {database.dbname!r}.")
    click.echo(RESTART_HINT)


@click.command()
@click.option("-d", "--database", "dbname", help="Database name.")
@click.argument("addons", nargs=-1, required=True)
@pass_cli
def uninstall(cli: CliContext, dbname: str | None, addons: tuple[str, ...]) -> None:
    """Uninstall addons (and those depending on them): their records, tables and columns go."""
    database = cli.database(dbname)
    cli.loader(database).uninstall(list(addons))
    click.echo(f"Uninstalled {', '.join(addons)} from {database.dbname!r}.")
    click.echo(RESTART_HINT)


@click.group()
def db() -> None:
    """List or drop databases."""


@db.command("list")
@pass_cli
def db_list(cli: CliContext) -> None:
    """Databases on the server."""
    for name in cli.server.list_databases():
        click.echo(name)


@db.command("drop")
@click.argument("dbname")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_cli
def db_drop(cli: CliContext, dbname: str, yes: bool) -> None:
    """Drop a database (everything in it is lost)."""
    if not cli.server.exists(dbname):
        raise click.ClickException(f"Database {dbname!r} does not exist on {cli.server.where}")
    if not yes:
        click.confirm(f"Drop database {dbname!r} and everything in it?", abort=True)
    cli.server.drop_database(dbname)
    click.echo(f"Database {dbname!r} dropped.")
