"""Core's own hook implementations, registered as the plugin ``core``.

Core contributes through the same hooks as every plugin: its role, its blueprints, its
commands, its navigation, its jobs, its migrations and its demo data.
"""

from __future__ import annotations

from pathlib import Path

from onward.core.hookspecs import hookimpl
from onward.core.registries import FieldRule, Job, Migrations, NavItem, RoleDefinition


@hookimpl
def register_roles():
    """Core declares ``admin``: every right on every table (within its domains)."""
    return [
        RoleDefinition(
            "admin",
            label="Administrator",
            description="Manages users, roles, domains, accounts and every record.",
            rights={"*": "rcwd"},
        )
    ]


@hookimpl
def register_access_rules():
    """What customer users may read of core's records."""
    from onward.core.jobs import JobRun
    from onward.core.models import Account, ApiToken, Domain, User

    return [
        FieldRule(Account, ("name", "active")),
        # a customer follows the runs it started (an import, say); never their arguments,
        # results or errors, which may name other records
        FieldRule(JobRun, ("key", "label", "status", "progress", "message", "created_at",
                           "started_at", "finished_at")),
        # a customer manages its own tokens, so it reads what it needs to tell them apart
        FieldRule(ApiToken, ("name", "prefix", "active", "created_at", "last_used_at",
                             "revoked_at")),
        FieldRule(Domain, ("name",)),
        FieldRule(User, ("email", "name", "account_id", "active")),
    ]


@hookimpl
def register_blueprints(app):
    """Core's web UI (sign-in, profile, admin pages) and its JSON API."""
    from onward.core.api.resources import blueprint as api_blueprint
    from onward.core.views import blueprint

    return [blueprint, api_blueprint]


@hookimpl
def register_navigation():
    """The admin section of the navigation."""
    return [
        NavItem("Home", "core.home", section="Workspace", order=0, audience="all"),
        NavItem("Users", "core.users", "Administration", 10, ("read", "core_user")),
        NavItem("Roles", "core.roles", "Administration", 20, ("read", "core_role")),
        NavItem("Domains", "core.domains", "Administration", 30, ("read", "core_domain")),
        NavItem("Accounts", "core.accounts", "Administration", 40, ("read", "core_account")),
        NavItem("Playbooks", "core.playbooks", "Administration", 42,
                ("read", "core_playbook_version")),
        NavItem("Jobs", "core.jobs", "Administration", 45, ("read", "core_job_run")),
        NavItem("Plugins", "core.plugins", "Administration", 50, ("read", "core_plugin")),
        NavItem("Audit log", "core.audit", "Administration", 60, ("read", "core_audit_entry")),
    ]


@hookimpl
def register_commands(cli):
    """Core's command groups: db, demo, serve, users, tokens, accounts, domains, plugins."""
    from onward.core.commands import register

    register(cli)


@hookimpl
def register_migrations():
    """Core's Alembic lineage (version table ``alembic_version``)."""
    return Migrations("core", Path(__file__).parent / "migrations" / "versions")


@hookimpl
def register_jobs():
    """Core's upkeep: pruning the event log."""
    from onward.core.events import prune_job

    return [Job("core_events_prune", "Prune the event log", prune_job, schedule="15 3 * * *",
                description="Deletes the events dispatched more than EVENTS_KEEP_DAYS ago; "
                            "pending and failing events stay.")]


@hookimpl
def register_demo_data(app):
    """A provider domain, a tenant, accounts and one user per kind of role."""
    from onward.core.demo import load_demo_data

    load_demo_data(app)
