"""Every hook an Onward plugin can implement.

Core calls each ``register_*`` hook once per application, checks what comes back, and
freezes the result into registries (``app.extensions["onward"]``); no hook is called per
request except ``on_event``. Hooks are called with keyword arguments, and an
implementation may accept any subset of them, so arguments can be added later without
breaking a plugin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    from flask import Blueprint, Flask

    from onward.core.events import Event
    from onward.core.registries import (
        AccessRule,
        ActivityDefinition,
        CaseType,
        ImportTarget,
        Job,
        Migrations,
        NavItem,
        PlaybookDefinition,
        RoleDefinition,
        Rule,
        Scorecard,
        SuccessPlay,
        Validator,
    )

__all__ = [
    "hookimpl",
    "hookspec",
    "on_event",
    "register_access_rules",
    "register_activity_definitions",
    "register_blueprints",
    "register_case_types",
    "register_commands",
    "register_demo_data",
    "register_import_targets",
    "register_jobs",
    "register_migrations",
    "register_navigation",
    "register_playbooks",
    "register_roles",
    "register_rules",
    "register_scorecards",
    "register_success_plays",
    "register_validators",
]

hookspec = pluggy.HookspecMarker("onward")
hookimpl = pluggy.HookimplMarker("onward")


# --- app creation -----------------------------------------------------------------------


@hookspec
def register_blueprints(app: Flask) -> list[Blueprint]:
    """Contribute the plugin's Flask blueprints: its web UI and its JSON API.

    Called once by ``create_app``, after the database and the API are set up.

    Args:
        app: the application being created.

    Returns:
        Blueprints. A UI blueprint is named after the plugin (``onboarding``); an API
        blueprint is a ``flask_smorest.Blueprint`` named ``<plugin>_api`` and is mounted
        under ``/api/v1``. Any other name stops start-up with an error naming the plugin.
        ``None`` contributes nothing.
    """


@hookspec
def register_roles() -> list[RoleDefinition]:
    """Declare the plugin's roles, the roles they contain and their table rights.

    Called once by ``create_app``; ``onward db upgrade`` writes the declarations to the
    role tables, where admins see them (and may add roles of their own).

    Returns:
        Role definitions. A role name must be unique across plugins; a duplicate stops
        start-up with an error naming the role. ``None`` contributes nothing.
    """


@hookspec
def register_access_rules() -> list[AccessRule]:
    """Narrow what roles see: record rules (which rows) and field rules (which columns).

    Called once by ``create_app``. Record rules narrow the rows a role reads in a table
    (``RecordRule``: a customer sees only cases whose contact it is); field rules list
    the fields customer users may read of a model (``FieldRule``). Core applies both in
    its one access helper, for the UI and the API alike.

    Returns:
        Access rules. ``None`` contributes nothing.
    """


@hookspec
def register_navigation() -> list[NavItem]:
    """Contribute entries to the web UI's navigation.

    Called once by ``create_app``. Entries are grouped by section and sorted by order;
    an entry that names a table right is shown only to users who hold it.

    Returns:
        Navigation items. ``None`` contributes nothing.
    """


@hookspec
def register_case_types() -> list[CaseType]:
    """Contribute case types: number prefix, states and state-to-stage maps.

    Called once by ``create_app``.

    Returns:
        Case types. Each ``key`` and ``prefix`` must be unique across plugins; a
        duplicate stops start-up with an error naming it. ``None`` contributes nothing.
    """


@hookspec
def register_activity_definitions() -> list[ActivityDefinition]:
    """Contribute activity definitions to the playbook engine.

    Called once by ``create_app``, after all plugins are registered.

    Returns:
        Activity definitions. Each ``key`` must be unique across plugins; a duplicate
        stops start-up with an error naming the key. ``None`` contributes nothing.
    """


@hookspec
def register_playbooks() -> list[PlaybookDefinition]:
    """Contribute playbook definitions (data, validated against core's JSON Schema).

    Called once by ``create_app``; ``onward playbooks load`` stores them.

    Returns:
        Playbook definitions. Each ``key`` must be unique across plugins. ``None``
        contributes nothing.
    """


@hookspec
def register_validators() -> list[Validator]:
    """Contribute validators: field-level validator kinds and record-level rules.

    Called once by ``create_app``.

    Returns:
        Validators. Each ``key`` must be unique across plugins. ``None`` contributes
        nothing.
    """


@hookspec
def register_import_targets() -> list[ImportTarget]:
    """Contribute import targets: the model, its importable fields, natural key and account.

    ``describe_fields`` builds the :class:`ImportField` s from the model's columns.

    Called once by ``create_app``.

    Returns:
        Import targets. Each ``key`` must be unique across plugins. ``None`` contributes
        nothing.
    """


@hookspec
def register_success_plays() -> list[SuccessPlay]:
    """Contribute success-play subflows: key, category, input schema and the callable.

    Called once by ``create_app``.

    Returns:
        Success plays. Each ``key`` must be unique across plugins. ``None`` contributes
        nothing.
    """


@hookspec
def register_scorecards() -> list[Scorecard]:
    """Contribute landing-page cards: a query, its drill-down and its trend.

    Called once by ``create_app``.

    Returns:
        Scorecards. Each ``key`` must be unique across plugins. ``None`` contributes
        nothing.
    """


@hookspec
def register_jobs() -> list[Job]:
    """Contribute job types: the callable that does the work and, if scheduled, when.

    Called once by ``create_app``. Scheduled jobs run from ``onward jobs run-due``; any
    job can be started with ``onward.core.jobs.enqueue(key, **arguments)``.

    Returns:
        Jobs. Each ``key`` must be unique across plugins. ``None`` contributes nothing.
    """


@hookspec
def register_rules() -> list[Rule]:
    """Contribute business rules: checks that run before every flush of a model.

    Called once by ``create_app``. A rule refuses a change by raising ``RuleViolation``;
    the UI, the API, the CLI, imports and jobs all show its message unchanged.

    Returns:
        Rules. Each ``key`` must be unique across plugins. ``None`` contributes nothing.
    """


@hookspec
def register_migrations() -> Migrations:
    """Name the folder holding the plugin's Alembic revisions (its own lineage).

    Called once by ``create_app``; ``onward db upgrade`` applies the lineages in plugin
    dependency order, core first, each with its own version table
    ``alembic_version_<plugin>``.

    Returns:
        One ``Migrations`` item. ``None`` means the plugin has no tables.
    """


# --- CLI --------------------------------------------------------------------------------


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add the plugin's click commands to the ``onward`` command line.

    Called once, the first time the CLI lists or looks up a command; never needs a
    database, so ``onward --help`` works anywhere. A plugin adds one group named after
    itself and may attach commands to core's groups.

    Args:
        cli: the root ``onward`` group; call ``cli.add_command``.

    Returns:
        ``None``; the hook works by adding commands to ``cli``.
    """


@hookspec
def register_demo_data(app: Flask) -> None:
    """Add the plugin's demo records, idempotently.

    Called by ``onward demo`` inside an application context, after core's demo data and
    in plugin dependency order, so a plugin finds the records of the plugins it requires.

    Args:
        app: the application whose database receives the records.

    Returns:
        ``None``; the hook works by adding records (a second run adds nothing new).
    """


# --- events -----------------------------------------------------------------------------


@hookspec
def on_event(event: Event) -> Any:
    """React to an event after the change that raised it was committed.

    Called once per event and plugin, in the order the events happened. Delivery is at
    least once, so a reaction uses ``event.id`` to stay idempotent.

    Args:
        event: what happened (name, record type and id, changes, actor).

    Returns:
        ``None``; any value is ignored.
    """
