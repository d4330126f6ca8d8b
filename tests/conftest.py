"""Project-wide test setup: every test app also loads the exemplar plugin."""

import exemplar_plugin
import pytest


@pytest.fixture
def onward_plugins():
    """Load the exemplar plugin, which implements every hook."""
    return [exemplar_plugin]


@pytest.fixture
def onward_config():
    """Core's tests run core with the exemplar: the built-in features are tested apart."""
    return {"DISABLED_PLUGINS": "onboarding,dataimport"}


@pytest.fixture
def exemplar():
    """The exemplar plugin module (its models, and the events it received)."""
    exemplar_plugin.received_events.clear()
    return exemplar_plugin
