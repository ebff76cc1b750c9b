"""What every subcommand shares: the configuration, the server, error reporting.

Subcommands are written ``@click.command() … @pass_cli def cmd(cli, …)``.
:func:`pass_cli` hands them the :class:`CliContext` built by the ``postroom``
group, and gives each of them the group's ``-c``, ``--db-url``,
``--addons-path`` and ``--debug`` too, so that ``postroom init --db-url …``
works as well as ``postroom --db-url … init``. Errors come out as one line
(``Error: …``) and exit status 1; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click

from postroom.config import Config, ConfigError
from postroom.modules.loader import AddonLoader
from postroom.service.db import Database, Server


@dataclass
class CliContext:
    """Options common to all commands, and lazily opened services."""

    config: Config
    debug: bool = False
    _server: Server | None = field(default=None, repr=False)

    @property
    def server(self) -> Server:
        if self._server is None:
            self._server = Server.from_config(self.config)
        return self._server

    def database(self, dbname: str | None, must_exist: bool = True) -> Database:
        name = dbname or self.config.db_name
        if must_exist and not self.server.exists(name):
            raise click.ClickException(
                f"Database {name!r} does not exist on {self.server.where}: create it with "
                f"'postroom init -d {name}'")
        return self.server.database(name)

    def loader(self, database: Database) -> AddonLoader:
        return AddonLoader(database, self.config.addons_path or None, progress=progress)


def progress(message: str, done: int, total: int) -> None:
    """Print one line per step of a long operation, on standard error."""
    prefix = f"[{done}/{total}] " if total else ""
    click.echo(f"{prefix}{message}", err=True)


def error_line(exc: BaseException) -> str:
    """``exc`` as one line: Postroom's own errors by their message, others with their type."""
    message = " ".join(str(exc).split())
    if type(exc).__module__.startswith("postroom."):
        return message or type(exc).__name__
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


_COMMON_OPTIONS = (
    click.option("-c", "--config", "config_file", type=click.Path(dir_okay=False),
                 help="Configuration file (also accepted before the command)."),
    click.option("--db-url", help="PostgreSQL URL (also accepted before the command)."),
    click.option("--addons-path", help="Comma-separated directories holding addons "
                                       "(also accepted before the command)."),
    click.option("--debug", is_flag=True, default=None,
                 help="Show tracebacks and debug logs (also accepted before the command)."),
)


def pass_cli(func: Callable[..., Any]) -> Callable[..., Any]:
    """Call ``func(cli, …)`` with the common options applied; report errors in one line."""
    @functools.wraps(func)
    def wrapper(*args: Any, config_file: str | None, db_url: str | None,
                addons_path: str | None, debug: bool | None, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        cli = _with_options(ctx, {"config_file": config_file, "db_url": db_url,
                                  "addons_path": addons_path, "debug": debug})
        try:
            return func(cli, *args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:  # the command's last line of defence
            if cli.debug:
                raise
            click.echo(f"Error: {error_line(exc)}", err=True)
            sys.exit(1)

    for option in reversed(_COMMON_OPTIONS):
        wrapper = option(wrapper)
    return wrapper


def _with_options(ctx: click.Context, given: dict[str, Any]) -> CliContext:
    """The group's CliContext, rebuilt if the subcommand repeats a common option."""
    cli = ctx.find_object(CliContext)
    given = {key: value for key, value in given.items() if value is not None}
    if cli is not None and not given:
        return cli
    # the group's own options, then the subcommand's (which win)
    params = {**(ctx.find_root().params if cli is not None else {}), **given}
    debug = bool(params.pop("debug", False))
    config_file = params.pop("config_file", None)
    overrides = {key: value for key, value in params.items() if key in Config.__dataclass_fields__}
    try:
        config = Config.load(config_file, **overrides)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if debug:
        logging.getLogger().setLevel(logging.DEBUG)
    cli = CliContext(config=config, debug=debug)
    ctx.obj = cli
    return cli


def setup_logging(level: str, debug: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if debug else getattr(logging, level.upper(), 20),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
