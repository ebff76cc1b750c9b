"""The ``postroom`` command end to end: init, upgrade, uninstall, shell, db list|drop, errors."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from postroom.cli.database import RESTART_HINT

if TYPE_CHECKING:
    from tests.cli.conftest import Postroom

TEST_ADDONS = Path(__file__).resolve().parents[1] / "addons"
PASSWORD_LINE = re.compile(r"Log in as 'admin' with the password: (\S+)  \(shown only once\)")
LOGIN_SCRIPT = "print(env['res.users']._login('admin', {password!r}))\n"


LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ [A-Z]+ ")


def output_lines(result) -> list[str]:
    """The lines of standard error that are not log records (other addons may warn)."""
    return [line for line in result.stderr.splitlines() if not LOG_RECORD.match(line)]


def progress_lines(result) -> list[str]:
    return [line for line in output_lines(result) if line.startswith("[")]


def error_lines(result) -> list[str]:
    """The lines of standard error that are neither progress nor log records."""
    return [line for line in output_lines(result) if not line.startswith("[")]


def states(postroom: Postroom, dbname: str, *names: str) -> dict[str, str]:
    return dict(postroom.query(dbname, "SELECT name, state FROM ir_module_module "
                                       "WHERE name = ANY(%s)", list(names)))


def test_init_installs_addons_and_shows_the_generated_password_once(postroom: Postroom) -> None:
    db = postroom.new_dbname()
    result = postroom("init", "-d", db, "-i", "test_lifecycle",
                      addons_path=postroom.addons_path())
    assert result.returncode == 0, result.stderr
    progress = progress_lines(result)  # auto-install addons on the path may come along
    steps = [line.split("] ", 1)[1] for line in progress]
    assert progress == [f"[{n}/{len(steps)}] {step}" for n, step in enumerate(steps, start=1)]
    assert steps[0] == "installing base"
    assert steps.index("installing test_lifecycle") < steps.index("installing test_lifecycle_auto")
    assert f"Database {db!r} is ready" in result.stdout
    passwords = PASSWORD_LINE.findall(result.stdout)
    assert len(passwords) == 1 and result.stdout.count(passwords[0]) == 1
    assert states(postroom, db, "base", "test_lifecycle", "test_lifecycle_auto") == dict.fromkeys(
        ("base", "test_lifecycle", "test_lifecycle_auto"), "installed")
    login = postroom("shell", "-d", db, input=LOGIN_SCRIPT.format(password=passwords[0]),
                     addons_path=postroom.addons_path())
    assert login.returncode == 0 and login.stdout.strip() == "2", login.stderr


def test_init_with_admin_password_and_options_after_the_command(postroom: Postroom) -> None:
    db = postroom.new_dbname()
    result = postroom("init", "-d", db, "-i", "base", "--admin-password", "correct horse",
                      options_after=True)
    assert result.returncode == 0, result.stderr
    assert "password" not in result.stdout
    login = postroom("shell", "-d", db, input=LOGIN_SCRIPT.format(password="correct horse"))
    assert login.stdout.strip() == "2", login.stderr
    wrong = postroom("shell", "-d", db, input=LOGIN_SCRIPT.format(password="wrong horse"))
    assert wrong.returncode == 1
    assert error_lines(wrong) == [
        "Error: Wrong login or password. (script line 1); nothing was committed"]


def test_a_config_file_gives_the_server_and_addons_path(postroom: Postroom,
                                                       tmp_path: Path) -> None:
    shutil.copytree(TEST_ADDONS / "test_inherit_a", tmp_path / "conf" / "mine" / "test_inherit_a")
    config = tmp_path / "conf" / "postroom.conf"
    config.write_text(f"[options]\ndb_url = {postroom.url}\naddons_path = mine\n")
    db = postroom.new_dbname()
    result = postroom("init", "-c", str(config), "-d", db, "-i", "test_inherit_a", db_url=False)
    assert result.returncode == 0, result.stderr
    assert db in postroom("-c", str(config), "db", "list", db_url=False).stdout.splitlines()
    assert states(postroom, db, "test_inherit_a") == {"test_inherit_a": "installed"}


def test_init_on_an_existing_database_installs_more_addons(postroom: Postroom) -> None:
    db = postroom.new_dbname()
    path = postroom.addons_path()
    assert postroom("init", "-d", db, "-i", "base", addons_path=path).returncode == 0
    again = postroom("init", "-d", db, addons_path=path)
    assert again.returncode == 1
    assert error_lines(again) == [(f"Error: Database {db!r} is already initialised: give -i "
                                   "ADDONS to install more addons, or use 'postroom upgrade'")]
    more = postroom("init", "-d", db, "-i", "test_inherit_b", addons_path=path)
    assert more.returncode == 0, more.stderr
    assert "password" not in more.stdout
    assert states(postroom, db, "test_inherit_a", "test_inherit_b") == {
        "test_inherit_a": "installed", "test_inherit_b": "installed"}


def test_upgrade_runs_the_new_code_and_uninstall_removes_the_addon(postroom: Postroom,
                                                                  tmp_path: Path) -> None:
    scratch = tmp_path / "addons"
    shutil.copytree(TEST_ADDONS / "test_lifecycle", scratch / "test_lifecycle")
    path = postroom.addons_path(scratch)
    db = postroom.new_dbname()
    assert postroom("init", "-d", db, "-i", "test_lifecycle", addons_path=path).returncode == 0
    postroom.query(db, "SELECT 1")  # the database exists
    model = scratch / "test_lifecycle" / "models" / "lifecycle_item.py"
    model.write_text(model.read_text() + "    priority = fields.Integer(default=3)\n")
    manifest = scratch / "test_lifecycle" / "__manifest__.py"
    manifest.write_text(manifest.read_text().replace('"1.0"', '"1.1"'))

    result = postroom("upgrade", "-d", db, "-u", "test_lifecycle", addons_path=path)
    assert result.returncode == 0, result.stderr
    assert progress_lines(result) == ["[1/2] upgrading test_lifecycle",
                                          "[2/2] upgrading test_lifecycle_auto"]
    assert result.stdout.splitlines() == [f"Upgraded test_lifecycle in {db!r}.", RESTART_HINT]
    assert postroom.query(db, "SELECT DISTINCT priority FROM test_lifecycle_item") == [(3,)]
    assert postroom.query(db, "SELECT latest_version FROM ir_module_module "
                              "WHERE name = 'test_lifecycle'") == [("1.1",)]

    everything = postroom("upgrade", "-d", db, "-u", "all", addons_path=path)
    assert everything.returncode == 0, everything.stderr
    assert everything.stdout.startswith("Upgraded base, test_lifecycle, ")
    assert "upgrading test_lifecycle_auto" in everything.stderr

    result = postroom("uninstall", "-d", db, "test_lifecycle", addons_path=path)
    assert result.returncode == 0, result.stderr
    assert progress_lines(result) == ["[1/2] uninstalling test_lifecycle_auto",
                                          "[2/2] uninstalling test_lifecycle"]
    assert states(postroom, db, "test_lifecycle", "test_lifecycle_auto") == dict.fromkeys(
        ("test_lifecycle", "test_lifecycle_auto"), "uninstalled")
    assert postroom.query(db, "SELECT to_regclass('test_lifecycle_item')") == [(None,)]


def test_shell_script_commits_and_a_failing_script_rolls_back(postroom: Postroom) -> None:
    db = postroom.new_dbname()
    assert postroom("init", "-d", db, "-i", "base").returncode == 0
    count = "SELECT count(*) FROM res_partner WHERE name = %s"
    ok = postroom("shell", "-d", db, input="p = env['res.partner'].create({'name': 'Scripted'})\n"
                                           "print(p.name)\n")
    assert (ok.returncode, ok.stdout) == (0, "Scripted\n"), ok.stderr
    assert postroom.query(db, count, "Scripted") == [(1,)]

    script = "env['res.partner'].create({'name': 'Doomed'})\nx = 1\nenv['nope.model']\n"
    failed = postroom("shell", "-d", db, input=script)
    assert failed.returncode == 1
    assert output_lines(failed) == [(
        "Error: KeyError: \"Model 'nope.model' does not exist (is its addon installed?)\" "
        "(script line 3); nothing was committed")]
    assert postroom.query(db, count, "Doomed") == [(0,)]

    debug = postroom("--debug", "shell", "-d", db, input=script)
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr
    assert 'File "<stdin>", line 3' in debug.stderr

    syntax = postroom("shell", "-d", db, input="def broken(:\n")
    assert syntax.returncode == 1
    assert len(error_lines(syntax)) == 1
    assert error_lines(syntax)[0].startswith("Error: SyntaxError in the script: invalid syntax")


def test_db_list_and_drop(postroom: Postroom) -> None:
    db = postroom.new_dbname()
    assert postroom("init", "-d", db, "-i", "base").returncode == 0
    assert db in postroom("db", "list").stdout.splitlines()
    dropped = postroom("db", "drop", db, "--yes")
    assert (dropped.returncode, dropped.stdout) == (0, f"Database {db!r} dropped.\n")
    assert db not in postroom("db", "list").stdout.splitlines()
    again = postroom("db", "drop", db, "--yes")
    assert again.returncode == 1
    assert len(output_lines(again)) == 1
    assert output_lines(again)[0].startswith(f"Error: Database {db!r} does not exist on ")
    refused = postroom("db", "drop", postroom.new_dbname(), input="n\n")
    assert refused.returncode == 1


def test_drop_asks_for_confirmation(postroom: Postroom) -> None:
    db = postroom.new_dbname()
    postroom.server.create_database(db)
    kept = postroom("db", "drop", db, input="n\n")
    assert kept.returncode == 1 and "Aborted" in kept.stderr
    assert postroom.server.exists(db)


def test_errors_are_one_line_and_the_traceback_needs_debug(postroom: Postroom) -> None:
    db = postroom.new_dbname()
    assert postroom("init", "-d", db, "-i", "base").returncode == 0
    result = postroom("upgrade", "-d", db, "-u", "test_inherit_a",
                      addons_path=postroom.addons_path())
    assert result.returncode == 1
    assert output_lines(result) == [
        "Error: Cannot upgrade ['test_inherit_a']: not installed"]
    debug = postroom("upgrade", "-d", db, "-u", "test_inherit_a", "--debug",
                     addons_path=postroom.addons_path())
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr
    assert "ManifestError: Cannot upgrade ['test_inherit_a']: not installed" in debug.stderr

    missing = postroom("shell", "-d", "postroom_cli_nowhere")
    assert missing.returncode == 1
    [line] = output_lines(missing)
    assert line.startswith("Error: Database 'postroom_cli_nowhere' does not exist on ")
    assert line.endswith(": create it with 'postroom init -d postroom_cli_nowhere'")


@pytest.mark.parametrize(("addons", "expected"), [
    ({"bad": "{'depends': ['base', 'ghost']}"},
     "Error: Addon 'bad' ({file}) depends on 'ghost', which is not on the addons path"),
    ({"bad": "{'depends': ['other']}", "other": "{'depends': ['bad']}"},
     "Error: Addon '{cycle_start}' ({cycle_file}) is in a dependency cycle: "),
    ({"bad": "{'name': 'Bad', 'depends': ['base'],"},
     "Error: Addon 'bad': {file} is not a Python dict literal"),
    ({"bad": "{'name': 'Bad', 'dependencies': ['base']}"},
     "Error: Addon 'bad': unknown key 'dependencies' in {file}"),
])
def test_broken_addons_are_refused_naming_the_addon_and_file(
        postroom: Postroom, tmp_path: Path, addons: dict[str, str], expected: str) -> None:
    scratch = tmp_path / "addons"
    for name, manifest in addons.items():
        (scratch / name).mkdir(parents=True)
        (scratch / name / "__manifest__.py").write_text(manifest)
        (scratch / name / "__init__.py").write_text("")
    db = postroom.new_dbname()
    result = postroom("init", "-d", db, "-i", "bad", addons_path=postroom.addons_path(scratch))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    line = error_lines(result)[-1]
    file = scratch / "bad" / "__manifest__.py"
    if "cycle" in expected:  # either addon may be reported first
        start = line.split("'")[1]
        expected = expected.format(cycle_start=start,
                                   cycle_file=scratch / start / "__manifest__.py")
    assert line.startswith(expected.format(file=file)), line
    assert error_lines(result) == [line]
    assert not postroom.server.exists(db)  # a failed init leaves no database behind
