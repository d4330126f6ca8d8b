"""A plugin from another distribution loads through the ``onward`` entry points, unchanged.

``tests/support/onward_hello_dist`` is pip-installed into the test environment by the
README's test command (``scripts/test``); nothing here patches the metadata.
"""

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from onward import create_app
from onward.core.plugins import get_plugin_manager, plugin_info

ONWARD = Path(sys.executable).with_name("onward")


@pytest.fixture(autouse=True)
def _installed():
    names = {ep.name for ep in metadata.entry_points(group="onward")}
    assert "hello" in names, "install tests/support/onward_hello_dist (scripts/test does)"


def test_entry_point_plugin_is_loaded_with_its_distribution():
    info = {i.name: i for i in plugin_info(get_plugin_manager())}["hello"]
    assert (info.distribution, info.version) == ("onward-hello", "0.3.0")
    assert info.hooks == ("register_blueprints", "register_commands", "register_navigation")


def test_its_page_and_menu_entry_are_served(client, login_as):
    assert client.get("/hello").data == b"Hello from a third-party plugin"
    login_as()
    assert b"Hello" in client.get("/").data


def test_disabling_it_removes_its_page(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "DISABLED_PLUGINS": "hello"})
    assert app.test_client().get("/hello").status_code == 404


def _onward(*args, **env):
    environment = {**os.environ, "ONWARD_INSTANCE_PATH": "/nonexistent/onward", **env}
    return subprocess.run([str(ONWARD), *args], capture_output=True, text=True, env=environment,
                          timeout=60, check=False)


def test_its_command_is_on_the_command_line():
    result = _onward("hello")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Hello from onward-hello"


def test_disabling_it_removes_its_command():
    result = _onward("hello", ONWARD_DISABLED_PLUGINS="hello")
    assert result.returncode != 0
    assert "No such command 'hello'" in result.stderr
