"""Data files of addons: XML and CSV records with external ids.

The addon loader calls :func:`load_file` for each file its manifest lists
(``data``, then ``demo`` with ``noupdate=True``), passing one
``loaded_xmlids`` set for the whole addon; after an upgrade it calls
:func:`delete_obsolete` with that set to remove what the files no longer
define. External ids live in ``ir.model.data`` (the ``base`` addon).
Problems are reported as :class:`DataError`, whose message names the file,
the line and the record.
"""

from __future__ import annotations

from pathlib import Path

from postroom.data.csv import load_csv
from postroom.data.errors import DataError
from postroom.data.obsolete import delete_obsolete
from postroom.data.xml import load_xml
from postroom.orm.environment import Environment

__all__ = ["DataError", "delete_obsolete", "load_csv", "load_file", "load_xml"]


def load_file(env: Environment, module: str, path: str | Path, mode: str = "init",
              noupdate: bool = False, loaded_xmlids: set[str] | None = None) -> set[str]:
    """Load one data file of ``module`` (by its extension); return ``loaded_xmlids``.

    ``mode`` is ``init`` when the addon is installed, ``update`` when upgraded.
    """
    loaders = {".xml": load_xml, ".csv": load_csv}
    loader = loaders.get(Path(path).suffix.lower())
    if loader is None:
        raise DataError(str(path), None, None, "unsupported data file: use .xml or .csv")
    return loader(env, module, path, mode, noupdate, loaded_xmlids)
