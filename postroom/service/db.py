"""PostgreSQL access: the server, its databases, pooled connections and cursors.

Three objects, from the outside in:

:class:`Server`
    Where PostgreSQL is: a libpq DSN (:meth:`Server.from_dsn`) or the embedded cluster in the
    data directory (:meth:`Server.embedded`, see :mod:`postroom.service.embedded`). It does the
    server-level work (list, create, copy and drop databases; raw connections; LISTEN) through
    the maintenance database ``postgres``, whatever database the DSN names.
:class:`Database`
    One database on that server with its own pool of connections (at most ``maxconn``; a
    caller finding them all busy waits up to ``timeout`` seconds, then gets
    :class:`PoolExhausted`). ``database.cursor()`` checks a connection out.
:class:`Cursor`
    One transaction on one pooled connection. ``with db.cursor() as cr:`` commits when the
    block succeeds, rolls back when it raises, and always gives the connection back.

Transactions run at READ COMMITTED, PostgreSQL's default: each statement sees what was
committed before it started. Code that must not lose a race takes row locks
(``SELECT ... FOR UPDATE [SKIP LOCKED]``) instead of counting on the isolation level.
Sessions run with ``TimeZone=UTC`` and ``client_encoding=UTF8`` unless the DSN says otherwise.

Transaction hooks, for the layers above (ORM, mail queue, bus):

- ``cr.precommit`` / ``cr.postcommit`` / ``cr.prerollback`` / ``cr.postrollback`` are
  :class:`Callbacks`: functions run once at the next commit or rollback, plus a ``data`` dict
  to accumulate state for them (``cr.postcommit.data.setdefault("mail.queue", set())``).
  Whatever the transaction ends with, the other side's callbacks are dropped.
- :meth:`Cursor.commit_then` commits and runs one statement in the next transaction in a
  single round trip (a queue worker commits a mail's outcome and locks the next mail).
- Inside ``with cr.deferring():``, statements run with :meth:`Cursor.execute_deferrable`
  (the ORM's UPDATEs) are held back and sent together with the next statement or the commit,
  in the same round trip. An error in one of them surfaces there, as it does for the
  pending writes Odoo flushes late.
- ``cr.on_flush`` and ``cr.on_savepoint_rollback`` are plain lists of functions that stay
  registered for the cursor's life: the ORM puts "write pending changes" in the first and
  "forget cached values" in the second. :meth:`Cursor.flush` runs ``on_flush``; commit and
  ``cr.savepoint()`` call it; ``on_savepoint_rollback`` runs after every rollback, to a
  savepoint or of the whole transaction.

Connections are checked before reuse: one that has unexpected input waiting (the server
closed it, e.g. after a restart or ``pg_terminate_backend``) is discarded, not handed out.
Pools belong to one process: after a fork, build a new :class:`Server` in the child.

SQL is always parametrized; identifiers go through :mod:`psycopg2.sql`. Database names must
match ``^[A-Za-z0-9_.-]+$`` (63 bytes at most). Failures surface as :class:`ServiceError`
subclasses whose messages say what to do.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import re
import select
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

import psycopg2
import psycopg2.errors
from psycopg2 import sql
from psycopg2.extensions import TRANSACTION_STATUS_IDLE, connection, make_dsn, parse_dsn
from psycopg2.pool import ThreadedConnectionPool

from postroom.service.embedded import EmbeddedCluster, EmbeddedError

if TYPE_CHECKING:
    from postroom.config import Config

__all__ = [
    "Callbacks", "Cursor", "Database", "DatabaseExists", "DatabaseInUse", "DatabaseUnavailable",
    "InvalidDatabaseName", "Listener", "PoolExhausted", "Server", "ServiceError",
    "UnknownDatabase", "check_dbname", "notify",
]

_logger = logging.getLogger(__name__)

MAINTENANCE_DB = "postgres"
SLOW_QUERY_SECONDS = 0.1
CONNECT_TIMEOUT = 10  # seconds, unless the DSN sets connect_timeout
_DBNAME_RE = re.compile(r"[A-Za-z0-9_.-]+")

Query = str | sql.Composable
Params = Sequence[Any] | Mapping[str, Any] | None
T = TypeVar("T")


class ServiceError(Exception):
    """Base class of the service layer's errors."""


