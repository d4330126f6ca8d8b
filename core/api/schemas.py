"""Marshmallow schemas of core's API: users, roles, domains, accounts, tokens, playbooks, jobs.

``<Thing>Schema`` dumps a record; ``<Thing>CreateSchema`` and ``<Thing>UpdateSchema``
load request bodies (every field of an update is optional: PATCH sends only what
changes). Fields are declared one by one, so nothing is exposed by accident: no password
hash, TOTP secret or token hash is ever in a schema.
"""

from __future__ import annotations

from collections.abc import Mapping

import marshmallow as ma
from flask import current_app
from marshmallow import fields

from onward.core.playbooks.definitions import version_count
from onward.core.playbooks.engine import log_of


class _NameSchema(ma.Schema):
    name = fields.String()


def _names(**kwargs) -> fields.Pluck:
    """Related records (roles) as a list of their names."""
    return fields.Pluck(_NameSchema, "name", many=True, dump_only=True, **kwargs)


class RightsField(fields.Dict):
    """Table rights as ``{table: letters}``, letters from ``rcwd`` (``*`` = every table)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {"description": "table name (or `*`) -> rights `rcwd`"})
        super().__init__(keys=fields.String(), values=fields.String(), **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and not isinstance(value, Mapping):
            value = {right.table_name: right.letters for right in value}
        return super()._serialize(value, attr, obj, **kwargs)


# --- users ------------------------------------------------------------------------------


class UserSchema(ma.Schema):
    """A user (customer users read fewer fields)."""

    id = fields.Integer(dump_only=True)
    email = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    active = fields.Boolean(dump_only=True)
    totp_enabled = fields.Boolean(dump_only=True)
    roles = _names(metadata={"description": "role names"})
    account_id = fields.Integer(dump_only=True, allow_none=True)
    domain_id = fields.Integer(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    last_sign_in_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class MeSchema(UserSchema):
    """The caller, with every role it holds directly or through contained roles."""

    effective_roles = fields.List(fields.String(), dump_only=True)


class UserUpdateSchema(ma.Schema):
    """Fields of a user that PATCH changes; ``active: false`` deactivates."""

    name = fields.String()
    email = fields.String()
    roles = fields.List(fields.String(), metadata={"description": "role names"})
    active = fields.Boolean()


class UserCreateSchema(ma.Schema):
    """A new user: a customer user of ``account_id``, else staff in ``domain_id``."""

    email = fields.String(required=True)
    name = fields.String()
    roles = fields.List(fields.String(), metadata={"description": "role names"})
    account_id = fields.Integer(allow_none=True)
    domain_id = fields.Integer(
        allow_none=True, metadata={"description": "default: the caller's domain"}
    )
    password = fields.String(
        load_only=True, metadata={"description": "optional; without one, no password sign-in"}
    )

    @ma.validates_schema
    def _account_or_domain(self, data, **_kwargs):
        if data.get("account_id") is not None and data.get("domain_id") is not None:
            raise ma.ValidationError(
                "Give account_id or domain_id, not both: a customer user's domain is its "
                "account's.",
                field_name="domain_id",
            )


# --- roles ------------------------------------------------------------------------------


class RoleSchema(ma.Schema):
    """A role: the roles it contains and the table rights it grants."""

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    label = fields.String(dump_only=True)
    description = fields.String(dump_only=True)
    external = fields.Boolean(dump_only=True, metadata={"description": "for customer users"})
    plugin = fields.String(
        dump_only=True, metadata={"description": "the declaring plugin; empty for admins' roles"}
    )
    contains = _names(metadata={"description": "names of contained roles"})
    rights = RightsField(dump_only=True)


class RoleUpdateSchema(ma.Schema):
    """Fields of an admin-made role that PATCH changes."""

    name = fields.String()
    label = fields.String()
    description = fields.String()
    external = fields.Boolean()
    contains = fields.List(fields.String(), metadata={"description": "role names"})
    rights = RightsField()


class RoleCreateSchema(RoleUpdateSchema):
    """A new role."""

    name = fields.String(required=True)


# --- domains and accounts ---------------------------------------------------------------


class DomainSchema(ma.Schema):
    """A domain: a tenant, or a provider above its tenants."""

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    parent_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)


class DomainUpdateSchema(ma.Schema):
    """Fields of a domain that PATCH changes."""

    name = fields.String()


class DomainCreateSchema(DomainUpdateSchema):
    """A new domain, below ``parent_id`` (default: the caller's domain)."""

    name = fields.String(required=True)
    parent_id = fields.Integer(allow_none=True)


class AccountSchema(ma.Schema):
    """A customer company."""

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    domain_id = fields.Integer(dump_only=True)
    active = fields.Boolean(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)


class AccountUpdateSchema(ma.Schema):
    """Fields of an account that PATCH changes."""

    name = fields.String()
    active = fields.Boolean()


class AccountCreateSchema(ma.Schema):
    """A new account in ``domain_id`` (default: the caller's domain)."""

    name = fields.String(required=True)
    domain_id = fields.Integer(allow_none=True)


# --- tokens -----------------------------------------------------------------------------


class TokenSchema(ma.Schema):
    """A personal API token, without its secret."""

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    prefix = fields.String(dump_only=True, metadata={"description": "the token's first characters"})
    user_id = fields.Integer(dump_only=True)
    domain_id = fields.Integer(dump_only=True)
    active = fields.Boolean(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    last_used_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    revoked_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class TokenCreatedSchema(TokenSchema):
    """A token just made, with its text: shown in this answer only, never again."""

    token = fields.String(dump_only=True)


class TokenCreateSchema(ma.Schema):
    """A new token of the caller."""

    name = fields.String(required=True)


# --- case types -------------------------------------------------------------------------


class StateMapSchema(ma.Schema):
    """A field the state drives: its default per state, and the values allowed besides."""

    field = fields.String(dump_only=True, metadata={"description": "e.g. `stage`"})
    defaults = fields.Dict(keys=fields.String(), values=fields.String(), dump_only=True,
                           metadata={"description": "state -> the field's default value"})
    alternatives = fields.List(fields.String(), dump_only=True)
    alternatives_not_in = fields.List(
        fields.String(), dump_only=True,
        metadata={"description": "states in which no alternative is allowed"})
    allowed = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                          dump_only=True,
                          metadata={"description": "state -> the values the field may hold"})


class CaseTypeSchema(ma.Schema):
    """A case type: number prefix, record table, states and the fields its state drives."""

    key = fields.String(dump_only=True)
    label = fields.String(dump_only=True)
    prefix = fields.String(dump_only=True, metadata={"description": "the cases' number prefix"})
    record_type = fields.String(dump_only=True, allow_none=True,
                                metadata={"description": "the table of the cases"})
    states = fields.List(fields.String(), dump_only=True)
    initial_state = fields.String(dump_only=True, allow_none=True)
    state_field = fields.String(dump_only=True)
    maps = fields.List(fields.Nested(StateMapSchema), dump_only=True)


# --- playbooks --------------------------------------------------------------------------


class PlaybookSchema(ma.Schema):
    """A playbook by its newest (or a chosen) version."""

    key = fields.String(dump_only=True)
    label = fields.String(dump_only=True)
    version = fields.Integer(dump_only=True)
    source = fields.String(dump_only=True, metadata={"description": "`plugin:<name>` or who "
                                                                    "loaded it"})
    created_at = fields.AwareDateTime(dump_only=True)
    versions = fields.Integer(dump_only=True, metadata={"description": "versions stored"})

    def get_attribute(self, obj, attr, default):
        """Count ``versions`` of the playbook's key."""
        if attr == "versions":
            return version_count(obj.key)
        return super().get_attribute(obj, attr, default)


class PlaybookDetailSchema(PlaybookSchema):
    """One version of a playbook with its definition."""

    checksum = fields.String(dump_only=True)
    data = fields.Dict(dump_only=True, metadata={"description": "the definition"})


class PlaybookStoredSchema(PlaybookDetailSchema):
    """The version newest after a load, and whether the load added it."""

    created = fields.Boolean(dump_only=True,
                             metadata={"description": "false: unchanged, nothing stored"})


class PlaybookDefinitionSchema(ma.Schema):
    """A playbook definition, as core's ``playbook.schema.json`` describes it."""

    class Meta:
        """Keep every field: the definition is checked as a whole, by JSON path."""

        unknown = ma.INCLUDE

    key = fields.Raw()
    label = fields.Raw()
    stages = fields.Raw()


class ValidSchema(ma.Schema):
    """The definition is valid."""

    valid = fields.Boolean(dump_only=True)


class PlaybookVersionArgsSchema(ma.Schema):
    """Which version of a playbook to read."""

    version = fields.Integer(metadata={"description": "default: the newest"})


class PlaybookInstanceSchema(ma.Schema):
    """A playbook running for one record."""

    id = fields.Integer(dump_only=True)
    playbook = fields.String(attribute="version.key", dump_only=True)
    version = fields.Integer(attribute="version.version", dump_only=True)
    label = fields.String(attribute="version.label", dump_only=True)
    record_type = fields.String(dump_only=True)
    record_id = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True, metadata={"description": "active, complete, canceled"})
    current_stage = fields.String(dump_only=True, allow_none=True)
    started_at = fields.AwareDateTime(dump_only=True)
    completed_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class PlaybookActivitySchema(ma.Schema):
    """An activity of a running playbook, with the schema its input must satisfy."""

    id = fields.Integer(dump_only=True)
    key = fields.String(dump_only=True)
    label = fields.String(dump_only=True)
    stage = fields.String(attribute="stage_key", dump_only=True)
    definition = fields.String(attribute="definition_key", dump_only=True)
    state = fields.String(dump_only=True,
                          metadata={"description": "pending, in_progress, complete, skipped"})
    optional = fields.Boolean(dump_only=True)
    responsibility = fields.String(dump_only=True, allow_none=True)
    input = fields.Dict(dump_only=True)
    skip_reason = fields.String(dump_only=True, allow_none=True)
    started_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    completed_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    input_schema = fields.Dict(
        dump_only=True, allow_none=True,
        metadata={"description": "JSON Schema of the input; null when its plugin is missing"})

    def get_attribute(self, obj, attr, default):
        """Read ``input_schema`` from the installed activity definition."""
        if attr == "input_schema":
            definitions = current_app.extensions["onward"].registries.activity_definitions
            definition = definitions.get(obj.definition_key)
            return dict(definition.input_schema) if definition else None
        return super().get_attribute(obj, attr, default)


