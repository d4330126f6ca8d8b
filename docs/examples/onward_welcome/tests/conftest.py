"""Load the plugin into every test app (Onward's pytest plugin provides the rest)."""

import pytest
from onward_welcome import plugin


@pytest.fixture
def onward_plugins():
    """The plugin under test."""
    return [plugin]
