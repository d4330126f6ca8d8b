"""The forms of the guided case pages (agents) and of the portal's guided case (customers).

They render the fields and carry the CSRF token; :mod:`.guided` checks the values.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from onward import User, choices
from onward.plugins.onboarding.forms import optional_id, options
from onward.plugins.onboarding.guided_models import APPROVAL_STATUSES, CHANNELS, DOCUMENT_KINDS


def _user_label(user: User) -> str:
    return f"{user.name} ({user.email})" if user.name else user.email


class GuidedCaseForm(FlaskForm):
    """The basic customer information and the case's details."""

    channel = SelectField("Channel", choices=options(CHANNELS))
    customer_name = StringField("Customer name", validators=[Length(max=120)])
    customer_email = StringField("Customer email", validators=[Length(max=254)])
    customer_phone = StringField("Customer phone", validators=[Length(max=40)])
    short_description = StringField("Short description", validators=[Length(max=160)])
    description = TextAreaField("Description")
    approval_status = SelectField("Approval status", choices=options(APPROVAL_STATUSES))


class NewGuidedCaseForm(GuidedCaseForm):
    """A new case on behalf of a customer user (name and email default to the user's)."""

    contact_id = SelectField("Customer", coerce=optional_id, validators=[DataRequired(
        message="Choose the customer the case is for.")])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.approval_status
        self.contact_id.choices = choices(User, _user_label, order_by=User.email,
                                          where=[User.account_id.is_not(None)],
                                          blank="Choose a customer")


class AssignForm(FlaskForm):
    """Assign to yourself, or offer the case to another agent."""

    assignee_id = SelectField("Assign to", coerce=optional_id)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.assignee_id.choices = choices(User, _user_label, order_by=User.email,
                                           where=[User.account_id.is_(None)])


class MemberForm(FlaskForm):
    """An additional contact of the application."""

    name = StringField("Name", validators=[Length(max=120)])
    email = StringField("Email", validators=[Length(max=254)])
    phone = StringField("Phone", validators=[Length(max=40)])
    relation = StringField("Relation", validators=[Length(max=80)],
                           description="e.g. co-applicant, guarantor")


class DocumentForm(FlaskForm):
    """A document the customer sent."""

    kind = SelectField("Kind", choices=options(DOCUMENT_KINDS))
    file = FileField("File")


class NoteForm(FlaskForm):
    """A note: what the finished step found, or why a document is invalid."""

    note = StringField("Note")


class SolutionForm(FlaskForm):
    """The solution proposed to the customer."""

    solution = TextAreaField("Solution")


class RejectForm(FlaskForm):
    """Why the customer rejects the solution."""

    reason = TextAreaField("Why does this solution not suit you?")
