"""Onward installs as one import package, ``onward``, and the tests use exactly that copy."""

import importlib.util
import json
from importlib import metadata, resources
from pathlib import Path

import pytest

import onward


@pytest.mark.parametrize("generic", ["core", "plugins", "cli"])
def test_no_generic_top_level_names_are_claimed(generic):
    assert importlib.util.find_spec(generic) is None


def test_tests_import_the_installed_copy():
    dist = metadata.distribution("onward")
    direct_url = json.loads(dist.read_text("direct_url.json") or "{}")
    package_dir = Path(onward.__file__).resolve().parent
    if direct_url.get("dir_info", {}).get("editable"):
        # An editable install maps ``onward`` onto the source tree it was made from.
        source = Path(direct_url["url"].removeprefix("file://")).resolve()
        assert package_dir == source
    else:
        installed = Path(dist.locate_file("onward/__init__.py")).resolve().parent
        assert package_dir == installed


@pytest.mark.parametrize("data_file", [
    "templates/core/base.html",
    "static/core/onward.css",
    "static/core/onward.js",
    "data/common-passwords.txt",
    "migrations/alembic.ini",
    "migrations/script.py.mako",
    "migrations/env.py",
])
def test_data_files_are_installed(data_file):
    assert resources.files("onward.core").joinpath(data_file).is_file()


def test_core_migrations_are_installed():
    versions = resources.files("onward.core").joinpath("migrations/versions")
    assert any(entry.name.endswith(".py") and entry.name != "__init__.py"
               for entry in versions.iterdir())


def test_metadata_licence_script_and_pytest_plugin():
    dist = metadata.distribution("onward")
    assert dist.metadata["License-Expression"] == "Apache-2.0"
    scripts = {ep.name: ep.value for ep in dist.entry_points.select(group="console_scripts")}
    assert scripts["onward"] == "onward.cli:cli"
    pytest_plugins = {ep.value for ep in dist.entry_points.select(group="pytest11")}
    assert pytest_plugins == {"onward.core.testing"}


def test_public_api_is_importable_from_onward():
    from onward import hookimpl, scoped

    assert callable(scoped) and hookimpl.project_name == "onward"
    assert set(onward.__all__) <= set(dir(onward))
