"""The service layer: PostgreSQL servers, databases, pooled cursors and the embedded cluster.

:mod:`postroom.service.db` reaches a server (a DSN or the embedded one) and hands out
transactional cursors; :mod:`postroom.service.embedded` runs the private PostgreSQL used
when no DSN is configured. The names below are the layer's public API.
"""

from postroom.service.db import (
    Callbacks,
    Cursor,
    Database,
    DatabaseExists,
    DatabaseInUse,
    DatabaseUnavailable,
    InvalidDatabaseName,
    Listener,
    PoolExhausted,
    Server,
    ServiceError,
    UnknownDatabase,
    check_dbname,
    notify,
)
from postroom.service.embedded import EmbeddedCluster, EmbeddedError, embedded_server_for_tests

__all__ = [
    "Callbacks", "Cursor", "Database", "DatabaseExists", "DatabaseInUse", "DatabaseUnavailable",
    "EmbeddedCluster", "EmbeddedError", "InvalidDatabaseName", "Listener", "PoolExhausted",
    "Server", "ServiceError", "UnknownDatabase", "check_dbname", "embedded_server_for_tests",
    "notify",
]
