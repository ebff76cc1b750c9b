"""The corpus (``corpus``: real-world, malformed and randomly corrupted messages) through the
parser, then through the whole gateway: nothing may crash a worker, and nothing but data
that is not email at all may end in the failed list."""

from __future__ import annotations

import time
from typing import Any

import pytest
from corpus import NOT_MESSAGES, malformed, mutations, real_world
from postroom.addons.mail_core.gateway.intake import Source, receive
from postroom.addons.mail_core.gateway.parser import parse_mail, read_message

from postroom.testing.plugin import CommittedDatabase

CORPUS = real_world() + malformed() + mutations()


@pytest.mark.parametrize("name, raw", CORPUS, ids=[name for name, _raw in CORPUS])
def test_the_parser_takes_anything(name: str, raw: bytes) -> None:
    started = time.perf_counter()
    parsed = parse_mail(read_message(raw))
    assert time.perf_counter() - started < 2
    assert isinstance(parsed.subject, str) and isinstance(parsed.body, str)
    assert "\x00" not in parsed.subject + parsed.body + parsed.email_from
    assert all(isinstance(file.content, bytes) and file.name for file in parsed.attachments)


def test_the_gateway_processes_the_whole_corpus(committed_db: CommittedDatabase) -> None:
    with committed_db.env() as env:
        env["ir.config_parameter"].set_param("mail.gateway.loop.threshold", "100000")
    outcomes: dict[str, Any] = {}
    for name, raw in CORPUS:
        outcomes[name] = receive(committed_db.registry, raw, Source(model="res.partner"))
    with committed_db.env() as env:
        failed = {record.id: record.failure_type for record in env["mail.incoming.failed"]
                  .search([])}
    kept = {name: failed[outcome.failed_id] for name, outcome in outcomes.items()
            if outcome.status == "failed"}
    assert set(failed.values()) <= {"not_a_message"}, kept
    assert kept.keys() >= NOT_MESSAGES
    named = {name for name, _raw in real_world() + malformed()}
    assert kept.keys() & named == NOT_MESSAGES
    assert {outcomes[name].status for name in ("delivery-report", "auto-reply-legacy")} == {
        "ignored"}
    # the rest: automatic replies to nothing known (and corruptions of them) are ignored
    assert sum(outcome.status == "processed" for outcome in outcomes.values()) > 0.85 * len(CORPUS)
