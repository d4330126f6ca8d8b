"""Browser tests of the built-in plugins: the installed plugins, every one on."""

import pytest


@pytest.fixture
def onward_plugins():
    """Only the installed plugins, as a site runs them."""
    return []


@pytest.fixture
def onward_config():
    """Every plugin on; new accounts get no automatic case (the tests open their own)."""
    return {"ONBOARDING_AUTO_CASE": False}
