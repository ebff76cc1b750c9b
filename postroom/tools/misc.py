"""Collections and iteration helpers used across the runtime."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, MutableSet
from itertools import islice
from typing import Any, TypeVar

T = TypeVar("T")


def _(text: str, *args: Any, **kwargs: Any) -> str:
    """Mark a user-facing string; formats ``%s``/``%(name)s`` arguments.

    Postroom ships in English only for now; the marker keeps strings findable
    for a later translation catalogue.
    """
    if args:
        return text % args
    if kwargs:
        return text % kwargs
    return text


class frozendict(dict):
    """An immutable dict, hashable, used for contexts."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("frozendict is immutable")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse  # type: ignore

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset((k, _freeze(v)) for k, v in self.items()))


def _freeze(value: Any) -> Hashable:
    if isinstance(value, dict):
        return frozenset((k, _freeze(v)) for k, v in value.items())
    if isinstance(value, (list, tuple, set)):
        return tuple(_freeze(v) for v in value)
    return value


class OrderedSet(MutableSet):
    """A set that remembers insertion order."""

    __slots__ = ("_map",)

    def __init__(self, elems: Iterable = ()):
        self._map = dict.fromkeys(elems)

    def __contains__(self, elem: object) -> bool:
        return elem in self._map

    def __iter__(self) -> Iterator:
        return iter(self._map)

    def __len__(self) -> int:
        return len(self._map)

    def add(self, elem: Any) -> None:
        self._map[elem] = None

    def discard(self, elem: Any) -> None:
        self._map.pop(elem, None)

    def update(self, elems: Iterable) -> None:
        self._map.update(dict.fromkeys(elems))

    def __repr__(self) -> str:
        return f"OrderedSet({list(self._map)!r})"


def unique(items: Iterable[T]) -> Iterator[T]:
    """Yield items once each, in order."""
    seen: set = set()
    for item in items:
        if item not in seen:
            seen.add(item)
            yield item


def split_every(n: int, iterable: Iterable[T]) -> Iterator[tuple[T, ...]]:
    """Split an iterable into tuples of at most ``n`` items."""
    iterator = iter(iterable)
    while chunk := tuple(islice(iterator, n)):
        yield chunk
