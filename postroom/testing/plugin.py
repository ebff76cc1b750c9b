"""pytest plugin: databases, environments and peers for Postroom tests.

Activated by the ``pytest11`` entry point of the package. The session builds
one *template* database with the addons under test installed (embedded
PostgreSQL, or the server in ``POSTROOM_TEST_DB_URL``), copies it once for the
tests that work inside a transaction, and copies it again for each test that
must commit (``committed_db``): ``CREATE DATABASE … TEMPLATE`` takes a few
hundredths of a second.

- ``env``: superuser environment on the shared test database; every test runs
  in a savepoint rolled back afterwards, and ``commit()`` is refused.
- ``committed_db``: a fresh committed copy (cron, queues, concurrency,
  install/upgrade/uninstall), dropped after the test.
- ``smtp_peer``: a real SMTP server (aiosmtpd) on a free loopback port.

Addons: every installable addon on the addons path whose name does not start
with ``test_``; ``tests/addons`` is added to the path so committed copies can
install the test-only addons.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from postroom.modules.loader import AddonLoader
from postroom.modules.manifest import default_addons_path, set_addons_path
from postroom.orm.environment import SUPERUSER_ID, Environment
from postroom.orm.registry import Registry
from postroom.service.db import Database, Server
from postroom.testing.browser import artifacts, browser  # noqa: F401 -- fixtures


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("postroom")
    group.addoption("--postroom-addons", default=None,
                    help="comma-separated addons to install in the test database "
                         "(default: every addon on the path not named test_*)")
    parser.addini("postroom_addons", "addons to install in the test database", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "commit: runs on a committed copy of the test database")
    # test modules import addon code (postroom.addons.<name>.…) when they are collected
    set_addons_path(test_addons_path(config.rootpath))


@pytest.hookimpl(tryfirst=True)
def pytest_collect_directory(path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Collect an addon (a directory with a manifest) as a plain directory.

    Addons are imported by the loader as ``postroom.addons.<name>``; as a pytest
    package, pytest would import its ``__init__.py`` under another name. The
    tests in its ``tests/`` directory are collected as usual.
    """
    if (path / "__manifest__.py").is_file():
        return pytest.Dir.from_parent(parent, path=path)
    return None


def test_addons_path(rootdir: Path) -> list[str]:
    """The default addons path plus the test-only addons of the repository."""
    path = default_addons_path()
    extra = rootdir / "tests" / "addons"
    if extra.is_dir():
        path.append(str(extra))
    return path


class TestDatabases:
    """The session's PostgreSQL server, template database and addon list."""

    def __init__(self, server: Server, addons_path: list[str], addons: list[str] | None):
        self.server = server
        self.addons_path = addons_path
        self.prefix = f"postroom_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.template = f"{self.prefix}_tpl"
        self.created: list[str] = []
        loader = AddonLoader(self.new_database(self.template), addons_path)
        self.addons = addons or sorted(
            name for name, manifest in loader.manifests.items()
            if manifest.installable and not name.startswith("test_"))
        loader.install(self.addons)
        self.close(self.template)

    def new_database(self, name: str, template: str | None = None) -> Database:
        database = self.server.create_database(name, template=template)
        self.created.append(name)
        return database

    def copy(self, suffix: str) -> Database:
        """A fresh database copied from the template."""
        return self.new_database(f"{self.prefix}_{suffix}", template=self.template)

    def close(self, name: str) -> None:
        self.server.database(name).close_all()
        Registry.forget(name)

    def drop(self, name: str) -> None:
        self.close(name)
        self.server.drop_database(name)
        self.created.remove(name)

    def drop_all(self) -> None:
        for name in list(reversed(self.created)):
            with contextlib.suppress(Exception):
                self.drop(name)


@pytest.fixture(scope="session")
def postroom_server() -> Iterator[Server]:
    """The PostgreSQL server tests use: ``POSTROOM_TEST_DB_URL`` or a private embedded one.

    Its directories are made with :func:`tempfile.mkdtemp`, not pytest's ``tmp_path``:
    pytest prunes old base temp directories, which would pull the data directory
    from under a concurrent session's server.
    """
    scratch = Path(tempfile.mkdtemp(prefix="postroom-test-"))
    try:
        dsn = os.environ.get("POSTROOM_TEST_DB_URL")
        if dsn:
            server = Server.from_dsn(dsn)
            server.data_dir = str(scratch / "data")
            yield server
            server.close_all()
            return
        from postroom.service.embedded import embedded_server_for_tests
        with embedded_server_for_tests(scratch / "pg") as server:
            server.data_dir = str(scratch / "data")
            yield server
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(scope="session")
def postroom_databases(request: pytest.FixtureRequest, postroom_server: Server) -> Iterator[TestDatabases]:
    option = request.config.getoption("--postroom-addons") or \
        request.config.getini("postroom_addons")
    addons = [a.strip() for a in option.split(",") if a.strip()] if option else None
    databases = TestDatabases(postroom_server, test_addons_path(request.config.rootpath), addons)
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def postroom_registry(postroom_databases: TestDatabases) -> Registry:
    """The registry of the shared (never committed) test database."""
    database = postroom_databases.copy("main")
    return AddonLoader(database, postroom_databases.addons_path).load_registry()


