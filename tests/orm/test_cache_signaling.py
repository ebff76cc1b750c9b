"""Cache signaling: a change committed by one process clears the caches of the others."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
from postroom.addons.mail_core.mailer.worker import QueueWorker

from postroom.http.app import Application
from postroom.orm.signaling import CacheSignal
from postroom.service.cron import CronWorker
from postroom.testing.http import TestClient
from postroom.testing.plugin import CommittedDatabase


class Process:
    """A stand-in for one process: its own signal, and how often its caches were cleared."""

    def __init__(self) -> None:
        self.cleared = 0
        self.signal = CacheSignal(self._clear)

    def _clear(self) -> None:
        self.cleared += 1


def test_a_committed_change_clears_the_other_process_once(committed_db: CommittedDatabase) -> None:
    one, other = Process(), Process()
    database = committed_db.database
    with database.cursor() as cr:
        assert not one.signal.check(cr) and not other.signal.check(cr)  # first look: a baseline
        one.signal.changed(cr)
        one.signal.changed(cr)  # one advance per transaction, however many changes
        assert one.cleared == 2  # its own caches go at once
        assert not other.signal.check(cr)  # not committed yet: nothing to see
    with database.cursor() as cr:
        assert other.signal.check(cr) and other.cleared == 1
        assert not other.signal.check(cr) and other.cleared == 1
        assert not one.signal.check(cr) and one.cleared == 2  # its own advance is no news


def test_a_rolled_back_change_clears_nothing_elsewhere(committed_db: CommittedDatabase) -> None:
    one, other = Process(), Process()
    with committed_db.database.cursor() as cr:
        other.signal.check(cr)
        one.signal.changed(cr)
        cr.rollback()
        assert not other.signal.check(cr) and other.cleared == 0


def test_a_change_made_meanwhile_elsewhere_is_not_missed(committed_db: CommittedDatabase) -> None:
    one, other = Process(), Process()
    database = committed_db.database
    with database.cursor() as cr:
        one.signal.check(cr)
        other.signal.check(cr)
    with database.cursor() as cr:
        other.signal.changed(cr)
    with database.cursor() as cr:  # `one` advances right after `other`, without a check between
        one.signal.changed(cr)
    assert one.cleared == 2  # its change, then what `other` changed before it


_READER = textwrap.dedent("""
    import sys
    from postroom.modules.loader import AddonLoader
    from postroom.modules.manifest import set_addons_path
    from postroom.orm.environment import Environment
    from postroom.service.db import Server

    dsn, dbname, paths, uid = sys.argv[1], sys.argv[2], sys.argv[3].split(","), int(sys.argv[4])
    set_addons_path(paths)
    database = Server.from_dsn(dsn).database(dbname)
    registry = AddonLoader(database, paths).load_registry()
    for line in sys.stdin:  # one request per line, as an HTTP worker serves them
        with database.cursor() as cr:
            registry.signal.check(cr)
            env = Environment(cr, 1, {}, registry=registry)
            value = env["ir.config_parameter"].get_param(line.strip(), "unset")
            may_read = env(user=uid)["ir.config_parameter"].check_access_rights(
                "read", raise_exception=False)
        print(value, may_read, flush=True)
""")


@pytest.fixture
def reader(committed_db: CommittedDatabase) -> Iterator[subprocess.Popen[str]]:
    """Another process holding its own registry of the database, answering line by line."""
    with committed_db.env() as env:
        user = env["res.users"].create({"name": "Ada", "login": "ada",
                                        "groups_id": [(4, env.ref("base.group_system").id)]})
    server = committed_db.database.server
    process = subprocess.Popen(
        [sys.executable, "-c", _READER, server.dsn_for(committed_db.dbname), committed_db.dbname,
         ",".join(committed_db.databases.addons_path), str(user.id)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    yield process
    process.stdin.close()
    process.wait(timeout=30)


def _ask(process: subprocess.Popen[str], key: str) -> str:
    process.stdin.write(key + "\n")
    process.stdin.flush()
    return process.stdout.readline().strip()


def test_another_process_sees_parameters_and_rights_change(
        committed_db: CommittedDatabase, reader: subprocess.Popen[str]) -> None:
    assert _ask(reader, "mail.test.flavour") == "unset True"  # now cached over there
    with committed_db.env() as env:
        env["ir.config_parameter"].set_param("mail.test.flavour", "vanilla")
    assert _ask(reader, "mail.test.flavour") == "vanilla True"
    with committed_db.env() as env:
        env["res.users"].search([("login", "=", "ada")]).write(
            {"groups_id": [(3, env.ref("base.group_system").id)]})
    assert _ask(reader, "mail.test.flavour") == "vanilla False"


def _changed_elsewhere(committed_db: CommittedDatabase) -> None:
    """Another process commits a change: this process's registry has cached something."""
    committed_db.registry.model_cache[("test", "sentinel")] = True
    with committed_db.database.cursor() as cr:
        Process().signal.changed(cr)


def test_requests_cron_jobs_and_queue_rounds_look_first(committed_db: CommittedDatabase) -> None:
    registry = committed_db.registry
    with committed_db.database.cursor() as cr:
        registry.signal.check(cr)
    units = {
        "request": lambda: TestClient(Application(committed_db.database, registry=registry))
        .get("/web/health"),
        "cron": lambda: CronWorker(committed_db.database, lambda: registry).run_pending(),
        "queue": lambda: QueueWorker(committed_db.database, lambda: registry).run_once(),
    }
    for name, run in units.items():
        _changed_elsewhere(committed_db)
        run()
        assert ("test", "sentinel") not in registry.model_cache, name
