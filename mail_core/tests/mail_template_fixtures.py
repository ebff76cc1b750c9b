"""Fixtures of the template, composer, scheduling and automation tests (import them).

They work on databases where the test-only addon ``test_mail_template`` is installed
(``tests/addons``: ``test.mail.order``, an order with a customer, an amount, a deadline and a
state, and its template ``test_mail_template.mail_template_order``). The addon is installed
once per session in a database kept closed, copied for each use:

- ``tenv``: a superuser environment whose changes are rolled back after the test;
- ``template_db``: a committed copy (cron, queue workers, background sending), dropped after;
- ``make_order(env, name, **values)``, ``new_user(env, name, groups=...)``.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from postroom.modules.loader import AddonLoader
from postroom.orm.environment import Environment
from postroom.orm.registry import Registry
from postroom.testing.plugin import CommittedDatabase, TestDatabases, savepoint_env, session_cursor

__all__ = ["make_order", "new_user", "template_cursor", "template_db", "template_registry",
           "tenv"]

_counter = itertools.count(1)
#: per test session: the name of the closed database with the addon installed
_SOURCES: dict[str, str] = {}


def _source_database(databases: TestDatabases) -> str:
    """The database with ``test_mail_template`` installed, made once per session."""
    name = _SOURCES.get(databases.prefix)
    if name is None:
        database = databases.copy("mail_template_src")
        AddonLoader(database, databases.addons_path).install(["test_mail_template"])
        databases.close(database.dbname)
        name = _SOURCES[databases.prefix] = database.dbname
    return name


def _copy(databases: TestDatabases) -> Any:
    return databases.new_database(f"{databases.prefix}_mt_{uuid.uuid4().hex[:8]}",
                                  template=_source_database(databases))


@pytest.fixture(scope="module")
def template_registry(postroom_databases: TestDatabases) -> Registry:
    return AddonLoader(_copy(postroom_databases), postroom_databases.addons_path).load_registry()


@pytest.fixture(scope="module")
def template_cursor(template_registry: Registry) -> Iterator[Any]:
    with session_cursor(template_registry) as cr:
        yield cr


@pytest.fixture
def tenv(template_registry: Registry, template_cursor: Any) -> Iterator[Environment]:
    """A superuser environment where ``test.mail.order`` exists; rolled back after the test."""
    with savepoint_env(template_registry, template_cursor) as environment:
        yield environment


@pytest.fixture
def template_db(postroom_databases: TestDatabases) -> Iterator[CommittedDatabase]:
    """A committed copy of the database with ``test_mail_template``."""
    database = _copy(postroom_databases)
    db = CommittedDatabase(postroom_databases, database)
    yield db
    postroom_databases.drop(database.dbname)


@pytest.fixture
def make_order() -> Callable[..., Any]:
    """Create an order; ``customer="Ann"`` creates its customer (``lang``, ``email`` too)."""
    def make(env: Environment, name: str, *, customer: str | None = None, lang: str = "en_US",
             email: str | None = None, **values: Any) -> Any:
        if customer:
            values["partner_id"] = env["res.partner"].create({
                "name": customer, "lang": lang,
                "email": email or f"{customer.lower().replace(' ', '.')}@example.org"}).id
        return env["test.mail.order"].create({"name": name, **values})
    return make


@pytest.fixture
def new_user() -> Callable[..., Any]:
    """Create a user in ``groups`` (external ids; an internal user by default)."""
    def make(env: Environment, name: str, groups: tuple[str, ...] = ("base.group_user",),
             **values: Any) -> Any:
        index = next(_counter)
        return env["res.users"].create({
            "name": name, "login": f"tmpl{index}@example.com",
            "email": f"{name.lower().replace(' ', '.')}.{index}@example.com",
            "groups_id": [(6, 0, [env.ref(xmlid).id for xmlid in groups])], **values})
    return make


def mail_server_for(env: Environment, peer: Any) -> Any:
    """Make the SMTP test peer the only outgoing server."""
    env["ir.mail_server"].search([]).write({"active": False})
    return env["ir.mail_server"].create({"name": "Peer", "smtp_host": peer.host,
                                         "smtp_port": peer.port, "smtp_timeout": 5})
