"""Users: create, change roles and passwords, deactivate. The UI, API and CLI call these."""

from __future__ import annotations

import secrets

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from onward.core import auth
from onward.core.access import require, require_grant
from onward.core.db import db
from onward.core.errors import Conflict, NotFound, ValidationFailed
from onward.core.models import Account, Domain, Role, User
from onward.core.passwords import hash_password
from onward.core.tenancy import actor_domain


def normalise_email(email: str) -> str:
    """The email address, checked and lower-cased.

    Raises:
        ValidationFailed: not an email address.
    """
    try:
        result = validate_email((email or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed(f"{email!r} is not a valid email address: {exc}",
                               fields={"email": [str(exc)]}) from None
    return result.normalized.lower()


def roles_by_name(names: list[str] | tuple[str, ...]) -> list[Role]:
    """The roles called ``names``; an unknown name is an error naming it."""
    names = [name.strip() for name in names if name.strip()]
    rows = db.session.scalars(select(Role).where(Role.name.in_(names)))
    found = {role.name: role for role in rows}
    missing = [name for name in names if name not in found]
    if missing:
        raise ValidationFailed(
            f"Unknown role {missing[0]!r}.", fields={"roles": [f"Unknown role {missing[0]!r}."]}
        )
    return [found[name] for name in dict.fromkeys(names)]


def _check_role_audience(user: User, roles: list[Role]) -> None:
    wrong = [role.name for role in roles if role.external != user.is_customer]
    if wrong:
        kind = "customer users" if not user.is_customer else "internal users"
        message = f"Role {wrong[0]!r} is for {kind} only."
        raise ValidationFailed(message, fields={"roles": [message]})


def create_user(
    email: str,
    *,
    name: str = "",
    roles: list[str] | tuple[str, ...] = (),
    account: Account | None = None,
    domain: Domain | None = None,
    password: str | None = None,
) -> User:
    """Make a user: a customer user when ``account`` is given, else internal staff.

    Raises:
        ValidationFailed: bad email, unknown or misplaced role, weak password.
        Conflict: the email is taken.
    """
    email = normalise_email(email)
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(f"A user with email {email} exists already.", fields={"email": ["Taken."]})
    if account is not None:
        domain = account.domain
    domain = domain or actor_domain()
    user = User(
        email=email,
        name=(name or "").strip()[:200],
        domain_id=domain.id,
        account_id=account.id if account else None,
    )
    require("create", user)
    role_records = roles_by_name(list(roles))
    _check_role_audience(user, role_records)
    require_grant({role.name for role in role_records})
    user.roles = role_records
    if password:
        user.password_hash = hash_password(password, email=email)
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user: User, *, name: str | None = None, email: str | None = None) -> User:
    """Change a user's name or email."""
    require("write", user)
    if name is not None:
        user.name = name.strip()[:200]
    if email is not None:
        email = normalise_email(email)
        clash = db.session.scalar(
            select(User.id).where(User.email == email, User.id != user.id)
        )
        if clash:
            raise Conflict(
                f"A user with email {email} exists already.", fields={"email": ["Taken."]}
            )
        user.email = email
    return user


def set_roles(user: User, roles: list[str] | tuple[str, ...]) -> User:
    """Replace a user's roles (only roles the actor holds may be added or taken away)."""
    require("write", user)
    role_records = roles_by_name(list(roles))
    _check_role_audience(user, role_records)
    require_grant({role.name for role in role_records} ^ {role.name for role in user.roles})
    user.roles = role_records
    return user


def set_password(user: User, password: str, *, by_self: bool = False) -> None:
    """Set a new password and end every other session of the user.

    ``by_self`` is for the profile page, where the user changes its own password
    (having typed the current one) without a right on the user table.
    """
    if not by_self:
        require("write", user)
    user.password_hash = hash_password(password, email=user.email)
    auth.end_all_sessions(user)


def generate_password() -> str:
    """A strong random password, for users created without one."""
    return secrets.token_urlsafe(15)


def deactivate(user: User) -> None:
    """Deactivate a user: every session and API token stops working at once."""
    require("write", user)
    user.active = False
    auth.end_all_sessions(user)


def reactivate(user: User) -> None:
    """Let a deactivated user sign in again."""
    require("write", user)
    user.active = True


def user_by_email(email: str) -> User:
    """The user with ``email`` that the actor may see."""
    from onward.core.access import scoped

    user = db.session.scalar(scoped(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"No user with email {email!r}.")
    return user
