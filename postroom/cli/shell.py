"""``postroom shell``: a Python prompt with ``env``, or a script from standard input."""

from __future__ import annotations

import code
import sys
import traceback

import click

from postroom.cli.context import CliContext, error_line, pass_cli
from postroom.orm.environment import SUPERUSER_ID, Environment

SCRIPT = "<stdin>"


class ScriptError(Exception):
    """A script piped to the shell raised; the message says what and on which line."""


@click.command()
@click.option("-d", "--database", "dbname", help="Database name.")
@pass_cli
def shell(cli: CliContext, dbname: str | None) -> None:
    """Interactive shell with ``env`` (superuser).

    Piped on standard input, a script runs with ``env`` bound and its work is
    committed at the end (rolled back if it raises), as Odoo's shell does.
    """
    database = cli.database(dbname)
    registry = cli.loader(database).load_registry()
    with database.cursor() as cr:
        env = Environment(cr, SUPERUSER_ID, {}, registry=registry)
        namespace = {"env": env, "self": env.user}
        if sys.stdin.isatty():
            banner = (f"Postroom shell on {database.dbname!r}: env is a superuser environment.\n"
                      "Nothing is committed unless you call env.cr.commit().")
            code.interact(banner=banner, local=namespace)
            cr.rollback()
        else:
            run_script(sys.stdin.read(), namespace)


def run_script(source: str, namespace: dict) -> None:
    """Run ``source``; an error becomes a :class:`ScriptError` naming the script's line."""
    try:
        exec(compile(source, SCRIPT, "exec"), namespace)
    except SyntaxError as exc:
        raise ScriptError(f"SyntaxError in the script: {exc}") from exc
    except Exception as exc:  # one line; the transaction rolls back
        lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__)
                 if frame.filename == SCRIPT]
        where = f" (script line {lines[-1]})" if lines else ""
        raise ScriptError(f"{error_line(exc)}{where}; nothing was committed") from exc