class PlaybookLogEntrySchema(ma.Schema):
    """One step of a playbook instance."""

    action = fields.String(dump_only=True, metadata={"description": "e.g. `activity.completed`"})
    activity = fields.String(attribute="activity.key", dump_only=True, allow_none=True)
    message = fields.String(dump_only=True)
    data = fields.Dict(dump_only=True)
    actor_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)


class PlaybookInstanceDetailSchema(PlaybookInstanceSchema):
    """A playbook instance with its activities and its log, oldest step first."""

    activities = fields.List(fields.Nested(PlaybookActivitySchema), dump_only=True)
    log = fields.List(fields.Nested(PlaybookLogEntrySchema), dump_only=True)

    def get_attribute(self, obj, attr, default):
        """Read ``log`` through the engine."""
        if attr == "log":
            return log_of(obj)
        return super().get_attribute(obj, attr, default)


class RecordArgsSchema(ma.Schema):
    """The record whose playbooks are listed."""

    class Meta:
        """The list's own arguments (``page`` …) pass through."""

        unknown = ma.EXCLUDE

    record_type = fields.String(required=True, metadata={"description": "the record's table"})
    record_id = fields.Integer(required=True)


class PlaybookStartSchema(ma.Schema):
    """Start a playbook for a record."""

    record_type = fields.String(required=True, metadata={"description": "the record's table"})
    record_id = fields.Integer(required=True)
    playbook = fields.String(required=True, metadata={"description": "the playbook's key"})


