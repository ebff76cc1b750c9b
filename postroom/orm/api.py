"""Method decorators that addon code uses, as in Odoo.

The decorators only *tag* functions; the registry reads the tags when it
composes model classes (``_depends`` and ``_depends_context`` for computed
fields, ``_constrains`` for validation, ``_ondelete`` for unlink checks).
``model_create_multi`` is the one decorator that wraps: it lets ``create``
accept a single dict or a list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import wraps
from typing import Any, TypeVar

from postroom.orm.environment import Environment

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["Environment", "constrains", "depends", "depends_context", "model",
           "model_create_multi", "onchange", "ondelete", "returns"]


def depends(*fields: str | Callable[[Any], Iterable[str]]) -> Callable[[F], F]:
    """Declare the fields (dotted paths allowed) a compute method reads.

    A single callable instead of names is called with the model class when the
    registry is set up, and returns the names (dependencies that vary by model).
    """
    def decorate(method: F) -> F:
        method._depends = fields  # type: ignore[attr-defined]
        return method
    return decorate


def depends_context(*keys: str) -> Callable[[F], F]:
    """Declare the context keys a non-stored computed field's value depends on.

    The value is then cached per value of those keys: read under
    ``with_context(lang='fr_FR')`` it is computed (and kept) apart from the
    English one. Besides plain context keys, ``uid`` (the user), ``company``,
    ``companies`` (the current and allowed companies) and ``active_test`` are
    understood. A stored field refuses it when the registry is built.
    """
    def decorate(method: F) -> F:
        method._depends_context = keys  # type: ignore[attr-defined]
        return method
    return decorate


def constrains(*fields: str) -> Callable[[F], F]:
    """Run the method after create/write when one of ``fields`` changed."""
    def decorate(method: F) -> F:
        method._constrains = fields  # type: ignore[attr-defined]
        return method
    return decorate


def onchange(*fields: str) -> Callable[[F], F]:
    """Tag a form helper run when ``fields`` change in the backend form."""
    def decorate(method: F) -> F:
        method._onchange = fields  # type: ignore[attr-defined]
        return method
    return decorate


def ondelete(*, at_uninstall: bool) -> Callable[[F], F]:
    """Run the method before unlink; it raises to forbid the deletion.

    With ``at_uninstall=False`` the check is skipped while the addon that owns
    the records is being uninstalled.
    """
    def decorate(method: F) -> F:
        method._ondelete = at_uninstall  # type: ignore[attr-defined]
        return method
    return decorate


def model(method: F) -> F:
    """The method works on the model, not on particular records."""
    method._api_model = True  # type: ignore[attr-defined]
    return method


def model_create_multi(method: F) -> F:
    """``create(vals)`` or ``create([vals, ...])``; the method always sees a list."""
    @wraps(method)
    def create(self: Any, vals_list: Any) -> Any:
        if isinstance(vals_list, Mapping):
            vals_list = [vals_list]
        return method(self, list(vals_list))
    create._api_model = True  # type: ignore[attr-defined]
    return create  # type: ignore[return-value]


def returns(model_name: str) -> Callable[[F], F]:
    """Document the model a method returns (kept for API parity; no effect)."""
    def decorate(method: F) -> F:
        return method
    return decorate
