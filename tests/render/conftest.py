"""Fixtures for the rendering tests: small stand-ins for ORM recordsets.

The sandbox only relies on the recordset protocol (a class attribute
``_postroom_recordset = True`` and a ``_fields`` dict), so these fakes implement just
that, a little read-only API, and the dangerous methods templates must never reach.
Every dangerous method records its call in ``FakeRecordset.calls``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar

import pytest


class FakeRecordset:
    """A recordset of dict rows; fields read from the first row (or False if empty)."""

    _postroom_recordset = True
    _fields: ClassVar[dict[str, Any]] = dict.fromkeys(
        [
            "name",
            "email",
            "partner_id",
            "line_ids",
            "amount_total",
            "currency_id",
            "date_order",
            "state",
            "price",
            "qty",
        ]
    )
    calls: ClassVar[list[str]] = []

    def __init__(self, *rows: dict[str, Any]) -> None:
        self._rows = list(rows)

    def __getattr__(self, name: str) -> Any:
        if name in self._fields:
            return self._rows[0].get(name, False) if self._rows else False
        raise AttributeError(name)

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[FakeRecordset]:
        return (FakeRecordset(row) for row in self._rows)

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, str):
            return getattr(self, key)
        return FakeRecordset(self._rows[key])

    def __str__(self) -> str:
        return f"fake.record{tuple(self.ids)}"

    # the read-only API templates may use
    @property
    def id(self) -> int | bool:
        return self._rows[0].get("id", False) if self._rows else False

    @property
    def ids(self) -> list[int]:
        return [row.get("id", 0) for row in self._rows]

    @property
    def display_name(self) -> str:
        return f"#{self.id} {self.name}"

    def mapped(self, field: str) -> list[Any]:
        return [row.get(field, False) for row in self._rows]

    def filtered(self, field: str) -> FakeRecordset:
        return FakeRecordset(*(row for row in self._rows if row.get(field)))

    def sorted(self, field: str) -> FakeRecordset:
        return FakeRecordset(*sorted(self._rows, key=lambda row: row.get(field)))

    def ensure_one(self) -> FakeRecordset:
        if len(self._rows) != 1:
            raise ValueError(f"Expected singleton: {self}")
        return self

    def exists(self) -> FakeRecordset:
        return self

    # what templates must never reach
    @property
    def env(self) -> str:
        FakeRecordset.calls.append("env")
        return "the environment"

    def _record(self, name: str) -> FakeRecordset:
        FakeRecordset.calls.append(name)
        return self

    def sudo(self, flag: bool = True) -> FakeRecordset:
        return self._record("sudo")

    def with_user(self, user: Any) -> FakeRecordset:
        return self._record("with_user")

    def with_context(self, *args: Any, **kwargs: Any) -> FakeRecordset:
        return self._record("with_context")

    def with_env(self, env: Any) -> FakeRecordset:
        return self._record("with_env")

    def write(self, values: dict[str, Any]) -> FakeRecordset:
        return self._record("write")

    def create(self, values: dict[str, Any]) -> FakeRecordset:
        return self._record("create")

    def unlink(self) -> FakeRecordset:
        return self._record("unlink")

    def copy(self, default: Any = None) -> FakeRecordset:
        return self._record("copy")

    def search(self, domain: Any) -> FakeRecordset:
        return self._record("search")

    def browse(self, ids: Any) -> FakeRecordset:
        return self._record("browse")

    def read(self, fields: Any = None) -> FakeRecordset:
        return self._record("read")

    def message_post(self, **kwargs: Any) -> FakeRecordset:
        return self._record("message_post")

    def action_send(self) -> FakeRecordset:
        return self._record("action_send")


class FakeCurrency:
    """What format_amount reads from a currency record."""

    def __init__(self, name: str, rounding: float | None = None, decimal_places: int | None = None):
        self.name = name
        self.rounding = rounding
        self.decimal_places = decimal_places


@pytest.fixture
def make_currency() -> type[FakeCurrency]:
    """Builds currency records: ``make_currency("CHF", rounding=0.05)``."""
    return FakeCurrency


@pytest.fixture
def order() -> FakeRecordset:
    """A sale order with a partner and three lines."""
    FakeRecordset.calls.clear()
    partner = FakeRecordset({"id": 7, "name": "Ada <Lovelace> & Co", "email": "ada@example.com"})
    lines = FakeRecordset(
        {"id": 11, "name": "Tea", "price": 3.5, "qty": 2},
        {"id": 12, "name": "Cake", "price": 0, "qty": 1},
        {"id": 13, "name": "Jam", "price": 4.25, "qty": 0},
    )
    return FakeRecordset(
        {
            "id": 42,
            "name": "SO042",
            "partner_id": partner,
            "line_ids": lines,
            "amount_total": 1234.5,
            "currency_id": FakeCurrency("EUR", rounding=0.01, decimal_places=2),
            "date_order": datetime(2025, 3, 4, 15, 30),
            "state": "sale",
        }
    )


@pytest.fixture
def no_record_calls() -> Iterator[None]:
    """Fails the test if a template reached a dangerous recordset method."""
    FakeRecordset.calls.clear()
    yield
    assert FakeRecordset.calls == []