class DatabaseUnavailable(ServiceError):
    """PostgreSQL cannot be reached (or the embedded server cannot be started)."""


class PoolExhausted(ServiceError):
    """Every pooled connection of a database stayed busy for the whole wait."""


class InvalidDatabaseName(ServiceError, ValueError):
    """A database name that Postroom refuses to use."""


class UnknownDatabase(ServiceError):
    """The database does not exist on the server."""


class DatabaseExists(ServiceError):
    """A database with that name already exists."""


class DatabaseInUse(ServiceError):
    """Other sessions are connected to a database that must be idle (a template copy)."""


def check_dbname(name: str) -> str:
    """Return ``name`` if it is an acceptable database name, else raise InvalidDatabaseName."""
    if not isinstance(name, str) or not _DBNAME_RE.fullmatch(name) or len(name) > 63:
        raise InvalidDatabaseName(f"Invalid database name {name!r}: use 1 to 63 letters, "
                                  "digits, '_', '.' or '-'")
    return name


def _readable(cnx: connection, timeout: float) -> bool:
    """Whether the connection's socket has input within ``timeout`` seconds."""
    poller = select.poll()
    poller.register(cnx.fileno(), select.POLLIN)
    return bool(poller.poll(max(0, int(timeout * 1000))))


class Callbacks:
    """Functions to run once when a transaction ends, plus shared ``data`` for them.

    Adding the same function twice registers it once. :meth:`run` calls them in the order
    they were added (including any added while running), then clears the list and ``data``;
    if one raises, the rest are dropped and the error propagates.
    """

    def __init__(self) -> None:
        self._funcs: list[Callable[[], None]] = []
        self.data: dict[str, Any] = {}

    def add(self, func: Callable[[], None]) -> None:
        """Register ``func`` unless it already is."""
        if func not in self._funcs:
            self._funcs.append(func)

    def run(self) -> None:
        """Call every registered function, then clear."""
        try:
            while self._funcs:
                self._funcs.pop(0)()
        finally:
            self.clear()

    def clear(self) -> None:
        """Drop the functions and the data without calling anything."""
        self._funcs.clear()
        self.data.clear()


