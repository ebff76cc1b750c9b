"""Loopback ports, and the start/stop life cycle every test peer shares."""

from __future__ import annotations

import contextlib
import socket
from types import TracebackType
from typing import Self

LOOPBACK = "127.0.0.1"


def free_ports(count: int = 1) -> list[int]:
    """``count`` distinct loopback TCP ports that were free a moment ago."""
    with contextlib.ExitStack() as stack:
        probes = [stack.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind((LOOPBACK, 0))
        return [probe.getsockname()[1] for probe in probes]


def free_port() -> int:
    """One loopback TCP port that was free a moment ago."""
    return free_ports(1)[0]


class Peer:
    """A server started for tests: ``with Peer(...) as peer:`` starts and stops it."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()