class _NoCommit:
    def __call__(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("Tests on the shared database must not commit or roll back: "
                             "use the committed_db fixture, or cr.savepoint()")


@pytest.fixture(scope="session")
def postroom_cursor(postroom_registry: Registry) -> Iterator[Any]:
    cr = postroom_registry.cursor()
    commit, rollback = cr.commit, cr.rollback
    cr.commit = cr.rollback = _NoCommit()
    yield cr
    cr.commit, cr.rollback = commit, rollback
    cr.rollback()
    cr.close()


@contextlib.contextmanager
def savepoint_env(registry: Registry, cr: Any) -> Iterator[Environment]:
    """A superuser environment on ``cr`` whose work is rolled back when the block ends.

    For addon test suites that keep their own database with a test addon installed
    (a session cursor plus this, per test), as the ``env`` fixture does.
    """
    cr.execute("SAVEPOINT postroom_test")
    cr.orm_transaction = None
    registry.clear_caches()
    try:
        yield Environment(cr, SUPERUSER_ID, {}, registry=registry)
    finally:
        cr.execute("ROLLBACK TO SAVEPOINT postroom_test")
        cr.execute("RELEASE SAVEPOINT postroom_test")
        cr.postcommit.clear()
        cr.precommit.clear()
        cr.orm_transaction = None
        registry.clear_caches()
        registry.model_cache.clear()


@contextlib.contextmanager
def session_cursor(registry: Registry) -> Iterator[Any]:
    """A cursor for a whole test session, rolled back and closed at the end."""
    cr = registry.cursor()
    try:
        yield cr
    finally:
        cr.rollback()
        cr.close()


@pytest.fixture
def env(postroom_registry: Registry, postroom_cursor: Any) -> Iterator[Environment]:
    """A superuser environment; everything the test does is rolled back."""
    with savepoint_env(postroom_registry, postroom_cursor) as environment:
        yield environment


class CommittedDatabase:
    """A copy of the test database where code may commit; dropped after the test."""

    def __init__(self, databases: TestDatabases, database: Database):
        self.databases = databases
        self.database = database
        self.dbname = database.dbname
        self.loader = AddonLoader(database, databases.addons_path)
        self.registry = self.loader.load_registry()

    @contextlib.contextmanager
    def env(self, uid: int = SUPERUSER_ID, context: dict | None = None) -> Iterator[Environment]:
        """An environment in its own transaction, committed when the block ends."""
        with self.database.cursor() as cr:
            yield Environment(cr, uid, context or {}, registry=self.registry)

    def reload(self) -> Registry:
        self.registry = self.loader.load_registry()
        return self.registry


@pytest.fixture
def committed_db(postroom_databases: TestDatabases) -> Iterator[CommittedDatabase]:
    """A fresh committed copy of the test database (for cron, queues, concurrency, addons)."""
    database = postroom_databases.copy(uuid.uuid4().hex[:8])
    db = CommittedDatabase(postroom_databases, database)
    yield db
    postroom_databases.drop(database.dbname)


@pytest.fixture
def smtp_peer() -> Iterator[Any]:
    """A real SMTP server on loopback; see :class:`postroom.testing.smtp.SMTPPeer`."""
    from postroom.testing.smtp import SMTPPeer
    with SMTPPeer() as peer:
        yield peer


@pytest.fixture
def http_client(env: Environment, postroom_registry: Registry) -> Any:
    """A werkzeug test client whose requests run inside the test's transaction."""
    from postroom.testing.http import TestClient, shared_cursor_app
    return TestClient(shared_cursor_app(postroom_registry, env.cr))


@pytest.fixture
def live_server(committed_db: CommittedDatabase) -> Iterator[Any]:
    """A real threaded HTTP server on a committed copy; yields ``(base_url, committed_db)``."""
    from postroom.http.app import Application
    from postroom.testing.http import live_server as serve
    app = Application(committed_db.database, committed_db.databases.addons_path,
                      registry=committed_db.registry)
    with serve(app) as url:
        yield url, committed_db
