"""Benchmark: incoming mail through the gateway, against the bare standard-library parse.

Generates mixed messages (half replies to records' messages, half new mail; 5 to 50 KB:
plain text, HTML alternatives, quoted history, a third with a file), then, in the same
run:

- the baseline: ``email.message_from_bytes`` of every message;
- the gateway: every message through ``message_process`` exactly as a fetch or the MTA
  pipe does it (``gateway.intake.receive``: a transaction of its own, committed), the
  replies threading into their records (two followers each, notified), the new mail
  creating ``res.partner`` records.

It prints messages per second for both and their ratio. Target: at least 100 fully
processed messages per second.

    python bench/incoming.py [--messages 5000] [--records 500] [--db-url postgresql://…]

Without ``--db-url`` an embedded PostgreSQL runs in a temporary directory, with its usual
durability (fsync on; each message is a commit).
"""

from __future__ import annotations

import argparse
import contextlib
import email
import random
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from postroom.modules.loader import AddonLoader
from postroom.modules.manifest import default_addons_path, set_addons_path
from postroom.orm.environment import SUPERUSER_ID, Environment
from postroom.orm.registry import Registry
from postroom.service.db import Server
from postroom.service.embedded import EmbeddedCluster

set_addons_path(default_addons_path())

from postroom.addons.mail_core.gateway.intake import Source, receive

TARGET = 100.0  # fully processed messages per second
WORDS = ["order", "invoice", "delivery", "printer", "screen", "broken", "thanks", "please",
         "call", "tomorrow", "refund", "account", "password", "access", "report", "meeting",
         "quote", "urgent", "update", "schedule"]


@contextlib.contextmanager
def postgres(db_url: str | None) -> Iterator[Server]:
    if db_url:
        yield Server.from_dsn(db_url)
        return
    with tempfile.TemporaryDirectory(prefix="postroom-bench-") as tmp:
        cluster = EmbeddedCluster(Path(tmp) / "pgdata")
        cluster.ensure_running()
        server = Server(cluster.dsn(), cluster=cluster)
        server.data_dir = str(Path(tmp) / "data")
        try:
            yield server
        finally:
            server.close_all()
            cluster.destroy()


def prepare(server: Server, name: str, records: int) -> tuple[Registry, list[str]]:
    """A database with mail_core, ``records`` records followed by two agents, each with a
    message of ours that mail can answer; the registry and those Message-Ids."""
    if server.exists(name):
        server.drop_database(name)
    database = server.create_database(name)
    registry = AddonLoader(database).install(["mail_core"])
    with database.cursor() as cr:
        env = Environment(cr, SUPERUSER_ID, {}, registry=registry)
        env["ir.config_parameter"].set_param("mail.catchall.domain", "example.com")
        group = env.ref("base.group_user")
        agents = env["res.users"].create([{
            "name": f"Agent {n}", "login": f"agent{n}@example.com",
            "email": f"agent{n}@example.com", "groups_id": [(6, 0, [group.id])]}
            for n in range(2)])
        tickets = env["res.partner"].with_context(tracking_disable=True).create(
            [{"name": f"Ticket {n}"} for n in range(records)])
        tickets._message_subscribe(agents.mapped("partner_id").ids)
        ids = [ticket.message_post(body=f"We are looking into ticket {ticket.id}.",
                                   message_type="comment",
                                   subtype_xmlid="mail_core.mt_comment").message_id
               for ticket in tickets]
    return registry, ids


def _paragraphs(rng: random.Random, size: int) -> list[str]:
    paragraphs, length = [], 0
    while length < size:
        paragraph = " ".join(rng.choice(WORDS) for _ in range(rng.randint(30, 80))).capitalize()
        paragraphs.append(paragraph + ".")
        length += len(paragraph) + 2
    return paragraphs


def make_messages(count: int, parents: list[str], seed: int = 7) -> list[bytes]:
    """``count`` messages, half replies to ``parents``, 5 to 50 KB each."""
    rng = random.Random(seed)
    messages = []
    for number in range(count):
        size = rng.randint(5_000, 50_000)
        message = EmailMessage(policy=SMTP)
        message["From"] = f"Customer {number % 1500} <customer{number % 1500}@example.org>"
        message["To"] = "support@example.com"
        message["Date"] = email.utils.formatdate(localtime=True)
        message["Message-ID"] = f"<bench-{number}.{seed}@example.org>"
        reply = number % 2 == 0
        if reply:
            parent = rng.choice(parents)
            message["Subject"] = f"Re: Ticket {number}"
            message["In-Reply-To"] = parent
            message["References"] = parent
        else:
            message["Subject"] = f"Request {number}: {' '.join(rng.sample(WORDS, 4))}"
        with_file = number % 3 == 0
        text_size = size // 2 if with_file else size
        paragraphs = _paragraphs(rng, text_size // 2 if number % 4 < 2 else text_size)
        message.set_content("\n\n".join(paragraphs))
        if number % 4 < 2:  # an HTML alternative, as most clients send
            message.add_alternative("<html><body>" + "".join(
                f"<p style='margin:0 0 8px'>{p}</p>" for p in paragraphs) + "</body></html>",
                subtype="html")
        if with_file:
            message.add_attachment(rng.randbytes(size // 2 * 3 // 4), maintype="application",
                                   subtype="pdf", filename=f"scan-{number}.pdf")
        messages.append(message.as_bytes())
    return messages


def bare_parse(messages: list[bytes]) -> float:
    start = time.perf_counter()
    for raw in messages:
        email.message_from_bytes(raw)
    return time.perf_counter() - start


def gateway(registry: Registry, messages: list[bytes]) -> tuple[float, Counter]:
    outcomes: Counter = Counter()
    start = time.perf_counter()
    for raw in messages:
        outcomes[receive(registry, raw, Source(model="res.partner")).status] += 1
    return time.perf_counter() - start, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--records", type=int, default=500,
                        help="records whose messages the replies answer")
    parser.add_argument("--db-url", help="a PostgreSQL server (default: an embedded one)")
    args = parser.parse_args()
    name = "postroom_bench_incoming"
    with postgres(args.db_url) as server:
        registry, parents = prepare(server, name, args.records)
        try:
            messages = make_messages(args.messages, parents)
            total = sum(map(len, messages))
            baseline = bare_parse(messages)
            elapsed, outcomes = gateway(registry, messages)
        finally:
            registry.database.close_all()
            Registry.forget(name)
            server.drop_database(name)
    if outcomes != Counter(processed=args.messages):
        raise SystemExit(f"unexpected outcome: {dict(outcomes)}")
    count = args.messages
    rate, base_rate = count / elapsed, count / baseline
    print(f"\n{count} messages ({count // 2 + count % 2} replies, {count // 2} new), "
          f"{total / count / 1024:.0f} KB on average; {args.records} records, 2 followers each\n")
    print(f"| {'step':<52} | {'seconds':>8} | {'messages/s':>10} |")
    print(f"|{'-' * 54}|{'-' * 10}|{'-' * 12}|")
    print(f"| {'email.message_from_bytes (baseline)':<52} | {baseline:>8.2f} | {base_rate:>10.0f} |")
    print(f"| {'message_process, one committed transaction each':<52} | {elapsed:>8.2f} | "
          f"{rate:>10.1f} |")
    print(f"\nratio gateway / bare parse: {rate / base_rate:.4f} "
          f"(the gateway takes {base_rate / rate:.0f} times as long)")
    verdict = "met" if rate >= TARGET else "NOT met"
    print(f"target: at least {TARGET:.0f} fully processed messages/s: {verdict}")


if __name__ == "__main__":
    main()
