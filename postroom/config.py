"""Runtime configuration: one plain dataclass, loaded from a file, the environment and overrides.

A :class:`Config` is an ordinary value: build one with :meth:`Config.load` (or the
constructor, in tests) and pass it to whatever needs it. There is no global instance.

Where each option comes from, highest priority first:

1. keyword overrides given to :meth:`Config.load` (the command line; ``None`` means "not given");
2. for ``db_url`` only, the environment variable ``POSTROOM_DB_URL``;
3. the config file, an INI file like ``odoo.conf`` with a single ``[options]`` section::

       [options]
       db_url = postgresql://mail@db.example.com/postroom
       db_name = postroom
       addons_path = addons, ../extra_addons
       data_dir = /var/lib/postroom
       http_port = 8069

4. the dataclass defaults. ``db_url = None`` means "use the embedded PostgreSQL server kept
   in ``data_dir``".

The config file is the ``path`` argument (``-c FILE``), else ``$POSTROOM_CONFIG``, else
``./postroom.conf`` if it exists. Relative paths inside the file (``addons_path``, ``data_dir``)
are resolved against the file's own directory, so a file means the same thing whatever the
current directory is. Unknown sections or keys and malformed values are errors that name the
file and the key: a typo must not be silently ignored.
"""

from __future__ import annotations

import configparser
import dataclasses
import os
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Config", "ConfigError", "default_data_dir"]

SECTION = "options"
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
# Options whose values are file system paths, resolved against the config file's directory.
PATH_OPTIONS = frozenset({"data_dir", "addons_path"})


class ConfigError(ValueError):
    """A config file or an override is invalid; the message says where and why."""


def default_data_dir() -> str:
    """``$XDG_DATA_HOME/postroom``, or ``~/.local/share/postroom`` when that is unset."""
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return str(base / "postroom")


@dataclass
class Config:
    """All runtime options. Field names are the keys of the ``[options]`` section."""

    db_url: str | None = None
    db_name: str = "postroom"
    addons_path: list[str] = field(default_factory=list)
    data_dir: str = field(default_factory=default_data_dir)
    http_interface: str = "127.0.0.1"
    http_port: int = 8069
    workers: int = 0
    cron_workers: int = 1
    log_level: str = "info"
    db_maxconn: int = 32

    @classmethod
    def load(cls, path: str | None = None, **overrides: Any) -> Config:
        """Build a config from the file (see module docstring), the environment and overrides.

        Overrides whose value is ``None`` are ignored, so command-line options that were not
        given can be passed through as they are.
        """
        values: dict[str, Any] = {}
        file_path = _find_config_file(path)
        if file_path is not None:
            values.update(_read_file(file_path))
        env_url = os.environ.get("POSTROOM_DB_URL")
        if env_url:
            values["db_url"] = env_url
        for key, value in overrides.items():
            if key not in _FIELDS:
                raise ConfigError(f"Unknown option {key!r}; known options: {', '.join(_FIELDS)}")
            if value is not None:
                values[key] = _convert(key, value, "the command line", base=None)
        return cls(**values)


# Option name -> its type (int, str, list[str], str | None), resolved from the annotations.
_FIELDS: dict[str, Any] = {
    f.name: typing.get_type_hints(Config)[f.name] for f in dataclasses.fields(Config)
}


def _find_config_file(path: str | None) -> Path | None:
    """The explicit path, else ``$POSTROOM_CONFIG``, else ``./postroom.conf`` if present."""
    explicit = path or os.environ.get("POSTROOM_CONFIG")
    if explicit:
        file_path = Path(explicit).expanduser()
        if not file_path.is_file():
            raise ConfigError(f"Config file {file_path} does not exist")
        return file_path.resolve()
    local = Path("postroom.conf")
    return local.resolve() if local.is_file() else None


def _read_file(file_path: Path) -> dict[str, Any]:
    """Parse and convert the ``[options]`` section of an INI file."""
    parser = configparser.ConfigParser(interpolation=None)  # URLs contain '%'
    try:
        parser.read(file_path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot parse config file {file_path}: {exc}") from exc
    extra = [name for name in parser.sections() if name != SECTION]
    if extra:
        raise ConfigError(f"{file_path}: unknown section [{extra[0]}]; only [{SECTION}] is read")
    if not parser.has_section(SECTION):
        return {}
    values: dict[str, Any] = {}
    where = str(file_path)
    for key, raw in parser.items(SECTION):
        if key not in _FIELDS:
            raise ConfigError(f"{file_path}: unknown option {key!r} in [{SECTION}]")
        values[key] = _convert(key, raw, where, base=file_path.parent)
    return values


def _convert(key: str, value: Any, where: str, base: Path | None) -> Any:
    """Turn a string from a file or the command line into the option's type.

    ``base`` is the directory that relative paths are resolved against (``None``: keep them).
    """
    if not isinstance(value, str):
        return value
    value = value.strip()
    kind = _FIELDS[key]
    if kind is int:
        try:
            return int(value)
        except ValueError:
            message = f"{where}: option {key!r} must be an integer, got {value!r}"
            raise ConfigError(message) from None
    if kind == list[str]:
        items = [item.strip() for item in value.split(",") if item.strip()]
        return [_resolve(item, base) for item in items] if key in PATH_OPTIONS else items
    if key == "log_level":
        if value.lower() not in LOG_LEVELS:
            raise ConfigError(f"{where}: option 'log_level' must be one of {', '.join(LOG_LEVELS)}")
        return value.lower()
    if key in PATH_OPTIONS:
        return _resolve(value, base)
    if kind == str | None:
        return value or None
    return value


def _resolve(path: str, base: Path | None) -> str:
    """Expand ``~`` and make ``path`` absolute relative to ``base`` when one is given."""
    expanded = Path(path).expanduser()
    if base is not None and not expanded.is_absolute():
        expanded = base / expanded
    return str(expanded)
