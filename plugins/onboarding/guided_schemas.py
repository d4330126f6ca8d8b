"""How guided onboarding cases, their members and documents look in the JSON API."""

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from onward.plugins.onboarding.casetypes import GUIDED_STATES
from onward.plugins.onboarding.guided_models import (
    APPROVAL_STATUSES,
    CHANNELS,
    DOCUMENT_KINDS,
    DOCUMENT_STATUSES,
)


class GuidedCaseSchema(ma.Schema):
    """A guided onboarding case; the state moves only through the case's actions."""

    id = fields.Integer(dump_only=True)
    number = fields.String(dump_only=True)
    account_id = fields.Integer(dump_only=True)
    contact_id = fields.Integer(dump_only=True)
    channel = fields.String(validate=validate.OneOf(list(CHANNELS)))
    customer_name = fields.String(validate=validate.Length(max=120))
    customer_email = fields.String(validate=validate.Length(max=254))
    customer_phone = fields.String(validate=validate.Length(max=40))
    short_description = fields.String(validate=validate.Length(max=160))
    description = fields.String()
    state = fields.String(dump_only=True, validate=validate.OneOf(GUIDED_STATES))
    assigned_to_id = fields.Integer(dump_only=True, allow_none=True)
    pending_assignee_id = fields.Integer(dump_only=True, allow_none=True)
    step = fields.Integer(dump_only=True)
    approval_status = fields.String(validate=validate.OneOf(list(APPROVAL_STATUSES)))
    solution = fields.String(dump_only=True)
    rejection_reason = fields.String(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class GuidedCaseCreateSchema(GuidedCaseSchema):
    """A new (draft) case: the customer user it is for is required."""

    contact_id = fields.Integer(required=True)


class ProgressSchema(ma.Schema):
    """Step N of M, the current step, those done and those remaining."""

    step = fields.Integer()
    total = fields.Integer()
    current = fields.String()
    done = fields.List(fields.String())
    remaining = fields.List(fields.String())


class AssignSchema(ma.Schema):
    """Whom to assign the case to: oneself, or another agent who must accept."""

    assignee_id = fields.Integer(required=True)


class NoteSchema(ma.Schema):
    """What the agent found in the step just finished (kept as a work note)."""

    note = fields.String(load_default="")


class SolutionSchema(ma.Schema):
    """The solution proposed to the customer."""

    solution = fields.String(required=True)


class RejectSchema(ma.Schema):
    """Why the customer rejects the solution."""

    reason = fields.String(required=True)


class MemberSchema(ma.Schema):
    """An additional contact of the application."""

    id = fields.Integer(dump_only=True)
    case_id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    email = fields.String(validate=validate.Length(max=254))
    phone = fields.String(validate=validate.Length(max=40))
    relation = fields.String(validate=validate.Length(max=80))


class DocumentSchema(ma.Schema):
    """A document the customer sent (its bytes are not part of it)."""

    id = fields.Integer(dump_only=True)
    case_id = fields.Integer(dump_only=True)
    kind = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    content_type = fields.String(dump_only=True)
    size = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True, validate=validate.OneOf(list(DOCUMENT_STATUSES)))
    note = fields.String(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)


class DocumentUploadSchema(ma.Schema):
    """An upload (multipart): what the document is, and the file.

    The file is read from the request's files; this schema documents it.
    """

    kind = fields.String(required=True, validate=validate.OneOf(list(DOCUMENT_KINDS)))
    file = Upload(metadata={"description": "PDF, PNG, JPEG or plain text"})


class ReviewSchema(ma.Schema):
    """Why a document is invalid (required then; the customer is told)."""

    note = fields.String(load_default="")


class ChecklistItemSchema(ma.Schema):
    """A required document kind and its status (valid, received, invalid, missing)."""

    kind = fields.String()
    label = fields.String()
    status = fields.String()
    note = fields.String()


class ChecklistSchema(ma.Schema):
    """The document checklist of a case."""

    items = fields.List(fields.Nested(ChecklistItemSchema))
