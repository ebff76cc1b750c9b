"""``from postroom import models``: the model base classes addons subclass."""

from postroom.orm.models import AbstractModel, BaseModel, Model, TransientModel

__all__ = ["AbstractModel", "BaseModel", "Model", "TransientModel"]
