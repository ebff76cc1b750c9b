from . import order
