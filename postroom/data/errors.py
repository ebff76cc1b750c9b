"""The one error data files raise, and where in a file it happened.

Every problem in a data file, from malformed XML to a failing ``create``, is a
:class:`DataError` whose message starts with the file and line, then the record
(or element) concerned: ``views/menus.xml:12: record menu_root: <reason>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from postroom.exceptions import UserError


class DataError(Exception):
    """A data file could not be loaded; the message says where and why."""

    def __init__(self, path: str, line: int | None, subject: str | None, reason: str):
        self.path, self.line, self.subject, self.reason = path, line, subject, reason
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {subject}: {reason}" if subject else f"{where}: {reason}")


@dataclass(frozen=True)
class Where:
    """A place in a data file: path, line and the record (``record <id>``) or element."""

    path: str
    line: int | None = None
    subject: str | None = None

    def error(self, reason: str) -> DataError:
        return DataError(self.path, self.line, self.subject, reason)

    def at(self, line: int | None) -> Where:
        """The same subject, at another line."""
        return Where(self.path, line, self.subject)


def describe(exc: Exception) -> str:
    """``exc`` as a reason: its message, with its type when that is not self-explanatory."""
    if isinstance(exc, (UserError, ValueError, LookupError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
