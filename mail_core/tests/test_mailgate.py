"""``postroom mailgate``, run as an MTA runs it: a message on standard input, an exit status
following sendmail's convention."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from corpus import PNG, mail

from postroom.testing.plugin import CommittedDatabase

EX_OK, EX_USAGE, EX_DATAERR, EX_TEMPFAIL = 0, 64, 65, 75


class Mailgate:
    """``python -m postroom --db-url <test server> mailgate -d <committed copy> …``."""

    def __init__(self, db: CommittedDatabase, cwd: Path):
        self.db, self.cwd = db, cwd
        self.url = db.database.server.dsn_for("postgres")

    def __call__(self, raw: bytes, *args: str, url: str | None = None,
                 dbname: str | None = None) -> subprocess.CompletedProcess[bytes]:
        env = {key: value for key, value in os.environ.items()
               if key not in ("POSTROOM_DB_URL", "POSTROOM_CONFIG")}
        command = [sys.executable, "-m", "postroom", "--db-url", url or self.url, "mailgate",
                   "-d", dbname or self.db.dbname, *args]
        return subprocess.run(command, input=raw, capture_output=True, cwd=self.cwd, env=env,
                              timeout=120, check=False)

    def query(self, sql: str, *params: Any) -> list[tuple]:
        with self.db.env() as env:
            env.cr.execute(sql, params)
            return env.cr.fetchall()


@pytest.fixture
def mailgate(committed_db: CommittedDatabase, tmp_path: Path) -> Mailgate:
    return Mailgate(committed_db, tmp_path)


def test_new_mail_and_reply(mailgate: Mailgate) -> None:
    result = mailgate(mail(subject="Broken screen", message_id="<m1@example.org>"),
                      "--model", "res.partner")
    assert result.returncode == EX_OK, result.stderr
    [(partner_id, name)] = mailgate.query(
        "SELECT p.id, p.name FROM res_partner p JOIN mail_message m ON m.res_id = p.id"
        " AND m.model = 'res.partner' WHERE m.message_id = '<m1@example.org>'")
    assert name == "Broken screen"
    reply = mail(subject="Re: Broken screen", in_reply_to="<m1@example.org>",
                 message_id="<m2@example.org>")
    assert mailgate(reply).returncode == EX_OK  # no --model needed for a reply
    assert mailgate.query("SELECT res_id FROM mail_message WHERE message_id = "
                          "'<m2@example.org>'") == [(partner_id,)]
    again = mailgate(reply)  # the MTA delivered it twice
    assert again.returncode == EX_OK
    assert mailgate.query("SELECT count(*) FROM mail_message WHERE message_id = "
                          "'<m2@example.org>'") == [(1,)]


def test_unroutable_and_unreadable_mail_is_kept(mailgate: Mailgate) -> None:
    result = mailgate(mail(subject="To whom?", to="nobody@example.com"))
    assert result.returncode == EX_OK
    assert b"Kept in the failed incoming messages" in result.stderr
    assert mailgate(PNG).returncode == EX_OK
    assert mailgate.query("SELECT failure_type, fetchmail_server_id, model FROM "
                          "mail_incoming_failed ORDER BY id") == [
        ("no_route", None, None), ("not_a_message", None, None)]


def test_refusals_bounce(mailgate: Mailgate) -> None:
    with mailgate.db.env() as env:
        env["ir.config_parameter"].set_param("mail.incoming.max_size", "0.01")
    too_large = mailgate(mail(body="x" * 20_000), "--model", "res.partner")
    assert too_large.returncode == EX_DATAERR
    assert b"Refused: The message is 0.02 MB, larger than the 0.01 MB allowed" in too_large.stderr
    empty = mailgate(b"")
    assert empty.returncode == EX_DATAERR and b"no message on standard input" in empty.stderr
    assert mailgate.query("SELECT count(*) FROM mail_incoming_failed") == [(0,)]


def test_database_trouble_is_temporary(mailgate: Mailgate) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    unreachable = mailgate(mail(), url=f"postgresql://postroom@127.0.0.1:{closed}/postgres")
    assert unreachable.returncode == EX_TEMPFAIL
    assert b"Temporary failure, the message stays with the MTA" in unreachable.stderr
    missing = mailgate(mail(), dbname="no_such_database")
    assert missing.returncode == EX_TEMPFAIL and b"does not exist" in missing.stderr


def test_without_mail_core_it_is_temporary(mailgate: Mailgate) -> None:
    server = mailgate.db.database.server
    name = f"{mailgate.db.dbname}_bare"
    server.create_database(name)
    try:
        result = mailgate(mail(), dbname=name)
        assert result.returncode == EX_TEMPFAIL
        assert b"mail_core) is not installed" in result.stderr
    finally:
        server.drop_database(name)


def test_bad_options_are_usage_errors(mailgate: Mailgate) -> None:
    result = mailgate(mail(), "--no-such-option")
    assert result.returncode == EX_USAGE and b"No such option" in result.stderr
