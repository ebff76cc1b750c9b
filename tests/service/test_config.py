"""Config loading: precedence of overrides, environment, file and defaults; file errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from postroom.config import Config, ConfigError
from postroom.service import Server


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ambient config: empty working directory, no POSTROOM_* variables."""
    monkeypatch.chdir(tmp_path)
    for name in ("POSTROOM_DB_URL", "POSTROOM_CONFIG", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)


def write_conf(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    return path


def test_defaults_mean_embedded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = Config.load()
    assert config.db_url is None
    assert config.db_name == "postroom"
    assert config.http_port == 8069 and config.workers == 0 and config.db_maxconn == 32
    assert config.data_dir == str(tmp_path / "home/.local/share/postroom")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert Config.load().data_dir == str(tmp_path / "xdg/postroom")


def test_file_values_and_relative_paths(tmp_path: Path) -> None:
    conf = write_conf(tmp_path / "etc/postroom.conf", """
[options]
db_url = postgresql://file@db/postroom?sslmode=prefer&x=%41
db_name = mail
addons_path = addons, /opt/extra ,
data_dir = ../var
http_port = 9000
log_level = DEBUG
""")
    config = Config.load(str(conf))
    assert config.db_url == "postgresql://file@db/postroom?sslmode=prefer&x=%41"
    assert config.db_name == "mail"
    assert config.addons_path == [str(tmp_path / "etc/addons"), "/opt/extra"]
    assert config.data_dir == str(tmp_path / "etc/../var")
    assert config.http_port == 9000
    assert config.log_level == "debug"


def test_db_url_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    conf = write_conf(tmp_path / "p.conf", "[options]\ndb_url = postgresql://file/x\n")
    assert Config.load().db_url is None
    assert Config.load(str(conf)).db_url == "postgresql://file/x"
    monkeypatch.setenv("POSTROOM_DB_URL", "postgresql://env/x")
    assert Config.load(str(conf)).db_url == "postgresql://env/x"
    assert Config.load(str(conf), db_url="postgresql://cli/x").db_url == "postgresql://cli/x"
    assert Config.load(str(conf), db_url=None).db_url == "postgresql://env/x"


def test_config_file_lookup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write_conf(tmp_path / "postroom.conf", "[options]\nhttp_port = 1\n")
    assert Config.load().http_port == 1
    env_conf = write_conf(tmp_path / "env.conf", "[options]\nhttp_port = 2\n")
    monkeypatch.setenv("POSTROOM_CONFIG", str(env_conf))
    assert Config.load().http_port == 2
    arg_conf = write_conf(tmp_path / "arg.conf", "[options]\nhttp_port = 3\n")
    assert Config.load(str(arg_conf)).http_port == 3
    assert Config.load(str(arg_conf), http_port=4).http_port == 4
    assert Config.load(str(arg_conf), http_port="5").http_port == 5


@pytest.mark.parametrize(("body", "expected"), [
    ("[options]\nhttp_prot = 8069\n", "unknown option 'http_prot'"),
    ("[options]\nhttp_port = eighty\n", "option 'http_port' must be an integer, got 'eighty'"),
    ("[options]\nlog_level = loud\n", "option 'log_level' must be one of"),
    ("[server]\nhttp_port = 1\n", "unknown section [server]"),
    ("http_port = 1\n", "Cannot parse config file"),
])
def test_file_errors_name_file_and_key(tmp_path: Path, body: str, expected: str) -> None:
    conf = write_conf(tmp_path / "bad.conf", body)
    with pytest.raises(ConfigError) as info:
        Config.load(str(conf))
    assert expected in str(info.value)
    assert str(conf) in str(info.value)


def test_missing_file_and_bad_override(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        Config.load(str(tmp_path / "nope.conf"))
    with pytest.raises(ConfigError, match="Unknown option 'smtp_host'"):
        Config.load(smtp_host="x")
    with pytest.raises(ConfigError, match="'workers' must be an integer"):
        Config.load(workers="many")


def test_server_from_config(tmp_path: Path) -> None:
    remote = Server.from_config(Config(db_url="postgresql://postroom@db.example:6543/mail"))
    assert remote.cluster is None
    assert remote.default_dbname == "mail"
    assert remote.where == "db.example:6543"
    local = Server.from_config(Config(data_dir=str(tmp_path / "data")))
    assert local.cluster is not None
    assert local.cluster.pgdata == tmp_path / "data/pgdata"
    assert not (tmp_path / "data/pgdata").exists()  # started on demand only
