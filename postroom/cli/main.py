"""Entry point: ``postroom [-c FILE] [--db-url URL] [--addons-path P] COMMAND``."""

from __future__ import annotations

import click

from postroom.cli import cron, database, mailgate, serve, shell
from postroom.cli.context import CliContext, setup_logging
from postroom.config import Config, ConfigError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-c", "--config", "config_file", type=click.Path(dir_okay=False),
              help="Configuration file (INI, like odoo.conf).")
@click.option("--db-url", help="PostgreSQL URL; default: the embedded server in the data directory.")
@click.option("--addons-path", help="Comma-separated directories holding addons.")
@click.option("--data-dir", help="Where the embedded database and the file store live.")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]))
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.version_option(package_name="postroom")
@click.pass_context
def main(ctx: click.Context, config_file: str | None, db_url: str | None, addons_path: str | None,
         data_dir: str | None, log_level: str | None, debug: bool) -> None:
    """Postroom: an Odoo-style email suite on PostgreSQL."""
    try:
        config = Config.load(config_file, db_url=db_url, data_dir=data_dir, log_level=log_level,
                             addons_path=addons_path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    setup_logging(config.log_level if not debug else "debug", debug)
    ctx.obj = CliContext(config=config, debug=debug)


for command in (database.init, database.upgrade, database.uninstall, database.db, shell.shell,
                cron.cron, serve.serve, mailgate.mailgate):
    main.add_command(command)
