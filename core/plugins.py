"""The plugin manager: entry points, disabling, dependencies and introspection.

Built-in and third-party plugins load the same way, through the ``onward`` entry-point
group. :func:`get_plugin_manager` builds a fresh manager on every call; nothing is loaded
at import time.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy

from onward.core import defaults, hookspecs
from onward.core.errors import StartupError

ENTRY_POINT_GROUP = "onward"
#: plugins that cannot be disabled
ESSENTIAL = frozenset({"core"})


def plugin_name(plugin: object) -> str:
    """The name of a plugin object given directly (not through an entry point).

    Its ``NAME`` attribute, else derived from its module: ``onward_welcome.plugin`` and
    ``welcome_plugin`` are both ``welcome``.
    """
    name = getattr(plugin, "NAME", None)
    if name:
        return name
    parts = getattr(plugin, "__name__", type(plugin).__name__).split(".")
    base = parts[-2] if parts[-1] == "plugin" and len(parts) > 1 else parts[-1]
    return base.removeprefix("onward_").removesuffix("_plugin")


def get_plugin_manager(
    disabled: Iterable[str] = (), extra: Iterable[object] = ()
) -> pluggy.PluginManager:
    """Build a plugin manager with core, the installed plugins and ``extra`` ones.

    Args:
        disabled: names of plugins to block (``ONWARD_DISABLED_PLUGINS``).
        extra: plugin objects to register besides the installed ones (tests use this);
            each is named by its ``NAME`` attribute or its module name.

    Raises:
        StartupError: an essential plugin is disabled, a hook implementation matches no
            hook specification, or a required plugin is missing or disabled.
    """
    disabled = {name.strip() for name in disabled if name.strip()}
    if disabled & ESSENTIAL:
        raise StartupError(f"plugin {sorted(disabled & ESSENTIAL)[0]!r} cannot be disabled")
    pm = pluggy.PluginManager("onward")
    pm.add_hookspecs(hookspecs)
    pm.register(defaults, name="core")
    for name in disabled:
        pm.set_blocked(name)
    pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in extra:
        name = plugin_name(plugin)
        if not pm.is_blocked(name):
            pm.register(plugin, name=name)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise StartupError(f"plugin {pm.get_name(exc.plugin)!r}: {exc}") from exc
    _check_requirements(pm, disabled)
    if os.environ.get("ONWARD_TRACE_PLUGINS"):
        pm.trace.root.setwriter(print)
        pm.enable_tracing()
    return pm


def _check_requirements(pm: pluggy.PluginManager, disabled: set[str]) -> None:
    for name, plugin in pm.list_name_plugin():
        for required in getattr(plugin, "REQUIRES", ()):
            if required in disabled:
                raise StartupError(
                    f"plugin {name!r} requires plugin {required!r}, which is disabled"
                )
            if not pm.has_plugin(required):
                raise StartupError(
                    f"plugin {name!r} requires plugin {required!r}, which is not installed"
                )


def call_each(
    pm: pluggy.PluginManager, hook_name: str, *, in_load_order: bool = False, **kwargs: Any
) -> list[tuple[str, Any]]:
    """Call one hook, pairing each plugin's name with its result (core first).

    Like ``pm.hook.<name>(**kwargs)``, each implementation gets only the arguments it
    names, but the results keep the name of the plugin that gave them, for error
    messages and registries that say where an item came from. With ``in_load_order``
    each plugin is called after the plugins it requires (:func:`load_order`).
    """
    impls = getattr(pm.hook, hook_name).get_hookimpls()
    if in_load_order:
        rank = {name: index for index, name in enumerate(load_order(pm))}
        impls = sorted(impls, key=lambda impl: rank[impl.plugin_name])
    results = []
    for impl in impls:
        result = impl.function(**{name: kwargs[name] for name in impl.argnames})
        if result is not None:
            results.append((impl.plugin_name, result))
    return results


def load_order(pm: pluggy.PluginManager) -> list[str]:
    """Plugin names with every plugin after the plugins it requires (core first)."""
    plugins = dict(pm.list_name_plugin())
    ordered: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in ordered:
            return
        if name in path:
            raise StartupError(f"plugins require each other in a cycle: {' -> '.join(path)}")
        for required in getattr(plugins[name], "REQUIRES", ()):
            visit(required, (*path, name))
        ordered.append(name)

    visit("core", ())
    for name in sorted(plugins):
        visit(name, ())
    return ordered


@dataclass(frozen=True)
class PluginInfo:
    """What ``onward plugins`` and the plugins admin page show about one plugin."""

    name: str
    version: str
    distribution: str
    module: str
    requires: tuple[str, ...]
    hooks: tuple[str, ...]


def plugin_info(pm: pluggy.PluginManager) -> list[PluginInfo]:
    """Describe every loaded plugin in load order: version, distribution and hooks."""
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    own_version = metadata.version("onward")
    infos = []
    for name in load_order(pm):
        plugin = pm.get_plugin(name)
        dist = dists.get(id(plugin))
        if dist is not None:
            dist_name, version = dist.metadata["Name"], dist.version
        elif name == "core":
            dist_name, version = "onward", own_version
        else:
            dist_name, version = "", getattr(plugin, "__version__", "")
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or ())
        module = plugin.__name__ if isinstance(plugin, ModuleType) else type(plugin).__name__
        infos.append(
            PluginInfo(
                name=name,
                version=version,
                distribution=dist_name,
                module=module,
                requires=tuple(getattr(plugin, "REQUIRES", ())),
                hooks=tuple(hooks),
            )
        )
    return infos
