"""The entry point of the data import plugin: thin hook implementations."""

from pathlib import Path

from onward import Migrations, hookimpl

#: import tasks are onboarding case tasks
REQUIRES: tuple[str, ...] = ("onboarding",)


@hookimpl
def register_roles():
    """Import rights, made part of the onboarding roles (agents import, customers fix)."""
    from onward.plugins.dataimport.roles import ROLES

    return ROLES


@hookimpl
def register_access_rules():
    """Customers see the imports, files and rows of their own visible tasks."""
    from onward.plugins.dataimport.roles import access_rules

    return access_rules()


@hookimpl
def register_validators():
    """The seed's record validator: a row's account is the case's account."""
    from onward.plugins.dataimport.validators import VALIDATORS

    return VALIDATORS


@hookimpl
def register_jobs():
    """Import files, validate and publish, as jobs with progress; the staging backup."""
    from onward.plugins.dataimport.backup import JOBS as BACKUP_JOBS
    from onward.plugins.dataimport.jobs import JOBS

    return [*JOBS, *BACKUP_JOBS]


@hookimpl
def register_commands(cli):
    """``onward import …``: templates, runs, status, errors, restart, backup."""
    from onward.plugins.dataimport.commands import register

    register(cli)


@hookimpl
def register_demo_data():
    """The onboarding demo's data capture tasks started; Genixify's locations staged."""
    from onward.plugins.dataimport.demo import load_demo_imports

    load_demo_imports()


@hookimpl
def register_migrations():
    """The dataimport lineage."""
    return Migrations("dataimport", Path(__file__).parent / "migrations")


@hookimpl
def register_blueprints(app):
    """The admin pages, the import page of a task and the JSON API.

    Admin pages: the import builder and the data validation assist.
    """
    from onward.plugins.dataimport.admin_views import blueprint as admin_pages
    from onward.plugins.dataimport.api import blueprint as api
    from onward.plugins.dataimport.views import blueprint as task_pages

    return [admin_pages, task_pages, api]


@hookimpl
def register_navigation():
    """*Imports* in the admin section (the builder and the validation rules)."""
    from onward import NavItem

    return [NavItem("Imports", "dataimport_admin.sources", "Administration", 44,
                    ("create", "dataimport_source"))]


@hookimpl
def on_event(event):
    """Give an import task its import when its playbook activity names a target.

    The activity's settings ``import_target`` and ``data_source`` say which.
    """
    if event.name == "playbook.activity.started":
        from onward.plugins.dataimport.builder import import_for_activity

        import_for_activity(event)
