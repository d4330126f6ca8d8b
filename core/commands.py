"""Core's commands: ``db``, ``demo``, ``serve``, ``users``, ``tokens``, ``accounts``,
``domains`` and ``plugins``. They call the same services as the web UI and the API.
"""

from __future__ import annotations

import rich_click as click
from flask import current_app
from flask.cli import with_appcontext
from rich.console import Console

from onward.core import migrate
from onward.core.db import db

console = Console()


@click.group()
def db_group():
    """Create and upgrade the database schema."""


def sync_declarations() -> None:
    """Write what plugins declare into the database: roles, and a top domain if none."""
    from onward.core.roles import sync_declared_roles
    from onward.core.tenancy import default_domain

    roles = current_app.extensions["onward"].registries.roles
    sync_declared_roles(roles, roles.owners)
    default_domain()
    db.session.commit()


def upgrade_database(plugin: str | None = None) -> list[str]:
    """Apply every lineage's migrations (or ``plugin``'s), then :func:`sync_declarations`."""
    names = migrate.upgrade(plugin)
    sync_declarations()
    return names


@db_group.command("upgrade")
@click.option("--plugin", help="Upgrade only this plugin's lineage.")
@with_appcontext
def db_upgrade(plugin):
    """Bring the database to the newest schema (core first, then each plugin)."""
    names = upgrade_database(plugin)
    console.print(f"[green]Database is up to date[/] ({', '.join(names)}).")


@db_group.command("init")
@with_appcontext
def db_init():
    """Create the schema of a new database, or upgrade an existing one."""
    names = upgrade_database()
    console.print(f"[green]Database ready[/] at {db.engine.url.render_as_string()} "
                  f"({', '.join(names)}).")


def register(cli: click.Group) -> None:
    """Add core's command groups to the root ``onward`` group."""
    cli.add_command(db_group, "db")
