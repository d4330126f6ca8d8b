"""The ``onward`` root group, ``plugins`` and ``db``: help without a database, JSON lists."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .cli_helpers import fails, ok, parse_json

ONWARD = str(Path(sys.executable).with_name("onward"))
UNREACHABLE_DATABASE = "postgresql://nobody@127.0.0.1:9/nowhere"
EXEMPLAR_MIGRATIONS = Path(__file__).parents[1] / "support" / "exemplar_migrations"


@pytest.fixture
def without_database(tmp_path):
    """Run the installed ``onward`` script with a database that cannot be reached."""

    def run(*args):
        env = {**os.environ, "ONWARD_DATABASE_URL": UNREACHABLE_DATABASE,
               "ONWARD_INSTANCE_PATH": str(tmp_path / "instance")}
        return subprocess.run([ONWARD, *args], capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=120, check=False)

    return run


def test_help_needs_no_database(without_database):
    result = without_database("--help")
    assert result.returncode == 0, result.stderr
    for command in ("db", "demo", "serve", "users", "tokens", "roles", "accounts", "domains",
                    "plugins"):
        assert f" {command} " in result.stdout


def test_plugins_needs_no_database(without_database):
    result = without_database("plugins", "--json")
    assert result.returncode == 0, result.stderr
    core = next(plugin for plugin in json.loads(result.stdout) if plugin["name"] == "core")
    assert core["distribution"] == "onward"
    assert "register_commands" in core["hooks"]


def test_group_help_lists_subcommands(runner):
    output = ok(runner.invoke(["users", "--help"]))
    for command in ("create", "list", "set-roles", "set-password", "deactivate", "reactivate"):
        assert command in output


def test_plugins_lists_each_plugin_with_its_hooks(runner):
    plugins = parse_json(runner.invoke(["plugins", "--json"]))
    assert plugins[0]["name"] == "core"
    exemplar = next(plugin for plugin in plugins if plugin["name"] == "exemplar")
    assert exemplar["version"] == "1.2.3"
    assert {"register_demo_data", "register_commands", "on_event"} <= set(exemplar["hooks"])
    table = ok(runner.invoke(["plugins"]))
    assert "exemplar" in table
    assert "1.2.3" in table


def test_db_upgrade_is_repeatable(runner):
    assert "up to date (core, exemplar)" in ok(runner.invoke(["db", "upgrade"]))
    assert "Database ready" in ok(runner.invoke(["db", "init"]))


def test_db_upgrade_of_an_unknown_plugin_names_it(runner):
    fails(runner.invoke(["db", "upgrade", "--plugin", "nosuch"]), "'nosuch'")


def test_db_current_shows_each_lineage(runner):
    heads = parse_json(runner.invoke(["db", "current", "--json"]))
    assert [row["lineage"] for row in heads] == ["core", "exemplar"]
    revision = heads[1]["revision"]
    assert any(path.name.startswith(f"{revision}_") for path in EXEMPLAR_MIGRATIONS.iterdir())
    assert revision in ok(runner.invoke(["db", "current"]))


def test_onward_errors_become_one_line(runner):
    fails(runner.invoke(["users", "deactivate", "nobody@example.com"]),
          "No user with email 'nobody@example.com'.")