class ActivityInputSchema(ma.Schema):
    """What is entered for an activity."""

    input = fields.Dict(load_default=dict,
                        metadata={"description": "checked against the activity's input_schema"})


# --- jobs -------------------------------------------------------------------------------


class JobRunSchema(ma.Schema):
    """One run of a job: how far it got and how it ended."""

    id = fields.Integer(dump_only=True)
    key = fields.String(dump_only=True)
    label = fields.String(dump_only=True)
    status = fields.String(dump_only=True,
                           metadata={"description": "queued, running, succeeded, failed"})
    progress = fields.Integer(dump_only=True, metadata={"description": "0 to 100"})
    message = fields.String(dump_only=True)
    arguments = fields.Dict(dump_only=True)
    result = fields.Raw(dump_only=True, allow_none=True)
    error = fields.String(dump_only=True, allow_none=True)
    scheduled = fields.Boolean(dump_only=True,
                               metadata={"description": "started by the scheduler"})
    requested_by_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)
    started_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    finished_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    done = fields.Boolean(dump_only=True, metadata={"description": "succeeded or failed"})


class JobCreateSchema(ma.Schema):
    """A run of a job type."""

    key = fields.String(required=True, metadata={"description": "the job type"})
    arguments = fields.Dict(keys=fields.String(), load_default=dict)


class JobScheduleSchema(ma.Schema):
    """A scheduled job: when it runs next, and whether it runs at all."""

    key = fields.String(dump_only=True)
    label = fields.String(dump_only=True)
    schedule = fields.String(dump_only=True, metadata={"description": "a cron expression"})
    active = fields.Boolean(dump_only=True)
    next_run_at = fields.AwareDateTime(dump_only=True)
    last_run_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    last_run_id = fields.Integer(dump_only=True, allow_none=True)

    def get_attribute(self, obj, attr, default):
        """Read ``label`` and ``schedule`` from the registered job type."""
        if attr in ("label", "schedule"):
            job = current_app.extensions["onward"].registries.jobs.get(obj.key)
            return getattr(job, attr, None)
        return super().get_attribute(obj, attr, default)


class JobScheduleUpdateSchema(ma.Schema):
    """Turn a scheduled job on or off."""

    active = fields.Boolean(required=True)
