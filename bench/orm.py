"""ORM benchmark: batch create and read of partners, against raw psycopg2.

    python bench/orm.py [--db-url URL] [--records N]

On a scratch database with the base addon installed, it creates N partners
(default 10,000) in one ``create()`` and reads three fields over all of them
with ``read()`` after emptying the cache; then does the same with raw psycopg2
(``execute_values`` INSERT of the same columns, plain SELECT) on the same table.
It prints rows per second for both, the ORM/raw ratios and the number of
queries the ORM issued, checks them against the targets, and drops the database.

The server is ``--db-url``, else ``POSTROOM_DB_URL``, else an embedded
PostgreSQL started in a temporary directory (and removed afterwards).
Each side runs ``--repeat`` times (default 3) and the best time counts.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from psycopg2.extras import execute_values

from postroom.modules.loader import AddonLoader
from postroom.orm.environment import SUPERUSER_ID, Environment
from postroom.orm.registry import Registry
from postroom.service.db import Database, Server

FIELDS = ["name", "email", "phone"]
#: minimum ORM/raw rate ratios, and the most queries the read may cost
TARGETS = {"create": 0.25, "read": 0.40}
MAX_READ_QUERIES = 15


@contextmanager
def server_for(db_url: str | None) -> Iterator[Server]:
    """The server given by URL, or a throw-away embedded one."""
    if db_url:
        server = Server.from_dsn(db_url)
        try:
            yield server
        finally:
            server.close_all()
        return
    with tempfile.TemporaryDirectory(prefix="postroom-bench-") as tmp:
        server = Server.embedded(tmp)
        try:
            yield server
        finally:
            server.close_all()
            if server.cluster is not None:
                server.cluster.destroy()


@contextmanager
def scratch_database(server: Server) -> Iterator[Database]:
    name = f"postroom_bench_{uuid.uuid4().hex[:8]}"
    database = server.create_database(name)
    try:
        yield database
    finally:
        database.close_all()
        Registry.forget(name)
        server.drop_database(name)


def partner_values(count: int, tag: str) -> list[dict[str, Any]]:
    return [{"name": f"Partner {tag} {i}", "email": f"p{i}.{tag}@example.com",
             "phone": f"+32 2 555 {i:05d}"} for i in range(count)]


def best_of(repeat: int, run: Callable[[], tuple[float, int]]) -> tuple[float, int]:
    """The fastest of ``repeat`` runs of ``run`` (which returns seconds and queries)."""
    return min((run() for _ in range(repeat)), key=lambda result: result[0])


def orm_create(registry: Registry, count: int) -> tuple[float, int]:
    with registry.cursor() as cr:
        env = Environment(cr, SUPERUSER_ID, {}, registry=registry)
        values = partner_values(count, uuid.uuid4().hex[:6])
        queries = cr.sql_count
        start = time.perf_counter()
        partners = env["res.partner"].create(values)
        elapsed = time.perf_counter() - start
        queries = cr.sql_count - queries
        cr.execute("SELECT count(*) FROM res_partner WHERE id = ANY(%s) AND name IS NOT NULL "
                   "AND complete_name = name AND commercial_partner_id = id", (partners.ids,))
        assert cr.fetchone()[0] == count, "the ORM stored wrong values"
        cr.rollback()
    return elapsed, queries


def orm_read(registry: Registry, ids: list[int]) -> tuple[float, int]:
    with registry.cursor() as cr:
        env = Environment(cr, SUPERUSER_ID, {}, registry=registry)
        partners = env["res.partner"].browse(ids)
        queries = cr.sql_count
        start = time.perf_counter()
        rows = partners.read(FIELDS)
        elapsed = time.perf_counter() - start
        queries = cr.sql_count - queries
        assert len(rows) == len(ids) and rows[-1]["email"]
    return elapsed, queries


def raw_create(database: Database, count: int) -> tuple[float, int]:
    cnx = database.server.connect_raw(database.dbname)
    try:
        with cnx.cursor() as cr:
            values = partner_values(count, uuid.uuid4().hex[:6])
            rows = [(v["name"], v["email"], v["phone"]) for v in values]
            start = time.perf_counter()
            execute_values(cr, "INSERT INTO res_partner (name, email, phone) VALUES %s "
                               "RETURNING id", rows, page_size=1000, fetch=True)
            elapsed = time.perf_counter() - start
        cnx.rollback()
    finally:
        cnx.close()
    return elapsed, 0


def raw_read(database: Database, ids: list[int]) -> tuple[float, int]:
    cnx = database.server.connect_raw(database.dbname)
    try:
        with cnx.cursor() as cr:
            start = time.perf_counter()
            cr.execute("SELECT id, name, email, phone FROM res_partner WHERE id = ANY(%s)",
                       (ids,))
            rows = [{"id": r[0], "name": r[1], "email": r[2], "phone": r[3]}
                    for r in cr.fetchall()]
            elapsed = time.perf_counter() - start
            assert len(rows) == len(ids)
        cnx.rollback()
    finally:
        cnx.close()
    return elapsed, 0


def run(database: Database, count: int, repeat: int) -> bool:
    """Measure, print the table; True when every target is met."""
    registry = AddonLoader(database).install(["base"])
    with registry.cursor() as cr:  # the records the reads go over, committed
        env = Environment(cr, SUPERUSER_ID, {}, registry=registry)
        ids = env["res.partner"].create(partner_values(count, "read")).ids
    results = {
        "create": (best_of(repeat, lambda: raw_create(database, count)),
                   best_of(repeat, lambda: orm_create(registry, count))),
        "read": (best_of(repeat, lambda: raw_read(database, ids)),
                 best_of(repeat, lambda: orm_read(registry, ids))),
    }
    print(f"{count:,} partners, {', '.join(FIELDS)}; best of {repeat} runs\n")
    print(f"{'operation':<10}{'raw rows/s':>14}{'ORM rows/s':>14}{'ratio':>9}"
          f"{'target':>9}{'ORM queries':>14}")
    ok = True
    for operation, ((raw_time, _), (orm_time, queries)) in results.items():
        ratio = raw_time / orm_time
        ok &= ratio >= TARGETS[operation]
        print(f"{operation:<10}{count / raw_time:>14,.0f}{count / orm_time:>14,.0f}"
              f"{ratio:>9.0%}{TARGETS[operation]:>9.0%}{queries:>14}")
    read_queries = results["read"][1][1]
    ok &= read_queries <= MAX_READ_QUERIES
    print(f"\nread queries: {read_queries} (at most {MAX_READ_QUERIES})")
    print("all targets met" if ok else "TARGETS MISSED")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-url", default=os.environ.get("POSTROOM_DB_URL"),
                        help="PostgreSQL server (default: $POSTROOM_DB_URL, else embedded)")
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with server_for(args.db_url) as server, scratch_database(server) as database:
        return 0 if run(database, args.records, args.repeat) else 1


if __name__ == "__main__":
    sys.exit(main())
