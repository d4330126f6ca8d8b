"""The application factory: configuration, database, plugins, registries, blueprints."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import flask_smorest
import pluggy
from flask import Blueprint, Flask, current_app
from sqlalchemy.orm import Mapper
from werkzeug.routing import IntegerConverter

from onward.core import auth, events, jobs, migrate  # noqa: F401 -- their tables join the metadata
from onward.core.access import write_security_events
from onward.core.api import init_api
from onward.core.bulk import watch_background_copies
from onward.core.config import disabled_plugins, instance_path, load_config
from onward.core.db import JSON_CODEC, LARGEST_INTEGER, configure_sqlite, db
from onward.core.errors import StartupError
from onward.core.events import dispatch_after_context
from onward.core.jobs import check_schedules
from onward.core.playbooks.definitions import problems
from onward.core.plugins import call_each, get_plugin_manager
from onward.core.registries import Registries, build_registries
from onward.core.views.errors import register_error_handlers
from onward.core.views.navigation import install_template_globals


@dataclass
class OnwardState:
    """What ``create_app`` builds for one application, at ``app.extensions["onward"]``."""

    pm: pluggy.PluginManager
    registries: Registries
    api: flask_smorest.Api
    #: the job backend, made on first use (``onward.core.jobs.backend``)
    job_backend: Any = None


class StoredIntegerConverter(IntegerConverter):
    """``<int:…>`` in routes: a number an id column can hold; a larger one is not found."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", LARGEST_INTEGER)
        super().__init__(url_map, *args, **kwargs)


def create_app(
    config: Mapping[str, Any] | None = None, *, extra_plugins: Iterable[object] = ()
) -> Flask:
    """Build the Onward application.

    Args:
        config: settings that win over the instance file and ``ONWARD_*`` variables.
        extra_plugins: plugin objects to load besides the installed ones (tests).

    Raises:
        StartupError: a plugin or one of its contributions is wrong; the message names it.
    """
    app = Flask(
        "onward", instance_path=instance_path(config), instance_relative_config=True,
        static_folder=None,
    )
    app.url_map.converters["int"] = StoredIntegerConverter
    os.makedirs(app.instance_path, exist_ok=True)
    load_config(app, config)

    pm = get_plugin_manager(disabled_plugins(app.config), extra_plugins)
    registries = build_registries(pm)
    # Runs after flask-sqlalchemy's own teardown (registered later, called earlier), so
    # security events are written once the request's session has let go of the database.
    app.teardown_appcontext(write_security_events)
    app.teardown_appcontext(dispatch_after_context)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**JSON_CODEC,
                                               **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"],
                             app.config["SQLITE_CACHE_MB"])
        else:
            watch_background_copies(db.engine)
    migrate.init_app(app)
    auth.init_app(app)
    api = init_api(app)
    app.extensions["onward"] = OnwardState(pm=pm, registries=registries, api=api)
    _check_definitions(app)

    _register_blueprints(app, pm, api)
    _check_table_names(pm)
    register_error_handlers(app)
    install_template_globals(app)
    return app


def _register_blueprints(app: Flask, pm: pluggy.PluginManager, api: flask_smorest.Api) -> None:
    for plugin, blueprints in call_each(pm, "register_blueprints", app=app):
        for blueprint in blueprints:
            if not isinstance(blueprint, Blueprint):
                raise StartupError(
                    f"plugin {plugin!r} returned {blueprint!r}; expected a Blueprint"
                )
            if isinstance(blueprint, flask_smorest.Blueprint):
                if blueprint.name != f"{plugin}_api":
                    raise StartupError(
                        f"plugin {plugin!r}: API blueprint {blueprint.name!r} must be named "
                        f"{plugin + '_api'!r}"
                    )
                api.register_blueprint(blueprint, url_prefix=f"/api/v1{blueprint.url_prefix or ''}")
            else:
                if blueprint.name != plugin and not blueprint.name.startswith(f"{plugin}_"):
                    raise StartupError(
                        f"plugin {plugin!r}: blueprint {blueprint.name!r} must be named {plugin!r}"
                        f" or start with {plugin + '_'!r}"
                    )
                app.register_blueprint(blueprint)


def _check_definitions(app: Flask) -> None:
    """Plugins' playbooks must be valid and job schedules parse: else start-up stops."""
    registries = app.extensions["onward"].registries
    check_schedules(dict(registries.jobs))
    with app.app_context():
        for key, playbook in registries.playbooks.items():
            owner = registries.playbooks.owners[key]
            if playbook.data.get("key") != key:
                raise StartupError(f"plugin {owner!r}: playbook {key!r} has key "
                                   f"{playbook.data.get('key')!r} in its data")
            found = problems(playbook.data)
            if found:
                raise StartupError(f"plugin {owner!r}: playbook {key!r}: "
                                   f"{found[0].path}: {found[0].message}")


def _check_table_names(pm: pluggy.PluginManager) -> None:
    """Every table a plugin's modules map must be named ``<plugin>_…``."""
    packages = {}
    for name, plugin in pm.list_name_plugin():
        module = getattr(plugin, "__name__", "")
        package = module.rpartition(".")[0] if module.endswith(".plugin") else module
        if name != "core" and package:
            packages[name] = package
    mapper: Mapper
    for mapper in db.Model.registry.mappers:
        module = mapper.class_.__module__
        for name, package in packages.items():
            if module == package or module.startswith(package + "."):
                table = mapper.local_table.name
                if not table.startswith(f"{name}_"):
                    raise StartupError(
                        f"plugin {name!r}: table {table!r} of {mapper.class_.__name__} must be "
                        f"named {name + '_…'!r}"
                    )


def onward_state() -> OnwardState:
    """The current application's Onward state (plugin manager, registries, API)."""
    return current_app.extensions["onward"]
