"""``postroom mailgate``: the MTA pipe, one message on standard input, processed.

An MTA runs the command once per message, through an alias or a pipe(8) transport (see
``setup/postfix.md``); the message goes through ``mail.thread.message_process`` in a
transaction of its own, as fetched mail does. The exit status follows the sendmail
convention (``<sysexits.h>``), on which the MTA decides:

====  ===============  =====================================================  ================
code  name             when                                                   the MTA
====  ===============  =====================================================  ================
0     EX_OK            processed; or ignored (already stored, an automatic    delivered
                       reply to nothing known); or kept in the failed
                       incoming messages, to be replayed by an administrator
64    EX_USAGE         unknown option                                         bounces
65    EX_DATAERR       refused: no input, or larger than                      bounces, with
                       ``mail.incoming.max_size``                             our reason
75    EX_TEMPFAIL      nothing was stored: the database is unreachable or     keeps it, tries
                       missing, ``mail_core`` is not installed, or another    again later
                       error came before the message was safe
====  ===============  =====================================================  ================

The reason of a refusal or of a temporary failure is written on standard error, on one
line; MTAs put it in their logs and in bounces.
"""

from __future__ import annotations

import logging
import sys

import click

from postroom.cli.context import CliContext, error_line, pass_cli

_logger = logging.getLogger(__name__)

EX_OK, EX_USAGE, EX_DATAERR, EX_TEMPFAIL = 0, 64, 65, 75


class _SysexitsCommand(click.Command):
    """A command whose usage errors exit with EX_USAGE (64) rather than click's 2."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            exc.exit_code = EX_USAGE
            raise


@click.command(cls=_SysexitsCommand)
@click.option("-d", "--database", "dbname", help="Database name.")
@click.option("--model", help="Fallback model: mail that is not a reply (and matches no alias) "
                              "creates a record of it, e.g. helpdesk.ticket. Without it, such "
                              "mail is kept in the failed incoming messages.")
@pass_cli
def mailgate(cli: CliContext, dbname: str | None, model: str | None) -> None:
    """Process one email read on standard input (for an MTA: Postfix alias or pipe).

    Exit status: 0 done (processed, ignored or kept in the failed incoming messages),
    65 refused (no input, too large), 75 try again later (database unavailable), 64 bad
    options.
    """
    sys.exit(receive(cli, dbname or cli.config.db_name, click.get_binary_stream("stdin").read(),
                     model))


def receive(cli: CliContext, dbname: str, raw: bytes, model: str | None) -> int:
    """Process ``raw`` in ``dbname``; the exit status."""
    if not raw.strip():
        click.echo("Refused: no message on standard input.", err=True)
        return EX_DATAERR
    try:
        registry = cli.loader(cli.server.database(dbname)).load_registry()
        if "fetchmail.server" not in registry:
            raise LookupError(f"the Mail addon (mail_core) is not installed in database "
                              f"{dbname!r}")
        from postroom.addons.mail_core.gateway.errors import MessageTooLarge
        from postroom.addons.mail_core.gateway.intake import Source
        from postroom.addons.mail_core.gateway.intake import receive as process
    except Exception as exc:
        _logger.debug("mailgate: cannot reach the gateway", exc_info=True)
        return _temporary_failure(exc)
    try:
        outcome = process(registry, raw, Source(model=model), keep_oversized=False)
    except MessageTooLarge as exc:
        click.echo(f"Refused: {exc}", err=True)
        return EX_DATAERR
    except Exception as exc:
        _logger.debug("mailgate: processing failed", exc_info=True)
        return _temporary_failure(exc)
    if outcome.status == "failed":
        click.echo(f"Kept in the failed incoming messages (mail.incoming.failed "
                   f"{outcome.failed_id}): {outcome.reason}", err=True)
    return EX_OK


def _temporary_failure(exc: Exception) -> int:
    click.echo(f"Temporary failure, the message stays with the MTA: {error_line(exc)}", err=True)
    return EX_TEMPFAIL