class Cursor:
    """One transaction on a pooled connection; see the module docstring for the hooks."""

    def __init__(self, database: Database, cnx: connection, pool: ThreadedConnectionPool):
        self.database = database
        self._cnx = cnx
        self._pool = pool
        self._obj = cnx.cursor()
        self._closed = False
        self._savepoint_ids = itertools.count(1)
        self.sql_count = 0
        self._deferring = 0
        self._deferred: list[bytes] = []
        self.precommit = Callbacks()
        self.postcommit = Callbacks()
        self.prerollback = Callbacks()
        self.postrollback = Callbacks()
        self.on_flush: list[Callable[[], None]] = []
        self.on_savepoint_rollback: list[Callable[[], None]] = []

    def __repr__(self) -> str:
        return f"<Cursor {self.dbname}{' closed' if self._closed else ''}>"

    # -- state ----------------------------------------------------------------------------

    @property
    def dbname(self) -> str:
        return self.database.dbname

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def connection(self) -> connection:
        """The underlying psycopg2 connection (only while the cursor is open)."""
        self._check_open()
        return self._cnx

    def _check_open(self) -> None:
        if self._closed:
            raise ServiceError(f"Cursor on {self.dbname!r} is closed")

    # -- statements -----------------------------------------------------------------------

    def execute(self, query: Query, params: Params = None) -> None:
        """Run one statement; ``params`` fill its ``%s`` / ``%(name)s`` placeholders."""
        self._check_open()
        self.sql_count += 1
        if self._deferred:  # the held-back statements go first, in the same round trip
            query, params = self._with_deferred(self._obj.mogrify(query, params)), None
        start = time.perf_counter()
        self._obj.execute(query, params)
        elapsed = time.perf_counter() - start
        if elapsed >= SLOW_QUERY_SECONDS and _logger.isEnabledFor(logging.DEBUG):
            _logger.debug("slow query (%.3f s) on %s: %s", elapsed, self.dbname,
                          self._obj.query.decode(errors="replace"))

    def execute_deferrable(self, query: Query, params: Params = None) -> None:
        """Run a statement whose result nobody reads: at once, or inside :meth:`deferring`
        with the next statement or the commit."""
        if not self._deferring:
            self.execute(query, params)
            return
        self._check_open()
        self.sql_count += 1
        self._deferred.append(self._obj.mogrify(query, params))

    @contextlib.contextmanager
    def deferring(self) -> Iterator[None]:
        """Hold back :meth:`execute_deferrable` statements run in the block; what is still
        held back when it ends goes with the next statement or the commit."""
        self._deferring += 1
        try:
            yield
        finally:
            self._deferring -= 1

    def _with_deferred(self, *statements: bytes) -> bytes:
        """The held-back statements, then ``statements``, as one string (emptying the queue)."""
        joined, self._deferred = [*self._deferred, *statements], []
        return b";\n".join(joined)

    def executemany(self, query: Query, params_seq: Iterable[Params]) -> None:
        """Run one statement once per parameter set."""
        self._check_open()
        if self._deferred:
            self._obj.execute(self._with_deferred())
        params_list = list(params_seq)
        self.sql_count += len(params_list)
        self._obj.executemany(query, params_list)

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._obj.fetchone()

    def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        return self._obj.fetchmany(size) if size is not None else self._obj.fetchmany()

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._obj.fetchall()

    def dictfetchone(self) -> dict[str, Any] | None:
        """The next row as a ``{column: value}`` dict, or ``None``."""
        row = self._obj.fetchone()
        return None if row is None else dict(zip(self._columns(), row, strict=True))

    def dictfetchall(self) -> list[dict[str, Any]]:
        """The remaining rows as ``{column: value}`` dicts."""
        columns = self._columns()
        return [dict(zip(columns, row, strict=True)) for row in self._obj.fetchall()]

    def _columns(self) -> list[str]:
        return [column.name for column in self._obj.description or ()]

    @property
    def rowcount(self) -> int:
        return self._obj.rowcount

    @property
    def description(self) -> tuple[Any, ...] | None:
        return self._obj.description

    def mogrify(self, query: Query, params: Params = None) -> str:
        """The statement as it would be sent, parameters inlined (for logs and debugging)."""
        return self._obj.mogrify(query, params).decode(errors="replace")

    # -- transaction ----------------------------------------------------------------------

    def flush(self) -> None:
        """Run the ``on_flush`` hooks (the ORM writes its pending changes)."""
        for func in self.on_flush:
            func()

    def commit(self) -> None:
        """Run precommit callbacks, flush, commit, then run postcommit callbacks."""
        self._check_open()
        self.precommit.run()
        self.flush()
        if self._deferred:
            self._obj.execute(self._with_deferred())
        self._cnx.commit()
        self._after_commit()

    def commit_then(self, query: Query, params: Params = None) -> list[tuple[Any, ...]]:
        """Commit as :meth:`commit` does, then run ``query`` in the next transaction, all in
        one round trip; the rows it returns.

        The postcommit callbacks run after ``query``. The next transaction begins as
        psycopg2 begins them (a plain ``BEGIN``, at the server's default isolation level).
        """
        self._check_open()
        self.precommit.run()
        self.flush()
        self.sql_count += 1
        self._obj.execute(self._with_deferred(b"COMMIT", b"BEGIN", self._obj.mogrify(query, params)))
        rows = self._obj.fetchall()
        self._after_commit()
        return rows

    def _after_commit(self) -> None:
        self.prerollback.clear()
        self.postrollback.clear()
        self.postcommit.run()

    def rollback(self) -> None:
        """Drop commit callbacks, run prerollback, roll back, run postrollback."""
        self._check_open()
        self._deferred.clear()
        self.precommit.clear()
        self.postcommit.clear()
        self.prerollback.run()
        self._cnx.rollback()
        self._after_rollback()
        self.postrollback.run()

    def _after_rollback(self) -> None:
        for func in self.on_savepoint_rollback:
            func()

    @contextlib.contextmanager
    def savepoint(self, flush: bool = True) -> Iterator[None]:
        """Run the block in a savepoint: an error inside it undoes only the block.

        On error: ``ROLLBACK TO SAVEPOINT``, the ``on_savepoint_rollback`` hooks, and the error
        is re-raised; the enclosing transaction stays usable. On success: ``RELEASE``. With
        ``flush``, pending ORM changes are written before the savepoint and before leaving
        it, so they land on the right side of it.
        """
        self._check_open()
        name = sql.Identifier(f"postroom_sp_{next(self._savepoint_ids)}")
        if flush:
            self.flush()
        self.execute(sql.SQL("SAVEPOINT {}").format(name))
        try:
            yield
            if flush:
                self.flush()
        except BaseException:
            self.execute(sql.SQL("ROLLBACK TO SAVEPOINT {}").format(name))
            self._after_rollback()
            raise
        self.execute(sql.SQL("RELEASE SAVEPOINT {}").format(name))

    def close(self) -> None:
        """Roll back what was not committed and give the connection back to the pool."""
        if self._closed:
            return
        try:
            if not self._cnx.closed and (
                    self._cnx.info.transaction_status != TRANSACTION_STATUS_IDLE):
                self.rollback()
        except psycopg2.Error as exc:  # a broken connection: it is discarded below
            _logger.debug("rollback on close failed for %s: %s", self.dbname, exc)
        finally:
            self._closed = True
            self._obj.close()
            self.database._release(self._cnx, self._pool)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if exc_type is None:
                self.commit()
        finally:
            self.close()


