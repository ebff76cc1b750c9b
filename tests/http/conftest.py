"""Fixtures for the HTTP tests.

``http_db`` is a committed copy of the test database with the ``test_http``
addon installed (``tests/addons/test_http``: routes of every kind), an admin
whose password is known and a portal user; each test gets a fresh copy of one
such database, prepared once per session. ``client`` drives the real
application on it in process (one committed transaction per request, as in
production); ``live_http`` serves it on a loopback port for real clients.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from postroom.http.app import Application
from postroom.modules.loader import AddonLoader
from postroom.orm.environment import SUPERUSER_ID, Environment
from postroom.testing.http import TestClient, live_server
from postroom.testing.plugin import CommittedDatabase, TestDatabases

ADMIN_PASSWORD = "admin-secret"
PORTAL_LOGIN, PORTAL_PASSWORD = "pat@example.com", "portal-secret"


@dataclass
class HttpDB:
    """A committed database with ``test_http`` installed."""

    db: CommittedDatabase

    @property
    def dbname(self) -> str:
        return self.db.dbname

    def app(self, debug: bool = False) -> Application:
        return Application(self.db.database, registry=self.db.registry, debug=debug)

    def client(self, debug: bool = False) -> TestClient:
        return TestClient(self.app(debug))

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Rows of ``sql`` in a transaction of its own (what other requests would see)."""
        with self.db.database.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall() if cr.description else []

    def env(self) -> Any:
        return self.db.env()


@pytest.fixture(scope="session")
def http_template(postroom_databases: TestDatabases) -> str:
    """The name of a database with test_http installed and the users of the tests."""
    database = postroom_databases.copy("http_tpl")
    registry = AddonLoader(database, postroom_databases.addons_path).install(["test_http"])
    with database.cursor() as cr:
        env = Environment(cr, SUPERUSER_ID, {}, registry=registry)
        env.ref("base.user_admin")._set_password(ADMIN_PASSWORD)
        portal = env["res.users"].create({
            "name": "Portal Pat", "login": PORTAL_LOGIN,
            "groups_id": [(6, 0, [env.ref("base.group_portal").id])]})
        portal._set_password(PORTAL_PASSWORD)
    postroom_databases.close(database.dbname)
    return database.dbname


@pytest.fixture
def http_db(postroom_databases: TestDatabases, http_template: str) -> Iterator[HttpDB]:
    database = postroom_databases.new_database(
        f"{postroom_databases.prefix}_{uuid.uuid4().hex[:8]}", template=http_template)
    yield HttpDB(CommittedDatabase(postroom_databases, database))
    postroom_databases.drop(database.dbname)


@pytest.fixture
def client(http_db: HttpDB) -> TestClient:
    return http_db.client()


@pytest.fixture
def live_http(http_db: HttpDB) -> Iterator[tuple[str, HttpDB]]:
    """``(base_url, http_db)``: the application served by a real threaded server."""
    with live_server(http_db.app()) as url:
        yield url, http_db
