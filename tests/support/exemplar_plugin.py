"""The exemplar plugin: implements every hook, so core's tests prove each one.

It is passed to the app through the ``onward_plugins`` fixture (``extra_plugins``), never
registered globally. Everything it contributes is named ``exemplar`` or ``exemplar_…``.
"""

from __future__ import annotations

from pathlib import Path

import click
import flask_smorest
from flask import Blueprint, jsonify
from flask_login import login_required
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from onward import (
    AccountScopedMixin,
    ActivityDefinition,
    AuditedMixin,
    CaseType,
    FieldRule,
    ImportTarget,
    Job,
    JournalMixin,
    Migrations,
    NavItem,
    NumberedMixin,
    PlaybookDefinition,
    RecordRule,
    RoleDefinition,
    Scorecard,
    SuccessPlay,
    TimestampMixin,
    Validator,
    db,
    hookimpl,
    scoped,
)

NAME = "exemplar"
REQUIRES: tuple[str, ...] = ()
__version__ = "1.2.3"

#: every event ``on_event`` received, in order (tests read and clear it)
received_events: list = []


class ExemplarThing(NumberedMixin, AccountScopedMixin, TimestampMixin, AuditedMixin, JournalMixin,
                    db.Model):
    """A record of an account, with a number, a contact and an internal note."""

    __tablename__ = "exemplar_thing"
    __number_prefix__ = "EXM"
    __domain_column__ = "domain_id"
    __account_column__ = "account_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: what the thing is called
    name: Mapped[str] = mapped_column(String(120))
    #: the customer user the thing is for
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    #: internal only: customers never read it
    internal_note: Mapped[str] = mapped_column(String(200), default="")


@hookimpl
def register_roles():
    """Internal viewer and editor; customer and customer manager."""
    return [
        RoleDefinition(
            "exemplar_viewer",
            rights={"exemplar_thing": "r", "core_account": "r", "core_user": "r",
                    "core_domain": "r"},
        ),
        RoleDefinition("exemplar_editor", contains=("exemplar_viewer",),
                       rights={"exemplar_thing": "rcwd"}),
        RoleDefinition("exemplar_customer", external=True,
                       rights={"exemplar_thing": "r", "core_account": "r", "core_user": "r"}),
        RoleDefinition("exemplar_customer_manager", external=True,
                       contains=("exemplar_customer",), rights={"exemplar_thing": "rcw"}),
    ]


@hookimpl
def register_access_rules():
    """A plain customer sees only the things whose contact it is."""
    return [
        RecordRule(ExemplarThing, "exemplar_customer",
                   where=lambda user: ExemplarThing.contact_id == user.id),
        FieldRule(ExemplarThing, ("name", "number", "contact_id")),
    ]


ui = Blueprint("exemplar", __name__, url_prefix="/exemplar")
api = flask_smorest.Blueprint("exemplar_api", __name__, url_prefix="/exemplar")


@ui.route("/things")
@login_required
def things():
    """The things the user may read, as text."""
    items = db.session.scalars(scoped(ExemplarThing).order_by(ExemplarThing.name)).all()
    return "\n".join(thing.name for thing in items)


@api.route("/things")
def api_things():
    """The things the user may read, as JSON (core makes every API route need a user)."""
    items = db.session.scalars(scoped(ExemplarThing).order_by(ExemplarThing.name)).all()
    return jsonify([{"id": thing.id, "name": thing.name} for thing in items])


@hookimpl
def register_blueprints(app):
    """One UI and one API blueprint."""
    return [ui, api]


@hookimpl
def register_navigation():
    """One entry for the things list."""
    return [NavItem("Things", "exemplar.things", section="Exemplar",
                    requires=("read", "exemplar_thing"), audience="all")]


@hookimpl
def register_case_types():
    """One case type."""
    return [CaseType("exemplar_case", "Exemplar case", "EXC", states=("new", "closed"),
                     stages={"new": "Not started", "closed": "Finished"})]


@hookimpl
def register_activity_definitions():
    """One activity definition."""
    return [ActivityDefinition("exemplar_note", "Write a note",
                               input_schema={"type": "object",
                                             "properties": {"note": {"type": "string"}}})]


@hookimpl
def register_playbooks():
    """One playbook definition."""
    return [PlaybookDefinition("exemplar_playbook",
                               {"stages": [{"key": "only", "activities": ["exemplar_note"]}]})]


@hookimpl
def register_validators():
    """One record-level validator."""
    return [Validator("exemplar_named", "Has a name", func=lambda row: bool(row.get("name")))]


@hookimpl
def register_import_targets():
    """One import target."""
    return [ImportTarget("exemplar_things", "Things", ExemplarThing, fields=("name",),
                         natural_key=("name",))]


@hookimpl
def register_success_plays():
    """One success play."""
    return [SuccessPlay("exemplar_play", "Say hello", "Exemplar", run=lambda **inputs: inputs)]


@hookimpl
def register_scorecards():
    """One scorecard: how many things the user can see."""
    return [Scorecard("exemplar_count", "Things",
                      query=lambda: select(ExemplarThing.id))]


@hookimpl
def register_jobs():
    """One scheduled job."""
    return [Job("exemplar_tick", "Tick", schedule="*/5 * * * *", func=lambda: "tick")]


@hookimpl
def register_migrations():
    """The exemplar's own lineage."""
    return Migrations("exemplar", Path(__file__).parent / "exemplar_migrations")


@click.group("exemplar")
def exemplar_group():
    """Exemplar commands."""


@exemplar_group.command("hello")
def hello():
    """Say hello."""
    click.echo("hello from the exemplar")


@hookimpl
def register_commands(cli):
    """The ``exemplar`` group."""
    cli.add_command(exemplar_group)


@hookimpl
def register_demo_data(app):
    """One demo thing on the first account, once."""
    from onward import Account

    if db.session.scalar(select(ExemplarThing.id).where(ExemplarThing.name == "Demo thing")):
        return
    account = db.session.scalar(select(Account).order_by(Account.id))
    if account is not None:
        db.session.add(ExemplarThing(name="Demo thing", account_id=account.id))


@hookimpl
def on_event(event):
    """Remember the event."""
    received_events.append(event)
