"""The entry point of the onboarding plugin: thin hook implementations."""

from pathlib import Path

from onward import Migrations, hookimpl

REQUIRES: tuple[str, ...] = ()


@hookimpl
def register_roles():
    """Onboarding agents and the three customer roles."""
    from onward.plugins.onboarding.roles import ROLES

    return ROLES


@hookimpl
def register_access_rules():
    """Customers see their own cases, and only the tasks visible to them."""
    from onward.plugins.onboarding.roles import access_rules

    return access_rules()


@hookimpl
def register_case_types():
    """Account onboarding cases and their tasks."""
    from onward.plugins.onboarding.casetypes import ONBOARDING_CASE, ONBOARDING_TASK

    return [ONBOARDING_CASE, ONBOARDING_TASK]


@hookimpl
def register_blueprints():
    """The onboarding API."""
    from onward.plugins.onboarding.api import blueprint

    return [blueprint]


@hookimpl
def register_commands(cli):
    """``onward cases`` and ``onward tasks``."""
    from onward.plugins.onboarding.commands import register

    register(cli)


@hookimpl
def register_demo_data():
    """Genixify and the other demo accounts get cases in several states, with tasks."""
    from onward.plugins.onboarding.demo import load_demo_data

    load_demo_data()


@hookimpl
def register_migrations():
    """The onboarding lineage."""
    return Migrations("onboarding", Path(__file__).parent / "migrations")


@hookimpl
def on_event(event):
    """A new account gets its onboarding case (unless ``ONBOARDING_AUTO_CASE`` is off)."""
    if event.name == "core_account.created":
        from onward import db
        from onward.plugins.onboarding.cases import open_case_for_new_account

        open_case_for_new_account(event.record_id)
        db.session.flush()
