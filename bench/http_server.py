"""HTTP benchmark: Postroom under gunicorn, against a bare Werkzeug "hello" app.

    python bench/http_server.py [--db-url URL] [--requests N] [--connections C]

On a scratch database with the base addon installed and 80 partners, it starts
gunicorn with 2 worker processes (the production server of ``postroom serve
--workers 2``) for Postroom and, in the same run, for a bare Werkzeug app
answering "hello". Client processes then send N requests to each target over
C keep-alive connections (loopback only), after a short warm-up:

- ``hello``: the bare Werkzeug app;
- ``/web/health``: a trivial public route of Postroom (routing, transaction,
  session and security headers, no query);
- ``search_read``: an authenticated JSON-RPC ``execute_kw`` reading 3 fields
  of 80 partners.

It prints requests per second for each, and the ratio of each Postroom target
to the bare app; then it stops the servers and drops the database. The server
is ``--db-url``, else ``POSTROOM_DB_URL``, else an embedded PostgreSQL in a
temporary directory.
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import multiprocessing
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.wrappers import Request, Response

from bench.orm import scratch_database, server_for
from postroom.cli.serve import worker_application
from postroom.config import Config
from postroom.http.server import GunicornServer, WSGIApp
from postroom.modules.loader import AddonLoader
from postroom.orm.environment import SUPERUSER_ID, Environment
from postroom.service.db import Database, Server

WORKERS = 2
RECORDS = 80
PASSWORD = "bench-password"
HOST = "127.0.0.1"


@Request.application
def hello(request: Request) -> Response:
    """The bare Werkzeug application the others are compared with."""
    return Response("hello")


def hello_factory() -> WSGIApp:
    return hello


@dataclass(frozen=True)
class Target:
    """One kind of request, sent again and again."""

    name: str
    port: int
    method: str
    path: str
    body: bytes | None = None

    def check(self, status: int, data: bytes) -> None:
        if status != 200:
            raise RuntimeError(f"{self.name}: HTTP {status}: {data[:200]!r}")


def drive(target: Target, count: int, barrier: multiprocessing.Barrier,
          results: multiprocessing.Queue) -> None:
    """A client: ``count`` requests over one keep-alive connection; reports (start, end)."""
    connection = http.client.HTTPConnection(HOST, target.port, timeout=60)
    connection.connect()
    headers = {"Content-Type": "application/json"} if target.body else {}
    barrier.wait()
    start = time.monotonic()
    for _ in range(count):
        connection.request(target.method, target.path, target.body, headers)
        response = connection.getresponse()
        target.check(response.status, response.read())
    results.put((start, time.monotonic()))
    connection.close()


def requests_per_second(target: Target, requests: int, connections: int) -> float:
    """Rate of ``requests`` sent by ``connections`` client processes at once."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(connections)
    results = context.Queue()
    per_client = requests // connections
    clients = [context.Process(target=drive, args=(target, per_client, barrier, results))
               for _ in range(connections)]
    for client in clients:
        client.start()
    spans = [results.get(timeout=600) for _ in clients]
    for client in clients:
        client.join()
        if client.exitcode:
            raise RuntimeError(f"a client of {target.name} failed")
    elapsed = max(end for _, end in spans) - min(start for start, _ in spans)
    return per_client * connections / elapsed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(factory: Callable[[], WSGIApp]) -> Iterator[int]:
    """A gunicorn server of ``WORKERS`` workers for the app ``factory`` builds; its port."""
    port = free_port()
    server = GunicornServer(factory, HOST, port, workers=WORKERS, log_level="warning")
    server.start()
    try:
        yield port
    finally:
        server.stop()


def prepare(database: Database) -> None:
    """Install base, set the admin password and create the partners to read."""
    registry = AddonLoader(database).install(["base"])
    with registry.cursor() as cr:
        env = Environment(cr, SUPERUSER_ID, {}, registry=registry)
        env.ref("base.user_admin")._set_password(PASSWORD)
        env["res.partner"].create([{"name": f"Bench {i}", "email": f"p{i}@bench.example",
                                    "phone": f"+32 2 555 {i:05d}"} for i in range(RECORDS)])


def search_read_body(dbname: str) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
        "service": "object", "method": "execute_kw",
        "args": [dbname, 2, PASSWORD, "res.partner", "search_read",
                 [[["email", "=like", "%@bench.example"]]],
                 {"fields": ["name", "email", "phone"]}]}}).encode()


def run(server: Server, database: Database, requests: int, connections: int) -> None:
    prepare(database)
    server.close_all()  # gunicorn forks: its workers open connections of their own
    config = Config(db_url=server.dsn_for(database.dbname))
    postroom = functools.partial(worker_application, config, database.dbname, False, False)
    with gunicorn(hello_factory) as hello_port, gunicorn(postroom) as postroom_port:
        targets = [
            Target("werkzeug hello", hello_port, "GET", "/"),
            Target("postroom /web/health", postroom_port, "GET", "/web/health"),
            Target(f"postroom JSON-RPC search_read ({RECORDS} records)", postroom_port,
                   "POST", "/jsonrpc", search_read_body(database.dbname)),
        ]
        check = http.client.HTTPConnection(HOST, postroom_port, timeout=60)
        check.request("POST", "/jsonrpc", targets[2].body, {"Content-Type": "application/json"})
        rows = json.loads(check.getresponse().read())["result"]
        check.close()
        if len(rows) != RECORDS:
            raise RuntimeError(f"search_read returned {len(rows)} records, not {RECORDS}")
        rates = {}
        for target in targets:
            requests_per_second(target, max(connections, requests // 10), connections)  # warm-up
            rates[target.name] = requests_per_second(target, requests, connections)
    base = rates[targets[0].name]
    print(f"gunicorn, {WORKERS} workers (gthread); {requests} requests per target over "
          f"{connections} keep-alive connections; {os.cpu_count()} CPUs\n")
    print(f"{'target':<48}{'req/s':>10}{'vs hello':>10}")
    for name, rate in rates.items():
        print(f"{name:<48}{rate:>10,.0f}{rate / base:>10.1%}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-url", default=os.environ.get("POSTROOM_DB_URL"),
                        help="PostgreSQL server (default: $POSTROOM_DB_URL, else embedded)")
    parser.add_argument("--requests", type=int, default=2000,
                        help="requests per target (default: 2000)")
    parser.add_argument("--connections", type=int, default=4,
                        help="concurrent keep-alive connections (default: 4)")
    args = parser.parse_args(argv)
    with server_for(args.db_url) as server, scratch_database(server) as database:
        run(server, database, args.requests, args.connections)
    return 0


if __name__ == "__main__":
    sys.exit(main())
