"""``onward db revision``: a plugin author writes a migration into its own lineage."""

import re
from pathlib import Path

import pytest

from onward import Migrations, hookimpl

from .cli_helpers import fails, ok, parse_json


class RevisionPlugin:
    """A plugin whose (empty) migrations folder is the test's own."""

    NAME = "clirev"

    def __init__(self, location: Path):
        self.location = location

    @hookimpl
    def register_migrations(self):
        """The lineage in the test's folder."""
        return Migrations(self.NAME, self.location)


@pytest.fixture
def versions(tmp_path):
    """The plugin's migrations folder."""
    folder = tmp_path / "clirev_versions"
    folder.mkdir()
    return folder


@pytest.fixture
def onward_plugins(versions):
    """Only the revision plugin besides core."""
    return [RevisionPlugin(versions)]


def _revision_ids(folder):
    return {re.match(r"([0-9a-f]+)_", path.name).group(1) for path in folder.glob("*.py")}


def test_revision_then_upgrade_then_current(runner, versions):
    ok(runner.invoke(["db", "revision", "--plugin", "clirev", "-m", "first step"]))
    (first,) = _revision_ids(versions)
    ok(runner.invoke(["db", "revision", "--plugin", "clirev", "-m", "second", "--empty"]))
    (second,) = _revision_ids(versions) - {first}
    assert f"down_revision = '{first}'" in next(versions.glob(f"{second}_*.py")).read_text()

    ok(runner.invoke(["db", "upgrade", "--plugin", "clirev"]))
    heads = {row["lineage"]: row["revision"]
             for row in parse_json(runner.invoke(["db", "current", "--json"]))}
    assert heads["clirev"] == second
    assert heads["core"] is not None


def test_revision_needs_a_known_plugin_and_a_message(runner, versions):
    fails(runner.invoke(["db", "revision", "--plugin", "nosuch", "-m", "x"]), "'nosuch'")
    assert runner.invoke(["db", "revision", "--plugin", "clirev"]).exit_code == 2
    assert not list(versions.iterdir())
