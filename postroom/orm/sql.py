"""SQL fragments that keep code and parameters apart.

Every query the ORM builds is an :class:`SQL` object: ``code`` holds ``%s``
placeholders and ``params`` the values, so a value can never become SQL text.
Fragments nest: ``SQL("%s AND %s", left, right)`` splices the code and params
of two fragments. Identifiers (tables, columns) come only from the registry and
are checked against a strict pattern before being double-quoted, so they cannot
carry quotes or operators either.

:func:`execute_values` sends many rows in few statements (``VALUES`` lists of a
thousand rows) and :func:`copy_rows` streams them with ``COPY``, counting each
statement in ``cr.sql_count`` like any other.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from psycopg2.extras import Json
from psycopg2.extras import execute_values as _execute_values

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class SQL:
    """A piece of SQL code with its parameters."""

    __slots__ = ("code", "params")

    def __init__(self, code: str = "", *args: Any):
        if not args:
            self.code, self.params = code, ()
            return
        pieces = code.split("%s")
        if len(pieces) != len(args) + 1:
            raise ValueError(f"SQL {code!r} expects {len(pieces) - 1} arguments, got {len(args)}")
        out = [pieces[0]]
        params: list[Any] = []
        for arg, piece in zip(args, pieces[1:]):
            if isinstance(arg, SQL):
                out.append(arg.code)
                params.extend(arg.params)
            else:
                out.append("%s")
                params.append(arg)
            out.append(piece)
        self.code, self.params = "".join(out), tuple(params)

    @classmethod
    def identifier(cls, name: str, column: str | None = None) -> SQL:
        """``"name"`` or ``"name"."column"``, after checking both are plain names."""
        for part in (name, column):
            if part is not None and not _IDENTIFIER.match(part):
                raise ValueError(f"Invalid SQL identifier {part!r}")
        if column is None:
            return cls(f'"{name}"')
        return cls(f'"{name}"."{column}"')

    def join(self, fragments: Iterable[SQL]) -> SQL:
        """Join fragments with this one as separator, like ``str.join``."""
        codes: list[str] = []
        params: list[Any] = []
        for index, item in enumerate(fragments):
            if index:
                codes.append(self.code)
                params.extend(self.params)
            codes.append(item.code)
            params.extend(item.params)
        return SQL.raw("".join(codes), params)

    @classmethod
    def raw(cls, code: str, params: Iterable[Any] = ()) -> SQL:
        """A fragment from code with ``%s`` placeholders and its parameter list."""
        fragment = cls.__new__(cls)
        fragment.code, fragment.params = code, tuple(params)
        return fragment

    def __bool__(self) -> bool:
        return bool(self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SQL) and (self.code, self.params) == (other.code, other.params)

    def __hash__(self) -> int:
        return hash(self.code)

    def __repr__(self) -> str:
        return f"SQL({self.code!r}, {self.params!r})"



#: rows per statement for :func:`execute_values`
VALUES_PAGE = 1000


def execute_values(cr: Any, query: SQL, rows: Sequence[Sequence[Any]],
                   fetch: bool = False) -> list[tuple]:
    """Run ``query``, whose code has one ``VALUES_LIST`` marker, for ``rows``, page by page.

    ``query`` must not have parameters of its own; the marker is replaced by the
    ``VALUES (…), (…)`` rows of each page. With ``fetch``, the rows the
    statements return (``RETURNING``) are collected and returned.
    """
    if query.params:
        raise ValueError("execute_values takes a query without parameters")
    code = query.code.replace("%", "%%").replace("VALUES_LIST", "%s")
    result: list[tuple] = []
    for start in range(0, len(rows), VALUES_PAGE):
        page = rows[start:start + VALUES_PAGE]
        cr.sql_count += 1
        fetched = _execute_values(cr._obj, code, page, page_size=len(page), fetch=fetch)
        if fetch:
            result.extend(fetched)
    return result


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_rows(cr: Any, table: str, names: Sequence[str], columns: Sequence[Sequence[Any]]) -> None:
    """``COPY table (names) FROM STDIN``: ``columns`` holds the values of each column.

    Values are those ``cr.execute`` would take as parameters (None, bool, int,
    float, str, dates, bytes, ``Json``), written in COPY's text format.
    """
    query = SQL("COPY %s (%s) FROM STDIN", SQL.identifier(table),
                SQL(", ").join(SQL.identifier(name) for name in names))
    texts = [_copy_column(values) for values in columns]
    buffer = io.StringIO("".join(line + "\n" for line in map("\t".join, zip(*texts))))
    cr.sql_count += 1
    cr._obj.copy_expert(query.code, buffer)


def _copy_column(values: Sequence[Any]) -> list[str]:
    """The values of one column in COPY's text format (one converter when they share a type)."""
    kinds = {type(value) for value in values} - {type(None)}
    convert = _COPY_BY_TYPE.get(kinds.pop()) if len(kinds) == 1 else None
    if convert is None:
        return [_copy_text(value) for value in values]
    return ["\\N" if value is None else convert(value) for value in values]


def _copy_text(value: Any) -> str:
    """One value in COPY's text format."""
    convert = _COPY_BY_TYPE.get(type(value))
    if convert is not None:
        return convert(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\\\x" + bytes(value).hex()
    if isinstance(value, Json):
        text = value.dumps(value.adapted)
    elif isinstance(value, (datetime.date, datetime.time)):
        text = value.isoformat()
    else:
        text = str(value)
    return text.translate(_COPY_ESCAPES)


_COPY_BY_TYPE = {
    str: lambda value: value.translate(_COPY_ESCAPES),
    int: str,
    float: repr,
    bool: lambda value: "t" if value else "f",
    type(None): lambda value: "\\N",
    datetime.datetime: datetime.datetime.isoformat,
    datetime.date: datetime.date.isoformat,
}
