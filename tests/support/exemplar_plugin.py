"""The exemplar plugin: implements every hook, so core's tests prove each one.

It is passed to the app through the ``onward_plugins`` fixture (``extra_plugins``), never
registered globally. Everything it contributes is named ``exemplar`` or ``exemplar_…``.
"""

from __future__ import annotations

from pathlib import Path

import click
import flask_smorest
import marshmallow as ma
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
    ImportReference,
    ImportTarget,
    Job,
    JournalMixin,
    ListSpec,
    Migrations,
    NavItem,
    NumberedMixin,
    PlaybookDefinition,
    RecordRule,
    RoleDefinition,
    Rule,
    RuleViolation,
    Scorecard,
    StateMap,
    SuccessPlay,
    TimestampMixin,
    User,
    Validator,
    add_resource,
    db,
    describe_fields,
    hookimpl,
    require,
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


class ExemplarCase(NumberedMixin, AccountScopedMixin, TimestampMixin, AuditedMixin, db.Model):
    """A case whose state drives its stage, worked through the exemplar playbook."""

    __tablename__ = "exemplar_case"
    __number_prefix__ = "EXC"
    __domain_column__ = "domain_id"
    __account_column__ = "account_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    short_description: Mapped[str] = mapped_column(String(160), default="")
    #: New, Active, Blocked, Closed, Canceled
    state: Mapped[str | None] = mapped_column(String(20))
    #: driven by the state; At risk is allowed except when closed or canceled
    stage: Mapped[str | None] = mapped_column(String(20))
    #: not_required, remote_catalog, remote_task
    integration: Mapped[str] = mapped_column(String(40), default="not_required")
    priority: Mapped[int] = mapped_column(default=3)


class ExemplarCaseSchema(ma.Schema):
    """An exemplar case in the API."""

    id = ma.fields.Integer(dump_only=True)
    number = ma.fields.String(dump_only=True)
    short_description = ma.fields.String()
    state = ma.fields.String()
    stage = ma.fields.String()
    integration = ma.fields.String()
    priority = ma.fields.Integer()
    account_id = ma.fields.Integer(dump_only=True)


def update_case(case, data):
    """Change a case's fields (its rules decide what is allowed)."""
    require("write", case)
    for name, value in data.items():
        setattr(case, name, value)


CASES = ListSpec(sortable={"id": ExemplarCase.id}, default_sort="id")
add_resource(api, "/cases", ExemplarCase, ExemplarCaseSchema, CASES,
             update=(ExemplarCaseSchema, update_case))


CASE_STAGES = {"New": "Not started", "Active": "On track", "Blocked": "Paused",
               "Closed": "Finished", "Canceled": "Finished"}


@hookimpl
def register_case_types():
    """The exemplar case: State drives Stage, with At risk as the alternative."""
    return [CaseType(
        "exemplar_case", "Exemplar case", "EXC", model=ExemplarCase,
        states=tuple(CASE_STAGES),
        maps=(StateMap("stage", CASE_STAGES, alternatives=("At risk",),
                       alternatives_not_in=("Closed", "Canceled")),),
    )]


def check_priority(case, change):
    """Priorities run from 1 (highest) to 5."""
    if change.changed("priority") and not 1 <= case.priority <= 5:
        raise RuleViolation("Priority must be between 1 and 5.",
                            fields={"priority": ["Between 1 and 5."]})


@hookimpl
def register_rules():
    """The priority rule."""
    return [Rule("exemplar_case.priority", ExemplarCase, check_priority,
                 description="Priorities run from 1 to 5.")]


def describe(ctx):
    """Write what was entered onto the case."""
    ctx.record.short_description = ctx.input["short_description"]
    ctx.record.integration = ctx.input.get("integration", "not_required")


def triage(ctx):
    """Set the case's priority (the priority rule may refuse it)."""
    ctx.record.priority = ctx.input["priority"]
    ctx.emit("exemplar.triaged", priority=ctx.input["priority"])


@hookimpl
def register_activity_definitions():
    """Describe, triage, and a plain note."""
    return [
        ActivityDefinition("exemplar_describe", "Describe the case", input_schema={
            "type": "object", "required": ["short_description"], "additionalProperties": False,
            "properties": {
                "short_description": {"type": "string", "minLength": 3, "maxLength": 160},
                "integration": {"enum": ["not_required", "remote_catalog", "remote_task"]},
            }}, handlers={"complete": describe}),
        ActivityDefinition("exemplar_triage", "Triage", input_schema={
            "type": "object", "required": ["priority"],
            "properties": {"priority": {"type": "integer"}}}, handlers={"complete": triage}),
        ActivityDefinition("exemplar_note", "Write a note", input_schema={
            "type": "object", "properties": {"note": {"type": "string"}}}),
    ]


EXEMPLAR_PLAYBOOK = {
    "key": "exemplar_playbook",
    "label": "Exemplar playbook",
    "case_type": "exemplar_case",
    "stages": [
        {"key": "setup", "label": "Set-up", "activities": [
            {"key": "describe", "definition": "exemplar_describe", "label": "Describe"},
            {"key": "triage", "definition": "exemplar_triage", "label": "Triage",
             "responsibility": "exemplar_editor"},
        ]},
        {"key": "build", "label": "Build", "activities": [
            {"key": "integrate", "definition": "exemplar_note", "label": "Integrate",
             "condition": {"field": "integration", "op": "ne", "value": "not_required"}},
            {"key": "document", "definition": "exemplar_note", "label": "Document",
             "start": "with_previous"},
            {"key": "review", "definition": "exemplar_note", "label": "Review",
             "start": "with_previous", "depends_on": ["document"]},
        ]},
        {"key": "finish", "label": "Finish", "activities": [
            {"key": "wrap_up", "definition": "exemplar_note", "label": "Wrap up",
             "optional": True},
        ]},
    ],
}


@hookimpl
def register_playbooks():
    """The exemplar playbook: a condition, a with-previous pair, a dependency, an option."""
    return [PlaybookDefinition("exemplar_playbook", EXEMPLAR_PLAYBOOK)]


@hookimpl
def register_validators():
    """One record-level validator."""
    return [Validator("exemplar_named", "Has a name", func=lambda row: bool(row.get("name")))]


@hookimpl
def register_import_targets():
    """One import target."""
    contact = ImportReference(User, "email")
    return [ImportTarget("exemplar_things", "Things", ExemplarThing, natural_key=("name",),
                         account_field="account_id",
                         fields=describe_fields(ExemplarThing, "name", "contact_id",
                                                references={"contact_id": contact}))]


@hookimpl
def register_success_plays():
    """One success play."""
    return [SuccessPlay("exemplar_play", "Say hello", "Exemplar", run=lambda **inputs: inputs)]


@hookimpl
def register_scorecards():
    """One scorecard: the named things the user can see, by month created."""
    return [Scorecard("exemplar_count", "Things", model=ExemplarThing,
                      where=lambda user: [ExemplarThing.name != ""], date_field="created_at",
                      drill=("exemplar.things", {}))]


def tick(ctx, times: int = 1):
    """Count to ``times``, reporting progress; fail on ``times=0``."""
    if times == 0:
        raise RuleViolation("Nothing to count.")
    for done in range(1, times + 1):
        ctx.progress(100 * done / times, f"Counted {done} of {times}")
    return {"counted": times}


@hookimpl
def register_jobs():
    """A scheduled job and an on-demand one."""
    return [
        Job("exemplar_tick", "Tick", tick, schedule="*/5 * * * *"),
        Job("exemplar_count", "Count", tick, description="Counts, on demand."),
    ]


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
