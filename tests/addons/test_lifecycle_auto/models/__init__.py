from . import lifecycle_item
