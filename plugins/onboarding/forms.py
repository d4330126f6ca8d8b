"""The forms of the onboarding pages: a new case, a case's details, a task."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from onward import Account, User, can, choices
from onward.plugins.onboarding.casetypes import AT_RISK, CASE_STAGES, TASK_PROGRESS
from onward.plugins.onboarding.customer_data import OnboardingProduct
from onward.plugins.onboarding.journal import KINDS
from onward.plugins.onboarding.models import (
    INTEGRATIONS,
    ONBOARDING_TYPES,
    PRIORITIES,
    CaseTask,
    OnboardingCase,
)


def optional_id(value: object) -> int | None:
    """A picker's value: an id, or ``None`` for the empty choice."""
    return int(value) if value not in (None, "", "None") else None


def labelled(values) -> list[SelectChoice]:
    """Choices whose value is their label, without repeats, in order."""
    return [SelectChoice(value, value) for value in dict.fromkeys(values)]


def options(mapping) -> list[SelectChoice]:
    """Choices from a ``{value: label}`` mapping."""
    return [SelectChoice(value, label) for value, label in mapping.items()]


def _staff() -> list:
    """Internal users the actor may read, for an *assigned to* picker."""
    return choices(User, lambda user: user.name or user.email, order_by=User.email,
                   where=[User.account_id.is_(None)], blank="Unassigned")


def changes(form: FlaskForm, record: Any) -> dict[str, Any]:
    """The form's values that differ from ``record``'s, by field name (CSRF aside)."""
    return {name: field.data for name, field in form._fields.items()
            if name != "csrf_token" and field.data != getattr(record, name)}


class NewCaseForm(FlaskForm):
    """Open a case by hand, e.g. a phased onboarding of an existing account."""

    account_id = SelectField("Account", coerce=optional_id, validators=[DataRequired(
        message="Choose the account to onboard.")])
    onboarding_type = SelectField("Type", choices=options(ONBOARDING_TYPES))
    go_live_date = DateField("Go-live date", validators=[Optional()])
    short_description = StringField("Short description", validators=[Length(max=160)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account_id.choices = choices(Account, lambda account: account.name,
                                          order_by=Account.name, blank="Choose an account")


class CaseForm(FlaskForm):
    """A case's details, as the side panel of the case page edits them."""

    state = SelectField("State", choices=labelled(CASE_STAGES))
    stage = SelectField("Stage", choices=labelled([*CASE_STAGES.values(), AT_RISK]))
    assigned_to_id = SelectField("Assigned to", coerce=optional_id)
    integration = SelectField("Service Exchange integration", choices=options(INTEGRATIONS))
    onboarding_type = SelectField("Type", choices=options(ONBOARDING_TYPES))
    go_live_date = DateField("Go-live date", validators=[Optional()])
    priority = SelectField("Priority", coerce=int, choices=options(PRIORITIES))
    short_description = StringField("Short description", validators=[
        DataRequired(message="Describe the case in a few words."), Length(max=160)])
    description = TextAreaField("Description")
    product_ids = SelectMultipleField("Products", coerce=int)

    def __init__(self, case: OnboardingCase, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, obj=case, **kwargs)
        self.assigned_to_id.choices = _staff()
        if can("read", OnboardingProduct):
            self.product_ids.choices = choices(OnboardingProduct, order_by=OnboardingProduct.name)
        else:  # a reader of cases but not of the catalogue: neither shows nor clears products
            del self.product_ids


class TaskForm(FlaskForm):
    """A task's working fields."""

    state = SelectField("State", choices=labelled(TASK_PROGRESS))
    progress = SelectField("Progress", choices=labelled([*TASK_PROGRESS.values(), AT_RISK]))
    due_date = DateField("Due date", validators=[Optional()])
    assigned_to_id = SelectField("Assigned to", coerce=optional_id)
    contact_id = SelectField("Contact", coerce=optional_id)
    visible_to_customer = BooleanField("Visible to customer")
    close_notes = TextAreaField("Close notes")

    def __init__(self, task: CaseTask, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, obj=task, **kwargs)
        self.assigned_to_id.choices = _staff()
        self.contact_id.choices = choices(
            User, lambda user: user.name or user.email, order_by=User.email,
            where=[User.account_id == task.account_id], blank="No contact")


class CommentForm(FlaskForm):
    """An additional comment on a task (the portal); ``journal.add_entry`` checks it."""

    text = TextAreaField("Additional comment")


class JournalForm(FlaskForm):
    """A work note or an additional comment on a task (the agent's task page)."""

    kind = RadioField("Kind", choices=options(KINDS), default="work_notes")
    text = TextAreaField("Text")
