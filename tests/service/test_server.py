"""Servers and databases: pools, creating/copying/dropping databases, LISTEN/NOTIFY, errors."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import psycopg2
import pytest

from postroom.service import (
    Database,
    DatabaseExists,
    DatabaseInUse,
    DatabaseUnavailable,
    InvalidDatabaseName,
    PoolExhausted,
    Server,
    UnknownDatabase,
    notify,
)


def backend_pid(db: Database) -> int:
    with db.cursor() as cr:
        cr.execute("SELECT pg_backend_pid()")
        return cr.fetchone()[0]


def test_database_is_cached_and_pool_reuses_connections(server: Server,
                                                        scratch_db: Database) -> None:
    assert server.database(scratch_db.dbname) is scratch_db
    assert backend_pid(scratch_db) == backend_pid(scratch_db)
    with scratch_db.cursor() as one, scratch_db.cursor() as two:
        assert one.connection is not two.connection


def test_exhausted_pool_waits_then_fails_clearly(server: Server, scratch_db: Database) -> None:
    db = Database(server, scratch_db.dbname, maxconn=2, timeout=0.3)
    first, second = db.cursor(), db.cursor()
    start = time.monotonic()
    with pytest.raises(PoolExhausted, match=r"All 2 connections .* stayed in use for 0\.3 s"):
        db.cursor()
    assert time.monotonic() - start >= 0.3
    threading.Timer(0.1, first.close).start()
    with db.cursor() as third:  # waits for the slot freed by the timer
        third.execute("SELECT 1")
    second.close()
    db.close_all()


def test_dead_pooled_connection_is_replaced(server: Server, scratch_db: Database) -> None:
    pid = backend_pid(scratch_db)
    admin = server.connect_raw(scratch_db.dbname, autocommit=True)
    with admin.cursor() as cr:
        cr.execute("SELECT pg_terminate_backend(%s)", (pid,))
    admin.close()
    time.sleep(0.2)
    assert backend_pid(scratch_db) != pid


def test_close_all_with_open_cursor(scratch_db: Database) -> None:
    cr = scratch_db.cursor()
    scratch_db.close_all()
    cr.close()  # its connection was closed under it; giving it back must not fail
    assert backend_pid(scratch_db)


def test_create_list_exists_drop(server: Server, unique_name: Callable[..., str]) -> None:
    name = unique_name()
    assert not server.exists(name)
    db = server.create_database(name)
    assert server.exists(name) and name in server.list_databases()
    assert "postgres" not in server.list_databases()
    with pytest.raises(DatabaseExists, match=name):
        server.create_database(name)
    with db.cursor() as cr:
        cr.execute("SHOW server_encoding")
        assert cr.fetchone() == ("UTF8",)
    other = server.connect_raw(name)  # another session: drop terminates it
    server.drop_database(name)
    assert not server.exists(name)
    with pytest.raises(psycopg2.OperationalError):
        other.cursor().execute("SELECT 1")
    other.close()
    with pytest.raises(UnknownDatabase):
        server.drop_database(name)
    with pytest.raises(UnknownDatabase, match=f"Database '{name}' does not exist"):
        server.database(name).cursor()


def test_create_from_template(server: Server, unique_name: Callable[..., str]) -> None:
    template, copy = unique_name("tpl"), unique_name("copy")
    tpl_db = server.create_database(template)
    try:
        with tpl_db.cursor() as cr:
            cr.execute("CREATE TABLE thing (name text)")
            cr.execute("INSERT INTO thing VALUES ('seed')")
        backend_pid(tpl_db)  # leaves an idle pooled connection to the template
        copy_db = server.create_database(copy, template=template)
        with copy_db.cursor() as cr:
            cr.execute("SELECT name FROM thing")
            assert cr.fetchall() == [("seed",)]
        server.drop_database(copy)
        blocker = server.connect_raw(template)  # not ours to close: a clear error
        try:
            with pytest.raises(DatabaseInUse, match="1 other session"):
                server.create_database(copy, template=template)
        finally:
            blocker.close()
        with pytest.raises(UnknownDatabase, match="Template database 'missing_tpl'"):
            server.create_database(copy, template="missing_tpl")
    finally:
        server.drop_database(template)


def test_listen_notify_delivered_after_commit(server: Server, scratch_db: Database) -> None:
    with server.listen(scratch_db.dbname, ["postroom.test", "other"]) as listener:
        assert listener.wait(0) == []
        with scratch_db.cursor() as cr:
            notify(cr, "postroom.test", "hello")
            notify(cr, "other")
            assert listener.wait(0.2) == []
        assert listener.wait(5) == [("postroom.test", "hello"), ("other", "")]
        with scratch_db.cursor() as cr:
            notify(cr, "postroom.test", "rolled back")
            cr.rollback()
        assert listener.wait(0.2) == []


@pytest.mark.parametrize("name", ["", "a b", "x;drop", "é", "a" * 64, 'q"uote', "db\n"])
def test_invalid_database_names(server: Server, name: str) -> None:
    with pytest.raises(InvalidDatabaseName, match="Invalid database name"):
        server.database(name)
    with pytest.raises(InvalidDatabaseName):
        server.create_database("ok_name", template=name)


def test_dsn_for_keeps_server_and_replaces_database() -> None:
    server = Server.from_dsn("postgresql://mail:secret@db.example:6543/main?sslmode=require")
    assert server.default_dbname == "main"
    dsn = server.dsn_for("other")
    assert "dbname=other" in dsn and "host=db.example" in dsn and "sslmode=require" in dsn
    assert "TimeZone=UTC" in dsn and "application_name=postroom" in dsn
    assert "secret" not in repr(server)


def test_unreachable_server_error_is_clear() -> None:
    server = Server.from_dsn("postgresql://postgres@127.0.0.1:1/postgres", maxconn=1)
    for _ in range(2):  # a failed connection must not keep its pool slot
        with pytest.raises(DatabaseUnavailable) as info:
            server.database("postroom").cursor()
    message = str(info.value)
    assert message.startswith("Cannot reach PostgreSQL at 127.0.0.1:1: ")
    assert "Connection refused" in message and "Check db_url or start the server." in message
    with pytest.raises(DatabaseUnavailable, match=r"127\.0\.0\.1:1"):
        server.list_databases()
