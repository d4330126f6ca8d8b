"""The entry point of onward-welcome: a role, an activity definition, a page, a command."""

from importlib import resources
from pathlib import Path

import click
import yaml
from flask import Blueprint, render_template_string
from flask.cli import with_appcontext
from flask_login import login_required
from sqlalchemy import func, select

from onward import (
    ActivityDefinition,
    Migrations,
    NavItem,
    PlaybookDefinition,
    RoleDefinition,
    db,
    hookimpl,
    require,
    scoped,
)
from onward_welcome.models import WelcomeNote

REQUIRES: tuple[str, ...] = ()


def write_note(ctx) -> WelcomeNote:
    """The activity's *complete* handler: store the note written for the account.

    ``ctx.record`` is the record the playbook runs for (here an account), ``ctx.input``
    what was entered, already checked against the input schema.
    """
    note = WelcomeNote(account_id=ctx.record.id, subject=ctx.input["subject"],
                       body=ctx.input.get("body", ""))
    require("create", note)
    db.session.add(note)
    return note


@hookimpl
def register_roles():
    """Who may write welcome notes."""
    return [RoleDefinition("welcome_writer", label="Welcome writer",
                           rights={"welcome_note": "rcw", "core_account": "rw"})]


@hookimpl
def register_activity_definitions():
    """A playbook activity whose form asks for a subject and a body."""
    return [ActivityDefinition(
        "welcome_note",
        "Write a welcome note",
        input_schema={
            "type": "object",
            "required": ["subject"],
            "properties": {"subject": {"type": "string", "minLength": 1, "maxLength": 200},
                           "body": {"type": "string"}},
        },
        handlers={"complete": write_note},
    )]


@hookimpl
def register_playbooks():
    """The welcome playbook, kept as YAML beside this module."""
    text = resources.files("onward_welcome").joinpath("welcome.playbook.yaml").read_text()
    return [PlaybookDefinition("welcome", yaml.safe_load(text))]


blueprint = Blueprint("welcome", __name__, url_prefix="/welcome")
PAGE = "{% extends 'core/base.html' %}{% block content %}<h1>Welcome notes</h1><ul>" \
       "{% for note in notes %}<li>{{ note.number }} {{ note.subject }}</li>{% endfor %}" \
       "</ul>{% endblock %}"


@blueprint.route("/")
@login_required
def notes():
    """The notes the user may read."""
    items = db.session.scalars(scoped(WelcomeNote).order_by(WelcomeNote.id)).all()
    return render_template_string(PAGE, notes=items)


@hookimpl
def register_blueprints():
    """The notes page."""
    return [blueprint]


@hookimpl
def register_navigation():
    """A menu entry for those who may read notes."""
    return [NavItem("Welcome notes", "welcome.notes", requires=("read", "welcome_note"))]


@hookimpl
def register_migrations():
    """The plugin's own Alembic lineage."""
    return Migrations("welcome", Path(__file__).parent / "migrations")


@click.group("welcome")
def welcome_group():
    """Welcome notes."""


@welcome_group.command("count")
@with_appcontext
def count():
    """How many welcome notes exist."""
    click.echo(db.session.scalar(select(func.count(WelcomeNote.id))))


@hookimpl
def register_commands(cli):
    """The ``onward welcome`` group."""
    cli.add_command(welcome_group)