class Database:
    """One database on a :class:`Server`, reached through a connection pool."""

    def __init__(self, server: Server, dbname: str, *, maxconn: int = 32,
                 timeout: float = 30.0):
        self.server = server
        self.dbname = check_dbname(dbname)
        self.maxconn = maxconn
        self.timeout = timeout
        self._slots = threading.BoundedSemaphore(maxconn)
        self._lock = threading.Lock()
        self._pool: ThreadedConnectionPool | None = None

    def __repr__(self) -> str:
        return f"<Database {self.dbname} on {self.server.where}>"

    def cursor(self) -> Cursor:
        """A new cursor (transaction) on a pooled connection; close it, or use ``with``."""
        if not self._slots.acquire(timeout=self.timeout):
            raise PoolExhausted(
                f"All {self.maxconn} connections to database {self.dbname!r} stayed in use for "
                f"{self.timeout:g} s. Close cursors when done (use 'with db.cursor() as cr:') "
                "or raise db_maxconn.")
        try:
            pool = self._current_pool()
            return Cursor(self, self._checkout(pool), pool)
        except BaseException:
            self._slots.release()
            raise

    def close_all(self) -> None:
        """Close every connection of the pool, idle or in use; the next cursor reconnects."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None and not pool.closed:
            pool.closeall()

    def _current_pool(self) -> ThreadedConnectionPool:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadedConnectionPool(0, self.maxconn,
                                                    self.server.dsn_for(self.dbname))
                # psycopg2 keeps only `minconn` idle connections and closes the others when
                # they come back; open them lazily (0 above) but keep up to maxconn for reuse.
                self._pool.minconn = self.maxconn
            return self._pool

    def _checkout(self, pool: ThreadedConnectionPool) -> connection:
        """A healthy connection from ``pool``; dead idle ones are discarded on the way."""
        while True:
            cnx = self.server._connecting(self.dbname, pool.getconn)
            if not cnx.closed and not _readable(cnx, 0):
                return cnx
            pool.putconn(cnx, close=True)

    def _release(self, cnx: connection, pool: ThreadedConnectionPool) -> None:
        """Take back a cursor's connection (discarding it if broken or its pool is gone)."""
        try:
            if pool.closed or pool is not self._pool:
                cnx.close()
            else:
                broken = bool(cnx.closed) or (
                    cnx.info.transaction_status != TRANSACTION_STATUS_IDLE)
                pool.putconn(cnx, close=broken)
        finally:
            self._slots.release()


class Listener:
    """Receives NOTIFY messages on its own autocommit connection. Close it when done."""

    def __init__(self, cnx: connection, channels: Iterable[str]):
        self.connection = cnx
        self.channels = tuple(channels)
        with cnx.cursor() as cr:
            for channel in self.channels:
                cr.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))

    def wait(self, timeout: float) -> list[tuple[str, str]]:
        """Notifications received within ``timeout`` seconds, as ``(channel, payload)``.

        Returns as soon as at least one arrived, or ``[]`` when the time is up.
        """
        deadline = time.monotonic() + timeout
        cnx = self.connection
        try:
            while True:
                cnx.poll()
                if cnx.notifies:
                    received = [(n.channel, n.payload) for n in cnx.notifies]
                    cnx.notifies.clear()
                    return received
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not _readable(cnx, remaining):
                    return []
        except psycopg2.OperationalError as exc:
            raise DatabaseUnavailable(f"The LISTEN connection was lost: {exc}".strip()) from exc

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def notify(cr: Cursor, channel: str, payload: str = "") -> None:
    """Send a notification on ``channel``; PostgreSQL delivers it when ``cr`` commits."""
    cr.execute("SELECT pg_notify(%s, %s)", (channel, payload))


