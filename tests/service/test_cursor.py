"""Cursors: statements, commit/rollback, savepoints and transaction callbacks."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg2
import pytest
from psycopg2 import sql

from postroom.service import Database, ServiceError


@pytest.fixture
def db(scratch_db: Database) -> Iterator[Database]:
    """The scratch database with an empty ``item`` table."""
    with scratch_db.cursor() as cr:
        cr.execute("DROP TABLE IF EXISTS item")
        cr.execute("CREATE TABLE item (id serial PRIMARY KEY, name text UNIQUE NOT NULL)")
    yield scratch_db


def names(db: Database) -> list[str]:
    """Committed item names, read on another connection."""
    cnx = db.server.connect_raw(db.dbname)
    try:
        with cnx.cursor() as cr:
            cr.execute("SELECT name FROM item ORDER BY name")
            return [name for name, in cr.fetchall()]
    finally:
        cnx.close()


def test_statements_and_fetching(db: Database) -> None:
    with db.cursor() as cr:
        cr.executemany("INSERT INTO item (name) VALUES (%s)", [("a",), ("b",), ("c",)])
        assert cr.sql_count == 3
        cr.execute(sql.SQL("SELECT {}, name FROM item ORDER BY name").format(sql.Identifier("id")))
        assert cr.rowcount == 3
        assert [column.name for column in cr.description] == ["id", "name"]
        assert cr.fetchone()[1] == "a"
        assert [row[1] for row in cr.fetchmany(1)] == ["b"]
        assert [row[1] for row in cr.fetchall()] == ["c"]
        cr.execute("SELECT name, 1 AS one FROM item WHERE name = %(name)s", {"name": "b"})
        assert cr.dictfetchone() == {"name": "b", "one": 1}
        assert cr.dictfetchone() is None
        cr.execute("SELECT name FROM item ORDER BY name DESC")
        assert cr.dictfetchall() == [{"name": "c"}, {"name": "b"}, {"name": "a"}]
        assert cr.sql_count == 6
        assert cr.mogrify("SELECT %s, %s", ("it's", 2)) == "SELECT 'it''s', 2"
        assert cr.dbname == db.dbname
        assert isinstance(cr.connection, psycopg2.extensions.connection)
        cr.execute("SELECT current_setting('TimeZone'), current_setting('transaction_isolation')")
        assert cr.fetchone() == ("UTC", "read committed")


def test_commit_rollback_and_close(db: Database) -> None:
    cr = db.cursor()
    cr.execute("INSERT INTO item (name) VALUES ('kept')")
    cr.commit()
    cr.execute("INSERT INTO item (name) VALUES ('undone')")
    cr.rollback()
    cr.execute("INSERT INTO item (name) VALUES ('unclosed')")
    cr.close()
    assert cr.closed
    assert names(db) == ["kept"]
    with pytest.raises(ServiceError, match="closed"):
        cr.execute("SELECT 1")
    with pytest.raises(ServiceError, match="closed"):
        cr.commit()
    cr.close()  # closing twice is harmless


def test_context_manager_commits_or_rolls_back(db: Database) -> None:
    with db.cursor() as cr:
        cr.execute("INSERT INTO item (name) VALUES ('ok')")
    assert cr.closed
    with pytest.raises(LookupError), db.cursor() as cr:
        cr.execute("INSERT INTO item (name) VALUES ('failed')")
        raise LookupError("application error")
    assert cr.closed
    assert names(db) == ["ok"]


def test_postcommit_runs_after_commit_only(db: Database) -> None:
    seen: list[object] = []

    def after_commit() -> None:
        seen.append(names(db))  # another connection already sees the data

    def before_commit() -> None:
        cr.execute("INSERT INTO item (name) VALUES ('from precommit')")
        seen.append("pre")

    with db.cursor() as cr:
        cr.execute("INSERT INTO item (name) VALUES ('x')")
        cr.postcommit.add(after_commit)
        cr.postcommit.add(after_commit)  # registered once
        cr.precommit.add(before_commit)
        cr.postcommit.data.setdefault("mail.queue", set()).add(7)
        assert seen == []
    assert seen == ["pre", ["from precommit", "x"]]
    assert cr.postcommit.data == {}


def test_rollback_clears_commit_callbacks(db: Database) -> None:
    seen: list[str] = []
    with db.cursor() as cr:
        cr.postcommit.add(lambda: seen.append("postcommit"))
        cr.precommit.add(lambda: seen.append("precommit"))
        cr.prerollback.add(lambda: seen.append("prerollback"))
        cr.postrollback.add(lambda: seen.append("postrollback"))
        cr.postcommit.data["x"] = 1
        cr.rollback()
        assert seen == ["prerollback", "postrollback"]
        assert cr.postcommit.data == {}
        cr.postrollback.add(lambda: seen.append("dropped by commit"))
    assert seen == ["prerollback", "postrollback"]


def _sequence_value(db: Database) -> int:
    """The ``tick`` sequence's value, read on another connection (sequences ignore
    transactions: a ``setval`` shows there as soon as the server ran it)."""
    cnx = db.server.connect_raw(db.dbname)
    try:
        with cnx.cursor() as cr:
            cr.execute("SELECT last_value FROM tick")
            return cr.fetchone()[0]
    finally:
        cnx.close()


def test_deferred_statements_go_with_the_next_one(db: Database) -> None:
    with db.cursor() as cr:
        cr.execute("CREATE SEQUENCE tick")
    with db.cursor() as cr:
        cr.execute_deferrable("SELECT setval('tick', 5)")  # not deferring: sent at once
        assert _sequence_value(db) == 5
        with cr.deferring():
            cr.execute_deferrable("SELECT setval('tick', %s)", (7,))
            cr.execute_deferrable("INSERT INTO item (name) VALUES (%s)", ("100%",))
            assert _sequence_value(db) == 5  # held back
            assert cr.sql_count == 3
        assert _sequence_value(db) == 5  # still held back after the block
        cr.execute("SELECT name FROM item")
        assert _sequence_value(db) == 7
        assert cr.fetchall() == [("100%",)]  # the result is the last statement's
        with cr.deferring():
            cr.execute_deferrable("SELECT setval('tick', 9)")
        cr.executemany("INSERT INTO item (name) VALUES (%s)", [("a",), ("b",)])
        assert _sequence_value(db) == 9
        with cr.deferring():
            cr.execute_deferrable("INSERT INTO item (name) VALUES ('c')")
    assert names(db) == ["100%", "a", "b", "c"]  # the commit sent the last one


def test_deferred_statement_error_surfaces_at_the_next_statement(db: Database) -> None:
    with db.cursor() as cr:
        cr.execute("INSERT INTO item (name) VALUES ('taken')")
        cr.commit()
        with cr.deferring():
            cr.execute_deferrable("INSERT INTO item (name) VALUES ('taken')")
        with pytest.raises(psycopg2.errors.UniqueViolation):
            cr.execute("SELECT 1")
        cr.rollback()
        with cr.deferring():
            cr.execute_deferrable("INSERT INTO item (name) VALUES ('dropped')")
        cr.rollback()  # a rollback forgets what was held back
        cr.execute("INSERT INTO item (name) VALUES ('after')")
    assert names(db) == ["after", "taken"]


def test_commit_then_runs_a_statement_in_the_next_transaction(db: Database) -> None:
    seen: list[object] = []
    with db.cursor() as cr:
        cr.execute("INSERT INTO item (name) VALUES ('first')")
        cr.execute("SELECT txid_current()")
        first_transaction = cr.fetchone()[0]
        cr.precommit.add(lambda: seen.append("pre"))
        cr.postcommit.add(lambda: seen.append(names(db)))
        with cr.deferring():
            cr.execute_deferrable("INSERT INTO item (name) VALUES ('second')")
        rows = cr.commit_then("SELECT id, name, txid_current() FROM item WHERE name = %s"
                              " FOR UPDATE", ("first",))
        assert seen == ["pre", ["first", "second"]]  # committed, deferred insert included
        assert [(name, txid > first_transaction) for _id, name, txid in rows] == [
            ("first", True)]
        other = db.server.connect_raw(db.dbname)
        try:
            with other.cursor() as ocr:  # the row lock belongs to the new transaction
                ocr.execute("SELECT id FROM item WHERE name = 'first' FOR UPDATE SKIP LOCKED")
                assert ocr.fetchall() == []
            other.rollback()
            cr.execute("INSERT INTO item (name) VALUES ('rolled back')")
            cr.rollback()  # ends the new transaction like any other
            with other.cursor() as ocr:
                ocr.execute("SELECT id FROM item WHERE name = 'first' FOR UPDATE SKIP LOCKED")
                assert len(ocr.fetchall()) == 1
        finally:
            other.close()
    assert names(db) == ["first", "second"]


def test_savepoint_keeps_transaction_usable_after_integrity_error(db: Database) -> None:
    invalidated: list[int] = []
    flushed: list[int] = []
    with db.cursor() as cr:
        cr.on_savepoint_rollback.append(lambda: invalidated.append(1))
        cr.on_flush.append(lambda: flushed.append(1))
        cr.execute("INSERT INTO item (name) VALUES ('first')")
        with pytest.raises(psycopg2.errors.UniqueViolation), cr.savepoint():
            cr.execute("INSERT INTO item (name) VALUES ('inside')")
            cr.execute("INSERT INTO item (name) VALUES ('first')")
        assert invalidated == [1]
        assert flushed == [1]  # before the savepoint only: the block failed
        cr.execute("INSERT INTO item (name) VALUES ('after')")
        with cr.savepoint(flush=False):
            cr.execute("INSERT INTO item (name) VALUES ('released')")
            with pytest.raises(KeyError), cr.savepoint():
                cr.execute("INSERT INTO item (name) VALUES ('nested')")
                raise KeyError("not a database error")
        assert invalidated == [1, 1]
        assert flushed == [1, 1]  # the nested savepoint flushed on entry
        cr.execute("SELECT count(*) FROM item")
        assert cr.fetchone() == (3,)
        commits_before = len(flushed)
    assert len(flushed) == commits_before + 1  # commit flushes too
    assert names(db) == ["after", "first", "released"]


def test_full_rollback_runs_invalidation_hooks(db: Database) -> None:
    invalidated: list[int] = []
    with db.cursor() as cr:
        cr.on_savepoint_rollback.append(lambda: invalidated.append(1))
        cr.execute("INSERT INTO item (name) VALUES ('gone')")
        cr.rollback()
        assert invalidated == [1]
    assert names(db) == []


def test_precommit_failure_aborts_commit(db: Database) -> None:
    def refuse() -> None:
        raise ValueError("constraint checked at commit")

    with pytest.raises(ValueError), db.cursor() as cr:
        cr.execute("INSERT INTO item (name) VALUES ('refused')")
        cr.precommit.add(refuse)
    assert names(db) == []
