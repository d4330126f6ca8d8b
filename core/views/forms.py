"""Forms of core's pages (Flask-WTF: every form carries its CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget


class SignInForm(FlaskForm):
    """Email and password."""

    email = StringField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me signed in on this device")


class CodeForm(FlaskForm):
    """A TOTP code from the authenticator app, or a recovery code."""

    code = StringField("Code", validators=[DataRequired(), Length(max=20)])


class PasswordForm(FlaskForm):
    """Change one's own password."""

    current = PasswordField("Current password", validators=[DataRequired()])
    password = PasswordField("New password", validators=[DataRequired()])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
    )


class TokenForm(FlaskForm):
    """Name a new API token."""

    name = StringField("Token name", validators=[DataRequired(), Length(max=120)])


class ConfirmForm(FlaskForm):
    """A bare form for buttons that change state (sign out everywhere, revoke …)."""


# --- admin pages ------------------------------------------------------------------------


def optional_int(value: object) -> int | None:
    """Coerce a picker's value: an id, or ``None`` for the empty choice."""
    return int(value) if value not in (None, "", "None") else None


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    """A user's email, name and roles (the edit page)."""

    email = StringField("Email", validators=[DataRequired(), Length(max=254)])
    name = StringField("Full name", validators=[Length(max=200)])
    roles = CheckboxesField("Roles", coerce=str)


class NewUserForm(UserForm):
    """A new user: internal staff in a domain, or a customer contact of an account."""

    kind = RadioField(
        "Kind",
        choices=[SelectChoice("internal", "Staff"), SelectChoice("customer", "Customer contact")],
        default="internal",
        validators=[InputRequired()],
    )
    account = SelectField("Account", coerce=optional_int)
    domain = SelectField("Domain", coerce=optional_int)
    password = PasswordField("Initial password", validators=[Optional()])

    def validate_account(self, field: SelectField) -> None:
        """A customer contact belongs to an account."""
        if self.kind.data == "customer" and field.data is None:
            raise ValidationError("Choose the customer's account.")

    def validate_domain(self, field: SelectField) -> None:
        """Staff work in a domain."""
        if self.kind.data == "internal" and field.data is None:
            raise ValidationError("Choose the domain the user works in.")


class SetPasswordForm(FlaskForm):
    """An administrator sets someone's password."""

    password = PasswordField("New password", validators=[DataRequired()])
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
    )


class RoleForm(FlaskForm):
    """An admin-made role; its rights grid is read from the request by the view."""

    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    label = StringField("Label", validators=[Length(max=120)])
    description = TextAreaField("Description")
    external = BooleanField("For customer contacts (external role)")
    contains = CheckboxesField("Contains the roles", coerce=str)


class DomainForm(FlaskForm):
    """A domain's name."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])


class NewDomainForm(DomainForm):
    """A new domain, below a parent the admin can see."""

    parent = SelectField("Parent domain", coerce=optional_int, validators=[InputRequired()])


class AccountForm(FlaskForm):
    """An account's name and whether it is active."""

    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    active = BooleanField("Active")


class NewAccountForm(FlaskForm):
    """A new account in a domain."""

    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    domain = SelectField("Domain", coerce=optional_int, validators=[InputRequired()])
