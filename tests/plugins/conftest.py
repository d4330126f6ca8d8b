"""The built-in plugins' tests run with the installed plugins, every one on, as a site."""

import pytest


@pytest.fixture
def onward_plugins():
    """Only the installed plugins (no exemplar)."""
    return []


@pytest.fixture
def onward_config():
    """Every installed plugin is on."""
    return {}
