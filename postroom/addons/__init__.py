"""The namespace addons are imported under: ``postroom.addons.<name>``.

:func:`postroom.modules.manifest.set_addons_path` appends every directory of
the addons path to this package's ``__path__``, so an addon living anywhere on
the path imports as ``postroom.addons.<name>``, as Odoo's ``odoo.addons``.
"""
