"""Small helpers shared by the runtime and the addons."""

from postroom.tools.misc import OrderedSet, frozendict, split_every, unique, _

__all__ = ["OrderedSet", "frozendict", "split_every", "unique", "_"]
