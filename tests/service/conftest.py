"""Fixtures for the service-layer tests.

``server`` is the PostgreSQL server under test: the one named by ``POSTROOM_TEST_DB_URL``
when set, else a throw-away embedded cluster. ``scratch_db`` is a uniquely named database
on it, created for one test module and dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest

from postroom.service import Database, Server, embedded_server_for_tests


def _unique_name(prefix: str = "postroom_test") -> str:
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def unique_name() -> Callable[..., str]:
    """Makes database names that no other test or test run uses."""
    return _unique_name


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    url = os.environ.get("POSTROOM_TEST_DB_URL")
    if url:
        server = Server.from_dsn(url)
        yield server
        server.close_all()
        return
    with embedded_server_for_tests(tmp_path_factory.mktemp("pg")) as server:
        yield server


@pytest.fixture(scope="module")
def scratch_db(server: Server) -> Iterator[Database]:
    name = _unique_name()
    database = server.create_database(name)
    yield database
    server.drop_database(name)
