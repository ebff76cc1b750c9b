"""Rendering view architectures as HTML, on the server.

- :mod:`.arch`: which view to show, parsed; who may see a node.
- :mod:`.conditions`: ``invisible``/``readonly``/``required`` expressions, safely evaluated.
- :mod:`.widgets`: one widget per field type (and named variants), to show and edit.
- :mod:`.record`: a record's state on a form, and posted inputs turned into values.
- :mod:`.listview`, :mod:`.formview`, :mod:`.searchview`: the three view types;
  :mod:`.lines` shows one2many fields as editable tables inside forms.
- :mod:`.html`: the small builder every renderer writes HTML with (escaping everything).
"""

from postroom.addons.web.rendering import lines  # noqa: F401 -- registers the one2many widget