class Server:
    """A PostgreSQL server: a DSN, or the embedded cluster when ``cluster`` is given.

    With a cluster, the first connection that fails starts it (and a later failure, after
    someone stopped it, starts it again).
    """

    def __init__(self, dsn: str, *, maxconn: int = 32, pool_timeout: float = 30.0,
                 cluster: EmbeddedCluster | None = None):
        try:
            params = parse_dsn(dsn)
        except psycopg2.ProgrammingError as exc:
            raise ServiceError(f"Invalid database URL: {exc}") from None
        self.default_dbname: str | None = params.get("dbname")
        self.maxconn = maxconn
        self.pool_timeout = pool_timeout
        self.cluster = cluster
        defaults: dict[str, Any] = {"application_name": "postroom", "client_encoding": "UTF8",
                                    "connect_timeout": CONNECT_TIMEOUT}
        defaults = {key: value for key, value in defaults.items() if key not in params}
        if "timezone" not in params.get("options", "").lower():
            defaults["options"] = f"{params.get('options', '')} -c TimeZone=UTC".strip()
        self._params = params
        self._dsn = make_dsn(dsn, **defaults)
        self._databases: dict[str, Database] = {}
        self._lock = threading.Lock()
        #: where file stores live (attachments); None: the default data directory
        self.data_dir: str | None = None

    @classmethod
    def from_dsn(cls, dsn: str, *, maxconn: int = 32, pool_timeout: float = 30.0) -> Server:
        """A server given by a libpq URL (``postgresql://…``) or ``key=value`` string."""
        return cls(dsn, maxconn=maxconn, pool_timeout=pool_timeout)

    @classmethod
    def embedded(cls, data_dir: str | Path, *, maxconn: int = 32,
                 pool_timeout: float = 30.0) -> Server:
        """The embedded cluster in ``<data_dir>/pgdata``, started at first use."""
        cluster = EmbeddedCluster(Path(data_dir) / "pgdata")
        return cls(cluster.dsn(), maxconn=maxconn, pool_timeout=pool_timeout, cluster=cluster)

    @classmethod
    def from_config(cls, config: Config) -> Server:
        """``config.db_url`` if set, else the embedded cluster in ``config.data_dir``."""
        if config.db_url:
            server = cls.from_dsn(config.db_url, maxconn=config.db_maxconn)
        else:
            server = cls.embedded(config.data_dir, maxconn=config.db_maxconn)
        server.data_dir = config.data_dir
        return server

    @property
    def where(self) -> str:
        """Where the server is, for messages (never includes a password)."""
        if self.cluster is not None:
            return f"the embedded server in {self.cluster.pgdata}"
        host = self._params.get("host") or self._params.get("hostaddr") or ""
        port = self._params.get("port", "5432")
        if not host or host.startswith("/"):
            return f"Unix socket {host or '(default directory)'}, port {port}"
        return f"{host}:{port}"

    def __repr__(self) -> str:
        return f"<Server {self.where}>"

    # -- connections ----------------------------------------------------------------------

    def dsn_for(self, dbname: str) -> str:
        """A libpq DSN for ``dbname`` on this server."""
        return make_dsn(self._dsn, dbname=check_dbname(dbname))

    def connect_raw(self, dbname: str, autocommit: bool = False) -> connection:
        """A plain psycopg2 connection, outside any pool (LISTEN, tools); close it yourself."""
        dsn = self.dsn_for(dbname)
        cnx = self._connecting(dbname, lambda: psycopg2.connect(dsn))
        cnx.autocommit = autocommit
        return cnx

    def _connecting(self, dbname: str, connect: Callable[[], T]) -> T:
        """Call ``connect``, starting the embedded cluster if needed, translating failures."""
        cluster = self.cluster
        try:
            return connect()
        except psycopg2.OperationalError as exc:
            if cluster is None:
                raise self._unavailable(dbname, exc) from exc
        try:
            cluster.ensure_running()
            return connect()
        except (psycopg2.OperationalError, EmbeddedError) as exc:
            raise self._unavailable(dbname, exc) from exc

    def _unavailable(self, dbname: str, exc: Exception) -> ServiceError:
        if isinstance(exc, EmbeddedError):
            return DatabaseUnavailable(f"Cannot start {self.where}: {exc}")
        reason = " ".join(str(exc).split())
        if f'database "{dbname}" does not exist' in reason:
            return UnknownDatabase(f"Database {dbname!r} does not exist on {self.where}.")
        if self.cluster is not None:
            return DatabaseUnavailable(f"Cannot reach {self.where}: {reason}.")
        return DatabaseUnavailable(f"Cannot reach PostgreSQL at {self.where}: {reason}. "
                                   "Check db_url or start the server.")

    @contextlib.contextmanager
    def _admin(self) -> Iterator[psycopg2.extensions.cursor]:
        """An autocommit cursor on the maintenance database, for server-level statements."""
        cnx = self.connect_raw(MAINTENANCE_DB, autocommit=True)
        try:
            with cnx.cursor() as cr:
                yield cr
        finally:
            cnx.close()

    def listen(self, dbname: str, channels: Iterable[str]) -> Listener:
        """A :class:`Listener` for ``channels`` in ``dbname``."""
        return Listener(self.connect_raw(dbname, autocommit=True), channels)

    # -- databases ------------------------------------------------------------------------

    def database(self, dbname: str) -> Database:
        """The pooled :class:`Database` for ``dbname`` (one per name and server)."""
        check_dbname(dbname)
        with self._lock:
            if dbname not in self._databases:
                self._databases[dbname] = Database(self, dbname, maxconn=self.maxconn,
                                                   timeout=self.pool_timeout)
            return self._databases[dbname]

    def close_all(self) -> None:
        """Close the pools of every database of this server."""
        with self._lock:
            databases = list(self._databases.values())
        for database in databases:
            database.close_all()

    def list_databases(self) -> list[str]:
        """Names of the databases, except templates and the maintenance database."""
        with self._admin() as cr:
            cr.execute("SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate"
                       " AND datname <> %s ORDER BY datname", (MAINTENANCE_DB,))
            return [name for name, in cr.fetchall()]

    def exists(self, dbname: str) -> bool:
        """Whether database ``dbname`` exists."""
        check_dbname(dbname)
        with self._admin() as cr:
            cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,))
            return cr.fetchone() is not None

    def create_database(self, name: str, template: str | None = None) -> Database:
        """Create ``name`` (UTF-8, empty) or, with ``template``, as a copy of that database.

        Copying needs the template idle: our own pool for it is closed first; if other
        sessions remain connected, :class:`DatabaseInUse` says how many.
        """
        check_dbname(name)
        if template is None:
            query = sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(
                sql.Identifier(name))
        else:
            check_dbname(template)
            with self._lock:
                template_db = self._databases.get(template)
            if template_db is not None:
                template_db.close_all()
            query = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template))
        with self._admin() as cr:
            try:
                cr.execute(query)
            except psycopg2.errors.DuplicateDatabase:
                raise DatabaseExists(f"Database {name!r} already exists on {self.where}.") from None
            except psycopg2.errors.InvalidCatalogName:
                raise UnknownDatabase(f"Template database {template!r} does not exist on "
                                      f"{self.where}.") from None
            except psycopg2.errors.ObjectInUse:
                cr.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (template,))
                (sessions,) = cr.fetchone()
                raise DatabaseInUse(
                    f"Cannot copy database {template!r}: {sessions} other session(s) are "
                    "connected to it, and a template must be idle. Stop the processes using it "
                    "and retry.") from None
        return self.database(name)

    def drop_database(self, name: str) -> None:
        """Drop ``name``: our pool is closed and other sessions are terminated first."""
        check_dbname(name)
        with self._lock:
            database = self._databases.pop(name, None)
        if database is not None:
            database.close_all()
        with self._admin() as cr:
            try:
                # FORCE terminates the other sessions (pg_terminate_backend) atomically.
                cr.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            except psycopg2.errors.InvalidCatalogName:
                message = f"Database {name!r} does not exist on {self.where}."
                raise UnknownDatabase(message) from None
