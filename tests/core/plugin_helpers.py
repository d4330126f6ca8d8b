"""Throw-away plugins for tests of the plugin system."""

import types

from onward import hookimpl


def plugin(name, **hooks):
    """A throw-away plugin object named ``name`` with the given hook implementations."""
    module = types.ModuleType(f"test_{name}_plugin")
    module.NAME = name
    for hook, function in hooks.items():
        is_hook = hook.startswith(("register", "on_"))
        setattr(module, hook, hookimpl(function) if is_hook else function)
    return module
