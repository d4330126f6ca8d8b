"""Forms of core's pages (Flask-WTF: every form carries its CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


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
