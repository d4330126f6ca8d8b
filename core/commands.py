"""Core's commands: db, demo, serve, users, roles, tenancy, plugins, playbooks, jobs, worker.

They run as the system actor and call the same services as the web UI and the API;
each commits on success. The user, token and role commands live in
``commands_users``, accounts and domains in ``commands_tenancy``, ``serve`` in
``commands_serve``, playbooks in ``commands_playbooks``, jobs and the worker in
``commands_jobs``.
"""

from __future__ import annotations

import rich_click as click
from flask import current_app
from flask.cli import ScriptInfo, with_appcontext

from onward.core import migrate
from onward.core.actor import SYSTEM, acting_as
from onward.core.cli_support import json_option, print_rows, say
from onward.core.commands_jobs import jobs_group, worker
from onward.core.commands_playbooks import playbooks_group
from onward.core.commands_serve import serve
from onward.core.commands_tenancy import accounts_group, domains_group
from onward.core.commands_users import roles_group, tokens_group, users_group
from onward.core.db import db
from onward.core.demo import demo_sign_ins
from onward.core.plugins import call_each, plugin_info
from onward.core.totp import provisioning_uri


@click.group()
def db_group():
    """Create and upgrade the database schema; write plugins' migrations."""


def sync_declarations() -> None:
    """Write what plugins declare into the database.

    Their roles, a top domain if there is none, and their playbooks whose content
    changed (as new versions).
    """
    from onward.core.playbooks.definitions import store_registered
    from onward.core.roles import sync_declared_roles
    from onward.core.tenancy import default_domain

    roles = current_app.extensions["onward"].registries.roles
    sync_declared_roles(roles, roles.owners)
    default_domain()
    with acting_as(SYSTEM):
        store_registered()
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
    say(f"[green]Database is up to date[/] ({', '.join(names)}).")


@db_group.command("init")
@with_appcontext
def db_init():
    """Create the schema of a new database, or upgrade an existing one."""
    names = upgrade_database()
    say(f"[green]Database ready[/] at {db.engine.url.render_as_string()} ({', '.join(names)}).")


@db_group.command("revision")
@click.option("--plugin", required=True, help="The plugin whose lineage gets the revision.")
@click.option("-m", "--message", required=True, help="What the revision changes.")
@click.option("--autogenerate/--empty", default=True, show_default=True,
              help="Compare the plugin's tables with the database, or write an empty revision.")
@with_appcontext
def db_revision(plugin, message, autogenerate):
    """Write a new migration for a plugin (for plugin authors).

    Autogenerate compares only the plugin's own tables (named <plugin>_…) with the
    database, so bring the database up to date first.
    """
    migrate.revision(plugin, message, autogenerate=autogenerate)
    say(f"[green]Wrote[/] a new revision for {plugin}; check it before committing it.")


@db_group.command("current")
@json_option
@with_appcontext
def db_current(as_json):
    """Show the revision each lineage (core, then each plugin) is at."""
    rows = [{"lineage": name, "revision": revision}
            for name, revision in migrate.current_heads().items()]
    print_rows(rows, title="Lineages", as_json=as_json)


@click.command("demo")
@with_appcontext
def demo():
    """Load demo data from core and every plugin, then print the demo sign-ins.

    Upgrades the database first. Running it again adds nothing.
    """
    upgrade_database()
    app = current_app._get_current_object()
    call_each(app.extensions["onward"].pm, "register_demo_data", in_load_order=True, app=app)
    db.session.commit()
    sign_ins = demo_sign_ins()
    print_rows([{"email": s.email, "password": s.password, "note": s.note} for s in sign_ins],
               title="Demo sign-ins", as_json=False)
    for sign_in in sign_ins:
        if sign_in.totp_secret:
            say(f"{sign_in.email} signs in with a second factor (required for admins): add "
                f"the secret [bold]{sign_in.totp_secret}[/] to an authenticator app, or")
            click.echo(f"  {provisioning_uri(sign_in.totp_secret, sign_in.email)}")
    say("Start the server with [bold]onward serve[/] and open http://127.0.0.1:5000/")


@click.command("plugins")
@json_option
@click.pass_context
def plugins(ctx: click.Context, as_json):
    """List the loaded plugins (core first): version, distribution and hooks implemented.

    Needs no database.
    """
    app = ctx.ensure_object(ScriptInfo).load_app()
    rows = [
        {"name": info.name, "version": info.version, "distribution": info.distribution,
         "requires": list(info.requires), "hooks": list(info.hooks)}
        for info in plugin_info(app.extensions["onward"].pm)
    ]
    print_rows(rows, title="Plugins", as_json=as_json)


def register(cli: click.Group) -> None:
    """Add core's commands and command groups to the root ``onward`` group."""
    cli.add_command(db_group, "db")
    for command in (demo, serve, users_group, tokens_group, roles_group, accounts_group,
                    domains_group, plugins, playbooks_group, jobs_group, worker):
        cli.add_command(command)
