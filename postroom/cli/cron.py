"""``postroom cron``: run the scheduled actions of a database."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click

from postroom.cli.context import CliContext, pass_cli
from postroom.service.cron import CronWorker


@click.command()
@click.option("-d", "--database", "dbname", help="Database name.")
@click.option("--once", is_flag=True, help="Run the jobs that are due now, then exit.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker threads; each runs one job at a time.")
@click.option("--poll-interval", type=click.FloatRange(min=1), default=60, show_default=True,
              help="Longest sleep between two looks for due jobs, in seconds (triggers wake "
                   "the workers earlier).")
@pass_cli
def cron(cli: CliContext, dbname: str | None, once: bool, workers: int,
         poll_interval: float) -> None:
    """Run scheduled actions (ir.cron): a loop until SIGTERM or Ctrl-C, or once with --once.

    Start as many of these processes, on as many machines, as you like: they share the
    jobs of the database and never run one twice at once.
    """
    database = cli.database(dbname)
    registry = cli.loader(database).load_registry()
    pool = [CronWorker(database, lambda: registry, poll_interval=poll_interval,
                       name=f"cron-{number}") for number in range(1, workers + 1)]
    counts: list[int] = []
    errors: list[Exception] = []
    stop = threading.Event()

    def run(worker: CronWorker) -> None:
        try:
            if once:
                counts.append(worker.run_pending())
            else:
                worker.serve_forever(stop)
        except Exception as exc:
            errors.append(exc)

    if not once:
        def request_stop(signum: int, frame: FrameType | None) -> None:
            click.echo(f"{signal.Signals(signum).name} received: stopping once the running "
                       "jobs are done.", err=True)
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
    threads = [threading.Thread(target=run, args=(worker,), name=worker.name) for worker in pool]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    if once:
        click.echo(f"{sum(counts)} scheduled action(s) run.")
