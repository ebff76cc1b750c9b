"""Fixtures for the mail_core tests.

- ``thread_env``: like ``env``, on a database that also has the test-only addon
  ``test_mail_thread`` (``tests/addons``: a ticket model with tracked fields),
  installed once per session in a committed copy; each test is rolled back.
- ``make_user``: ``make_user(env, "Ann", portal=False, notification_type="email")``.
- ``make_partner``: ``make_partner(env, "Bob", email=...)``, a contact without user.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from postroom.modules.loader import AddonLoader
from postroom.orm.environment import Environment
from postroom.orm.registry import Registry
from postroom.testing.plugin import TestDatabases, savepoint_env, session_cursor

_counter = itertools.count(1)


@pytest.fixture(scope="session")
def thread_registry(postroom_databases: TestDatabases) -> Registry:
    database = postroom_databases.copy("mail_thread")
    loader = AddonLoader(database, postroom_databases.addons_path)
    loader.install(["test_mail_thread"])
    return loader.load_registry()


@pytest.fixture(scope="session")
def thread_cursor(thread_registry: Registry) -> Iterator[Any]:
    with session_cursor(thread_registry) as cr:
        yield cr


@pytest.fixture
def thread_env(thread_registry: Registry, thread_cursor: Any) -> Iterator[Environment]:
    """A superuser environment where ``test.mail.ticket`` exists; rolled back after the test."""
    with savepoint_env(thread_registry, thread_cursor) as environment:
        yield environment


@pytest.fixture
def make_user() -> Callable[..., Any]:
    """Create a user: internal (default) or portal, with a notification preference."""
    def make(env: Environment, name: str, *, portal: bool = False,
             notification_type: str = "email", email: str | None = None, lang: str = "en_US"
             ) -> Any:
        index = next(_counter)
        group = env.ref("base.group_portal" if portal else "base.group_user")
        return env["res.users"].create({
            "name": name, "login": f"user{index}@example.com",
            "email": email or f"{name.lower().replace(' ', '.')}.{index}@example.com",
            "groups_id": [(6, 0, [group.id])], "notification_type": notification_type,
            "lang": lang,
        })
    return make


@pytest.fixture
def make_partner() -> Callable[..., Any]:
    """Create a contact without a user."""
    def make(env: Environment, name: str, *, email: str | bool | None = None,
             lang: str = "en_US") -> Any:
        index = next(_counter)
        if email is None:
            email = f"{name.lower().replace(' ', '.')}.{index}@example.com"
        return env["res.partner"].create({"name": name, "email": email, "lang": lang})
    return make
