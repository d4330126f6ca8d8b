"""How onboarding cases and tasks look in the JSON API."""

import marshmallow as ma
from marshmallow import fields, validate

from onward.plugins.onboarding import journal
from onward.plugins.onboarding.casetypes import CASE_STAGES, TASK_PROGRESS
from onward.plugins.onboarding.models import INTEGRATIONS, ONBOARDING_TYPES, TASK_TYPES


class OnboardingCaseSchema(ma.Schema):
    """An account onboarding case."""

    id = fields.Integer(dump_only=True)
    number = fields.String(dump_only=True)
    account_id = fields.Integer(dump_only=True)
    contact_id = fields.Integer(allow_none=True)
    assigned_to_id = fields.Integer(allow_none=True)
    integration = fields.String(validate=validate.OneOf(list(INTEGRATIONS)))
    onboarding_type = fields.String(validate=validate.OneOf(list(ONBOARDING_TYPES)))
    go_live_date = fields.Date(allow_none=True)
    days_remaining = fields.Integer(dump_only=True, allow_none=True)
    state = fields.String(validate=validate.OneOf(list(CASE_STAGES)))
    stage = fields.String()
    priority = fields.Integer(validate=validate.Range(1, 4))
    short_description = fields.String(validate=validate.Length(max=160))
    description = fields.String()
    parent_id = fields.Integer(dump_only=True, allow_none=True)
    #: the catalogue products to onboard (products of the account's domain)
    product_ids = fields.List(fields.Integer())
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class OnboardingCaseCreateSchema(OnboardingCaseSchema):
    """A new case: the account is required."""

    account_id = fields.Integer(required=True)
    parent_id = fields.Integer(allow_none=True)


class OnboardingTaskSchema(ma.Schema):
    """A case task."""

    id = fields.Integer(dump_only=True)
    number = fields.String(dump_only=True)
    case_id = fields.Integer(dump_only=True)
    account_id = fields.Integer(dump_only=True)
    subject = fields.String(validate=validate.Length(min=1, max=160))
    description = fields.String()
    task_type = fields.String(validate=validate.OneOf(list(TASK_TYPES)))
    state = fields.String(validate=validate.OneOf(list(TASK_PROGRESS)))
    progress = fields.String()
    priority = fields.Integer(validate=validate.Range(1, 4))
    due_date = fields.Date(allow_none=True)
    days_remaining = fields.Integer(dump_only=True, allow_none=True)
    overdue = fields.Boolean(dump_only=True)
    responsibility = fields.String(allow_none=True)
    assigned_to_id = fields.Integer(allow_none=True)
    contact_id = fields.Integer(allow_none=True)
    visible_to_customer = fields.Boolean()
    close_notes = fields.String()
    #: the tasks of the same case to close before this one
    prerequisite_ids = fields.List(fields.Integer())
    created_at = fields.AwareDateTime(dump_only=True)


class OnboardingTaskCreateSchema(OnboardingTaskSchema):
    """A new task: its case and subject are required."""

    case_id = fields.Integer(required=True)
    subject = fields.String(required=True, validate=validate.Length(min=1, max=160))


class JournalEntrySchema(ma.Schema):
    """An additional comment or a work note of a task."""

    id = fields.Integer(dump_only=True)
    kind = fields.String(dump_only=True, metadata={"description": "`comments` or `work_notes`"})
    body = fields.String(dump_only=True)
    author = fields.Function(journal.author_name, dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)


class JournalTextSchema(ma.Schema):
    """What to write in a task's journal."""

    text = fields.String(required=True)
