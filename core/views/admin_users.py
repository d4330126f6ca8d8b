"""Admin pages for users: list, create, edit, roles, password, (de)activate, history."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from onward.core import lists, users
from onward.core.access import get_or_404, has_right, require, scoped
from onward.core.actor import current_actor
from onward.core.db import db
from onward.core.models import Account, Domain, Role, User
from onward.core.views import blueprint
from onward.core.views.forms import (
    ConfirmForm,
    NewUserForm,
    SetPasswordForm,
    UserForm,
)
from onward.core.views.pages import (
    choices,
    form_status,
    list_page,
    post_action,
    record_history,
    submit_form,
)


def _role_choices(form: UserForm, user: User | None = None) -> UserForm:
    """Offer the roles the actor can read; without that right the form has no roles field.

    For a new user, every role, each shown only for its kind (``data-show-when``); for an
    existing user, the roles of its audience.
    """
    if not has_right(current_actor(), "read", Role.__tablename__):
        del form.roles
        return form
    stmt = scoped(Role).order_by(Role.external, Role.name)
    if user is not None:
        stmt = stmt.where(Role.external.is_(user.is_customer))
    form.roles.choices = [
        SelectChoice(role.name, role.label or role.name,
                     {"data-show-when": "kind:customer" if role.external else "kind:internal"})
        for role in db.session.scalars(stmt)
    ]
    return form


def _picked_roles(form: UserForm) -> list[str] | None:
    """The roles ticked on the form; ``None`` when the form offers none to pick."""
    return form.roles.data if "roles" in form else None


@blueprint.route("/admin/users", endpoint="users")
@login_required
def users_list():
    """Users the actor can see: search by email or name, sort, filter by status."""
    return list_page(
        User, lists.USERS, "core/users.html",
        options=[selectinload(User.roles), selectinload(User.account), selectinload(User.domain)],
    )


@blueprint.route("/admin/users/new", methods=["GET", "POST"])
@login_required
def user_new():
    """Make a staff user in a domain, or a customer contact of an account."""
    require("create", User)
    form = _role_choices(NewUserForm())
    form.account.choices = choices(
        Account, lambda a: f"{a.name} ({a.domain.name})", order_by=Account.name,
        where=[Account.active.is_(True)], blank="Choose an account…",
    )
    form.domain.choices = choices(Domain, order_by=Domain.name, blank="Choose a domain…")
    if not form.is_submitted():  # a link from an account's page names the account
        form.domain.data = current_user.domain_id
        form.account.data = request.args.get("account", type=int)
        if form.account.data is not None:
            form.kind.data = "customer"

    def create() -> User:
        customer = form.kind.data == "customer"
        return users.create_user(
            form.email.data,
            name=form.name.data,
            roles=_picked_roles(form) or (),
            account=get_or_404(Account, form.account.data) if customer else None,
            domain=None if customer else get_or_404(Domain, form.domain.data),
            password=form.password.data or None,
        )

    def done(user: User):
        flash(f"User {user.email} is created.", "success")
        return redirect(url_for("core.user_edit", user_id=user.id))

    return submit_form(
        form, create, done, lambda: (render_template("core/user_new.html", form=form),
                                     form_status(form)),
    )


def _user_form(user: User, *, posted: bool) -> UserForm:
    """The edit form: as posted, or filled from the record (never from another form's post)."""
    if posted:
        form = UserForm()
    else:
        form = UserForm(formdata=None, obj=user, roles=[role.name for role in user.roles])
    return _role_choices(form, user)


def _user_page(user: User, form: UserForm, password_form: SetPasswordForm | None = None):
    """The user's page: the edit form, password, status and history."""
    password_form = password_form or SetPasswordForm(prefix="pw")
    return render_template(
        "core/user_edit.html", user=user, form=form,
        password_form=password_form, confirm_form=ConfirmForm(), history=record_history(user),
    ), form_status(form, password_form)


@blueprint.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user_edit(user_id: int):
    """Change a user's name, email and roles; shows sign-in details and history."""
    user = get_or_404(User, user_id)
    form = _user_form(user, posted=request.method == "POST")

    def save() -> User:
        users.update_user(user, name=form.name.data, email=form.email.data)
        roles = _picked_roles(form)
        return users.set_roles(user, roles) if roles is not None else user

    def done(saved: User):
        flash(f"User {saved.email} is saved.", "success")
        return redirect(url_for("core.user_edit", user_id=saved.id))

    return submit_form(form, save, done, lambda: _user_page(user, form))


@blueprint.route("/admin/users/<int:user_id>/password", methods=["POST"])
@login_required
def user_password(user_id: int):
    """Set a user's password; every session of the user ends."""
    user = get_or_404(User, user_id)
    form = SetPasswordForm(prefix="pw")

    def done(_result):
        flash(f"The password of {user.email} is set; its sessions are signed out.", "success")
        return redirect(url_for("core.user_edit", user_id=user.id))

    return submit_form(form, lambda: users.set_password(user, form.password.data), done,
                       lambda: _user_page(user, _user_form(user, posted=False), form))


def _change_status(user_id: int, change, message: str):
    user = get_or_404(User, user_id)
    return post_action(lambda: change(user), message=message.format(user=user.email),
                       back=url_for("core.user_edit", user_id=user.id))


@blueprint.route("/admin/users/<int:user_id>/deactivate", methods=["POST"])
@login_required
def user_deactivate(user_id: int):
    """Deactivate a user: its sessions and API tokens stop working at once."""
    return _change_status(user_id, users.deactivate, "{user} is deactivated and signed out.")


@blueprint.route("/admin/users/<int:user_id>/reactivate", methods=["POST"])
@login_required
def user_reactivate(user_id: int):
    """Let a deactivated user sign in again."""
    return _change_status(user_id, users.reactivate, "{user} can sign in again.")
