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
    """Account onboarding cases and their tasks; guided onboarding cases."""
    from onward.plugins.onboarding.casetypes import GUIDED_CASE, ONBOARDING_CASE, ONBOARDING_TASK

    return [ONBOARDING_CASE, ONBOARDING_TASK, GUIDED_CASE]


@hookimpl
def register_activity_definitions():
    """The activities of the account onboarding playbook."""
    from onward.plugins.onboarding.activities import DEFINITIONS

    return DEFINITIONS


@hookimpl
def register_playbooks():
    """The account onboarding playbook (a data file)."""
    from onward.plugins.onboarding.activities import playbook

    return [playbook()]


@hookimpl
def register_import_targets():
    """The eight customer data tables a data import fills (see :mod:`.import_targets`)."""
    from onward.plugins.onboarding.import_targets import import_targets

    return import_targets()


@hookimpl
def register_rules():
    """The rules of the customer data and of task prerequisites.

    Customer data: choices, dates, same-account references; tasks: a blocked task cannot
    be closed.
    """
    from onward.plugins.onboarding import prerequisites
    from onward.plugins.onboarding.customer_services import rules

    return [*rules(), *prerequisites.RULES]


@hookimpl
def register_blueprints(app):
    """The onboarding API, the onboarding workspace pages and the customer portal.

    The tasks' recommended actions (a data file) are loaded and checked here, at start-up.
    """
    from onward.plugins.onboarding import recommendations
    from onward.plugins.onboarding.api import blueprint
    from onward.plugins.onboarding.portal import blueprint as portal
    from onward.plugins.onboarding.views import blueprint as pages

    recommendations.install(app)
    return [blueprint, pages, portal]


@hookimpl
def register_navigation():
    """The onboarding workspace, first in an agent's navigation."""
    from onward import NavItem

    cases = ("read", "onboarding_case")
    return [
        NavItem("Onboarding", "onboarding.landing", "Onboarding", -30, cases),
        NavItem("Cases", "onboarding.cases", "Onboarding", -20, cases),
        NavItem("Tasks", "onboarding.tasks", "Onboarding", -10, ("read", "onboarding_task")),
        NavItem("Guided cases", "onboarding.guided_cases", "Onboarding", -15,
                ("read", "onboarding_guided_case")),
        NavItem("Customer data", "onboarding.customer_data", "Onboarding", -5,
                ("read", "onboarding_location")),
        NavItem("Knowledge", "onboarding.articles", "Onboarding", -3,
                ("read", "onboarding_article")),
        NavItem("My lists", "onboarding_portal.lists", "Onboarding", -40, cases,
                audience="customer"),
    ]


@hookimpl
def register_scorecards():
    """My active cases, stale cases, active tasks and overdue tasks."""
    from onward.plugins.onboarding.scorecards import SCORECARDS

    return SCORECARDS


@hookimpl
def register_commands(cli):
    """``onward cases`` and ``onward tasks``."""
    from onward.plugins.onboarding.commands import register

    register(cli)


@hookimpl
def register_demo_data():
    """Demo cases in several states, with tasks; a catalogue and Genixify's customer data."""
    from onward.plugins.onboarding.demo import load_demo_data
    from onward.plugins.onboarding.demo_customer_data import load_customer_data

    load_demo_data()
    load_customer_data()


@hookimpl
def register_migrations():
    """The onboarding lineage."""
    return Migrations("onboarding", Path(__file__).parent / "migrations")


@hookimpl
def on_event(event):
    """A new account gets its onboarding case (unless ``ONBOARDING_AUTO_CASE`` is off).

    Closing a task completes its playbook activity; moving the go-live date moves the due
    dates that hang on it; a new task gets the knowledge articles that apply to it.
    """
    from onward.plugins.onboarding.activities import react

    if event.name == "core_account.created":
        from onward import db
        from onward.plugins.onboarding.cases import open_case_for_new_account

        open_case_for_new_account(event.record_id)
        db.session.flush()
    if event.name == "onboarding_task.created":
        from onward.plugins.onboarding.knowledge_services import attach_matching

        attach_matching(event.record_id)
    react(event)
