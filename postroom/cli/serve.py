"""``postroom serve``: the web server and the cron workers of one database, together.

With no configuration it serves the database ``postroom`` of the embedded
PostgreSQL, creating it on first run with the product's applications (and the
admin password, shown once). Without ``--workers`` it is one process with
threads, for development; ``--workers N`` runs N HTTP worker processes under
gunicorn. Either way the cron workers run as threads of this process. SIGTERM
(or Ctrl-C) stops gracefully: no new connections, requests and jobs in
progress finish, exit status 0.
"""

from __future__ import annotations

import functools
import signal
import threading
from types import FrameType

import click
from werkzeug.middleware.proxy_fix import ProxyFix

from postroom.cli import database as database_commands
from postroom.cli.context import CliContext, pass_cli
from postroom.config import Config
from postroom.http.app import Application
from postroom.http.server import GunicornServer, ThreadedServer, WSGIApp
from postroom.orm.registry import Registry
from postroom.service.cron import CronWorker
from postroom.service.db import Database, Server


def application(database: Database, addons_path: list[str] | None, *, debug: bool,
                proxy_mode: bool, registry: Registry | None = None) -> WSGIApp:
    """The WSGI application of ``database``, its registry loaded (errors show at start)."""
    app = Application(database, addons_path, debug=debug, registry=registry)
    app.registry()
    # behind a reverse proxy, client address and scheme come from its X-Forwarded-* headers
    return ProxyFix(app, x_for=1, x_proto=1, x_host=1) if proxy_mode else app


def worker_application(config: Config, dbname: str, debug: bool, proxy_mode: bool) -> WSGIApp:
    """The application of a gunicorn worker, with its own connections (built after the fork)."""
    database = Server.from_config(config).database(dbname)
    return application(database, config.addons_path or None, debug=debug, proxy_mode=proxy_mode)


@click.command()
@click.option("-d", "--database", "dbname", help="Database name (default: db_name, 'postroom').")
@click.option("--http-interface", help="Address to listen on (default: http_interface, "
              "127.0.0.1; 0.0.0.0 for every interface).")
@click.option("--http-port", type=click.IntRange(1, 65535),
              help="Port to listen on (default: http_port, 8069).")
@click.option("--workers", type=click.IntRange(min=0), help="HTTP worker processes under "
              "gunicorn (default: workers, 0: one process with threads, for development).")
@click.option("--cron-workers", type=click.IntRange(min=0),
              help="Cron worker threads (default: cron_workers, 1; 0: none).")
@click.option("--demo", is_flag=True, help="Load demo data when creating the database.")
@click.option("--admin-password", help="Password of 'admin' when creating the database "
              "(generated and shown once if omitted).")
@click.option("--proxy-mode", is_flag=True, help="Behind a reverse proxy: take the client's "
              "address and scheme from its X-Forwarded-For/-Proto/-Host headers.")
@pass_cli
def serve(cli: CliContext, dbname: str | None, http_interface: str | None,
          http_port: int | None, workers: int | None, cron_workers: int | None, demo: bool,
          admin_password: str | None, proxy_mode: bool) -> None:
    """Serve the web interface, the external API and the scheduled actions.

    The database is created on first run, with the applications on the addons path.
    """
    config = cli.config
    name = dbname or config.db_name
    host = http_interface or config.http_interface
    port = http_port or config.http_port
    workers = config.workers if workers is None else workers
    cron_workers = config.cron_workers if cron_workers is None else cron_workers
    if not _initialised(cli, name):
        click.echo(f"Database {name!r} is not initialised: creating it (first run).", err=True)
        click.get_current_context().invoke(database_commands.init, dbname=name, demo=demo,
                                           admin_password=admin_password)
    database = cli.server.database(name)
    registry = cli.loader(database).load_registry()

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        click.echo(f"{signal.Signals(signum).name} received: stopping once the requests and "
                   "jobs in progress are done.", err=True)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    if workers:
        cli.server.close_all()  # the workers are forked: no connection may be shared with them
        http: GunicornServer | ThreadedServer = GunicornServer(
            functools.partial(worker_application, config, name, cli.debug, proxy_mode),
            host, port, workers=workers, log_level=config.log_level)
    else:
        http = ThreadedServer(application(database, config.addons_path or None, debug=cli.debug,
                                          proxy_mode=proxy_mode, registry=registry), host, port)
    http.start()
    _announce(host, port, name, "web" in registry.addons, workers)

    crons = [CronWorker(database, lambda: registry, name=f"cron-{number}")
             for number in range(1, cron_workers + 1)]
    threads = [threading.Thread(target=worker.serve_forever, args=(stop,), name=worker.name)
               for worker in crons]
    for thread in threads:
        thread.start()
    while not stop.wait(0.5) and http.alive():
        pass
    crashed = not stop.is_set()
    stop.set()
    status = http.stop()
    for thread in threads:
        thread.join()
    cli.server.close_all()
    if crashed or status:
        raise click.ClickException(f"The HTTP server stopped unexpectedly (status {status}).")


def _initialised(cli: CliContext, dbname: str) -> bool:
    """Whether database ``dbname`` exists with addons installed in it."""
    if not cli.server.exists(dbname):
        return False
    database = cli.server.database(dbname)
    with database.cursor() as cr:
        return bool(cli.loader(database).installed(cr))


def _announce(host: str, port: int, dbname: str, web: bool, workers: int) -> None:
    """Say where the server is and how to log in."""
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else host
    url = f"http://{shown}:{port}"
    mode = f"{workers} worker processes" if workers else "one process (development mode)"
    click.echo(f"Postroom is serving database {dbname!r} at {url}/ with {mode}.")
    if web:
        click.echo(f"Log in at {url}/web/login as 'admin'. Stop with Ctrl-C or SIGTERM.")
    else:
        click.echo(f"Log in through the external API ({url}/jsonrpc) as 'admin'. "
                   "Stop with Ctrl-C or SIGTERM.")
