"""How model classes written in addons are recorded for the registry.

Writing ``class Partner(models.Model): _inherit = 'res.partner'`` in an addon
does not change any class: :class:`MetaModel` only files the class under its
addon. Each database's registry later composes, from the classes of the addons
installed there, one class per model (see :mod:`postroom.orm.registry`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

ADDONS_PACKAGE = "postroom.addons"


class MetaModel(type):
    """Files every model class under the addon that defines it."""

    #: {addon name: [model classes in definition order]}
    module_to_models: dict[str, list[type]] = defaultdict(list)

    def __init__(cls, name: str, bases: tuple, attrs: dict[str, Any]):
        super().__init__(name, bases, attrs)
        if not attrs.get("_register", True):
            return
        inherit = attrs.get("_inherit")
        if isinstance(inherit, str):
            inherit = [inherit]
        cls._inherit = list(inherit or [])
        model_name = attrs.get("_name") or (cls._inherit[0] if cls._inherit else None)
        if not model_name:
            raise TypeError(f"Model class {cls.__module__}.{name} needs _name or _inherit")
        cls._name = model_name
        cls._module = attrs.get("_module") or addon_of(cls.__module__, name)
        MetaModel.module_to_models[cls._module].append(cls)

    @property
    def _parents(cls) -> list[str]:
        """The models this definition inherits from, other than its own."""
        return [p for p in cls._inherit if p != cls._name]


def addon_of(module: str, class_name: str) -> str:
    """The addon name in ``postroom.addons.<addon>.models.x``."""
    prefix = ADDONS_PACKAGE + "."
    if not module.startswith(prefix):
        raise TypeError(f"Model class {module}.{class_name} is not inside an addon: addons are "
                        f"imported as {ADDONS_PACKAGE}.<name>; set _module to say which addon owns it")
    return module[len(prefix):].split(".")[0]
