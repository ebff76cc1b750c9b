"""Fixtures for the ORM tests: a database with the ``test_orm`` addon installed.

``test_orm`` is a test-only addon (``tests/addons/test_orm``), so the session's
shared database does not have it. One committed copy of the test database gets
it installed for the whole session; each test then works in a savepoint on it,
rolled back afterwards, exactly like the plugin's ``env`` fixture.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Self

import pytest

from postroom.modules.loader import AddonLoader
from postroom.orm.environment import Environment
from postroom.orm.registry import Registry
from postroom.testing.plugin import TestDatabases, savepoint_env, session_cursor


@pytest.fixture(scope="session")
def orm_registry(postroom_databases: TestDatabases) -> Registry:
    """The registry of a database with base and test_orm installed."""
    database = postroom_databases.copy("orm")
    loader = AddonLoader(database, postroom_databases.addons_path)
    loader.install(["test_orm"])
    return loader.load_registry()


@pytest.fixture(scope="session")
def orm_cursor(orm_registry: Registry) -> Iterator[Any]:
    with session_cursor(orm_registry) as cr:
        yield cr


@pytest.fixture
def orm_env(orm_registry: Registry, orm_cursor: Any) -> Iterator[Environment]:
    """A superuser environment on the test_orm database; rolled back after the test."""
    with savepoint_env(orm_registry, orm_cursor) as environment:
        yield environment


@pytest.fixture
def make_user(orm_env: Environment) -> Callable[..., Any]:
    """Create a user in the given groups (external ids); returns the user record."""
    counter = iter(range(1, 1000))

    def make(*groups: str, name: str | None = None) -> Any:
        index = next(counter)
        group_ids = [orm_env.ref(xmlid).id for xmlid in groups]
        return orm_env["res.users"].create({
            "name": name or f"User {index}", "login": f"user{index}@example.com",
            "groups_id": [(6, 0, group_ids)],
        })
    return make


@pytest.fixture
def count_queries(orm_env: Environment) -> Callable[[], Any]:
    """``with count_queries() as counter: ...`` then ``counter.count``."""
    class Counter:
        def __init__(self) -> None:
            self.count = 0

        def __enter__(self) -> Self:
            self.start = orm_env.cr.sql_count
            return self

        def __exit__(self, *exc: object) -> None:
            self.count = orm_env.cr.sql_count - self.start

    return Counter
