"""Benchmark: the mail queue against Postfix's smtp-sink, with plain smtplib as the baseline.

Queues 10,000 mails (two recipients each, about 5 KB of HTML each, every body different),
then measures how fast they are delivered to ``smtp-sink`` (Debian package ``postfix``) on
loopback by one queue worker process, then by two. The baseline sends the same messages,
built beforehand, with plain :mod:`smtplib` over one connection. The workers are started and
listening before the mails are queued; the clock runs from the commit that queues them
(the workers hear of it through NOTIFY) until the last one is marked sent. Every run gets a
fresh copy of the database. Targets: one worker at least 30 % of the smtplib rate, two workers at least
1.6 times one worker. Each run is repeated (``--rounds``) and the best of each is compared:
on a shared machine the best run is the one least disturbed by the neighbours.

    python bench/mail_queue.py [--mails 10000] [--rounds 3] [--db-url postgresql://…]

Without ``--db-url`` an embedded PostgreSQL runs in a temporary directory, with its usual
durability (fsync on; each mail's outcome is a commit).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from postroom.modules.loader import AddonLoader
from postroom.modules.manifest import default_addons_path, set_addons_path
from postroom.orm.environment import SUPERUSER_ID, Environment
from postroom.render.html import html_to_text
from postroom.service.db import Database, Server
from postroom.service.embedded import EmbeddedCluster

set_addons_path(default_addons_path())  # the addon's code imports as postroom.addons.<name>

from postroom.addons.mail_core.mailer.addresses import parse_address, parse_addresses
from postroom.addons.mail_core.mailer.mime import build_body, build_message
from postroom.addons.mail_core.mailer.worker import worker_command

SENDER = "notifications@example.com"
#: characters of the bar that shows each rate against the smtplib baseline
BAR_WIDTH = 30
PARAGRAPH = ("<p>Dear customer, your order <b>#{n}</b> has shipped. Follow it on "
             "<a href='https://shop.example.com/orders/{n}'>our site</a>; the parcel should "
             "arrive within three days. Thank you for shopping with us!</p>\n")


def _body(number: int) -> str:
    paragraphs = PARAGRAPH.format(n=number) * (5000 // len(PARAGRAPH.format(n=number)) + 1)
    return f"<div>{paragraphs}</div>"


def _recipients(number: int) -> str:
    return f"alice{number}@example.org, Bob <bob{number}@example.net>"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def smtp_sink() -> Iterator[int]:
    """Postfix's smtp-sink on a free loopback port."""
    binary = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
    if not os.path.exists(binary):
        sys.exit("smtp-sink not found: install the Debian package postfix")
    port = _free_port()
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    process = subprocess.Popen([binary, *user, f"127.0.0.1:{port}", "1000"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait()


@contextlib.contextmanager
def postgres(db_url: str | None) -> Iterator[Server]:
    if db_url:
        yield Server.from_dsn(db_url)
        return
    with tempfile.TemporaryDirectory(prefix="postroom-bench-") as tmp:
        cluster = EmbeddedCluster(Path(tmp) / "pgdata")
        cluster.ensure_running()
        server = Server(cluster.dsn(), cluster=cluster)
        try:
            yield server
        finally:
            server.close_all()
            cluster.destroy()


def prepare_template(server: Server, name: str, port: int) -> None:
    """A database with mail_core installed and smtp-sink as the only outgoing server."""
    if server.exists(name):
        server.drop_database(name)
    database = server.create_database(name)
    registry = AddonLoader(database).install(["mail_core"])
    with database.cursor() as cr:
        env = Environment(cr, SUPERUSER_ID, {}, registry=registry)
        env["ir.mail_server"].search([]).write({"active": False})
        env["ir.mail_server"].create({"name": "smtp-sink", "smtp_host": "127.0.0.1",
                                      "smtp_port": port})
    database.close_all()


def queue_mails(database: Database, count: int) -> float:
    """Queue ``count`` mails in one transaction; the seconds it took."""
    registry = AddonLoader(database).load_registry()
    start = time.perf_counter()
    with database.cursor() as cr:
        env = Environment(cr, SUPERUSER_ID, {}, registry=registry)
        for first in range(0, count, 1000):
            env["mail.mail"].create([{
                "subject": f"Your order #{n} has shipped", "email_from": SENDER,
                "email_to": _recipients(n), "body_html": _body(n)}
                for n in range(first, min(count, first + 1000))])
            env.invalidate_all()
    return time.perf_counter() - start


def _listening(database: Database) -> int:
    with database.cursor() as cr:
        cr.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                   " AND query ILIKE 'LISTEN%%postroom_mail_queue%%'")
        return cr.fetchone()[0]


def _any_outgoing(database: Database) -> bool:
    with database.cursor() as cr:
        cr.execute("SELECT 1 FROM mail_mail WHERE state = 'outgoing' LIMIT 1")
        return cr.fetchone() is not None


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def run_workers(server: Server, template: str, workers: int, count: int) -> tuple[float, float]:
    """Deliver ``count`` mails with ``workers`` worker processes: (queueing, delivery) seconds."""
    name = f"{template}_{workers}w"
    if server.exists(name):
        server.drop_database(name)
    database = server.create_database(name, template=template)
    processes = [subprocess.Popen(worker_command("--db-url", server.dsn_for(name), "-d", name,
                                                 "--log-level", "warning"))
                 for _ in range(workers)]
    try:
        deadline = time.monotonic() + 60
        while _listening(database) < workers:
            if time.monotonic() > deadline:
                raise RuntimeError("the workers did not start")
            time.sleep(0.1)
        time.sleep(0.5)  # their first round (nothing queued) is over
        queueing = queue_mails(database, count)
        committed = _utcnow()
        while _any_outgoing(database):  # a light poll: the clock stops at the last write
            time.sleep(0.25)
        with database.cursor() as cr:
            cr.execute("SELECT state, count(*), max(write_date) FROM mail_mail GROUP BY state")
            rows = cr.fetchall()
        if [(state, number) for state, number, _last in rows] != [("sent", count)]:
            raise RuntimeError(f"unexpected outcome: {rows}")
        return queueing, (rows[0][2] - committed).total_seconds()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait()
        database.close_all()
        server.drop_database(name)


def run_smtplib(port: int, count: int) -> float:
    """Send the same messages, built beforehand, with smtplib over one connection."""
    sender = parse_address(SENDER)
    messages = []
    for n in range(count):
        to = parse_addresses(_recipients(n))
        body = build_body(html_to_text(_body(n)), _body(n))
        messages.append(([a.email for a in to], build_message(
            sender=sender, to=to, subject=f"Your order #{n} has shipped",
            message_id=f"<bench.{n}@example.com>", body=body)))
    client = smtplib.SMTP("127.0.0.1", port)
    client.ehlo()
    start = time.perf_counter()
    for recipients, data in messages:
        client.sendmail(SENDER, recipients, data)
    elapsed = time.perf_counter() - start
    client.quit()
    return elapsed


def _progress(number: int, rounds: int, label: str, rate: float) -> None:
    """One finished run, on stderr: the whole benchmark takes minutes."""
    print(f"round {number}/{rounds}: {label}: {rate:.0f} mails/s", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of the three runs; the best of each is compared, the "
                             "least disturbed by whatever else the machine does")
    parser.add_argument("--db-url", help="a PostgreSQL server (default: an embedded one)")
    args = parser.parse_args()
    count = args.mails
    labels = ["smtplib, one connection (baseline)", "queue, 1 worker", "queue, 2 workers"]
    rates: dict[str, list[float]] = {label: [] for label in labels}
    queueing: list[float] = []
    with smtp_sink() as port, postgres(args.db_url) as server:
        template = "postroom_bench_mail_queue"
        prepare_template(server, template, port)
        try:
            for number in range(1, args.rounds + 1):
                rates[labels[0]].append(count / run_smtplib(port, count))
                _progress(number, args.rounds, labels[0], rates[labels[0]][-1])
                for label, workers in ((labels[1], 1), (labels[2], 2)):
                    queued, delivered = run_workers(server, template, workers, count)
                    rates[label].append(count / delivered)
                    queueing.append(count / queued)
                    _progress(number, args.rounds, label, rates[label][-1])
        finally:
            server.drop_database(template)
    best = {label: max(values) for label, values in rates.items()}
    print(f"\n{count} mails, 2 recipients each, ~5 KB HTML, to smtp-sink on loopback; "
          f"best of {args.rounds} rounds")
    print(f"(queueing: {min(queueing):.0f} to {max(queueing):.0f} mails/s)\n")
    print(f"{'sender':<38} {'mails/s':>9} {'vs smtplib':>11}   {'':<{BAR_WIDTH}}   all rounds")
    for label in labels:
        share = best[label] / best[labels[0]]
        bar = "#" * round(min(share, 1.0) * BAR_WIDTH)
        print(f"{label:<38} {best[label]:>9.0f} {share:>10.0%}   {bar:<{BAR_WIDTH}}   "
              + " ".join(f"{rate:.0f}" for rate in rates[label]))
    one_ratio = best[labels[1]] / best[labels[0]]
    two_ratio = best[labels[2]] / best[labels[1]]
    print(f"\n1 worker / smtplib:   {one_ratio:.2f}  (target >= 0.30) "
          f"{'PASS' if one_ratio >= 0.30 else 'FAIL'}")
    print(f"2 workers / 1 worker: {two_ratio:.2f}  (target >= 1.60) "
          f"{'PASS' if two_ratio >= 1.60 else 'FAIL'}")


if __name__ == "__main__":
    main()
