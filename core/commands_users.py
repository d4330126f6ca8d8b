"""``onward users``, ``onward tokens`` and ``onward roles``: who may sign in, and with what."""

from __future__ import annotations

import rich_click as click
from flask.cli import with_appcontext

from onward.core import lists, tokens, users
from onward.core.access import get_or_404, scoped
from onward.core.cli_support import (
    all_rows,
    json_option,
    password_stdin_option,
    print_rows,
    read_password,
    say,
    show_generated_password,
)
from onward.core.db import db
from onward.core.models import ApiToken, Role, User
from onward.core.tenancy import account_by_name, domain_by_name


@click.group("users")
def users_group():
    """Create users, set their roles and passwords, deactivate and reactivate them."""


def _user_row(user: User) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "account": user.account.name if user.account else None,
        "domain": user.domain.name,
        "roles": [role.name for role in user.roles],
        "active": user.active,
        "two_factor": user.totp_enabled,
        "last_sign_in_at": user.last_sign_in_at,
    }


def _roles_text(user: User) -> str:
    return ", ".join(role.name for role in user.roles) or "no roles"


@users_group.command("create")
@click.argument("email")
@click.option("--role", "roles", multiple=True, metavar="ROLE",
              help="A role to give the user; repeat for several.")
@click.option("--account", help="Make a customer user of this account.")
@click.option("--domain", help="The user's domain (default: the top domain); with --account, "
                               "the domain to find the account in.")
@click.option("--name", default="", help="The user's full name.")
@password_stdin_option
@with_appcontext
def users_create(email, roles, account, domain, name, password_stdin):
    """Create a user: a customer user with --account, else internal staff.

    Without --password-stdin a strong password is generated and printed once, on the
    last line.
    """
    password = read_password(password_stdin)
    domain_record = domain_by_name(domain) if domain else None
    user = users.create_user(
        email,
        name=name,
        roles=roles,
        account=account_by_name(account, domain_record) if account else None,
        domain=domain_record,
        password=password,
    )
    db.session.commit()
    kind = f"customer user of {user.account.name}" if user.account else "internal user"
    say(f"[green]Created[/] {kind} {user.email} (id {user.id}) in domain {user.domain.name} "
        f"with {_roles_text(user)}.")
    if not password_stdin:
        show_generated_password(password)


@users_group.command("list")
@click.option("--q", help="Only users whose email or name contains this text.")
@click.option("--account", help="Only the users of this account.")
@json_option
@with_appcontext
def users_list(q, account, as_json):
    """List the users, by email."""
    account_id = account_by_name(account).id if account else None
    rows = all_rows(scoped(User), lists.USERS, q=q, account_id=account_id)
    print_rows([_user_row(user) for user in rows], title="Users", as_json=as_json)


@users_group.command("set-roles")
@click.argument("email")
@click.argument("roles", nargs=-1, metavar="ROLE...")
@with_appcontext
def users_set_roles(email, roles):
    """Replace a user's roles with ROLE... (give none to remove every role)."""
    user = users.set_roles(users.user_by_email(email), roles)
    db.session.commit()
    say(f"[green]{user.email}[/] now has {_roles_text(user)}.")


@users_group.command("set-password")
@click.argument("email")
@password_stdin_option
@with_appcontext
def users_set_password(email, password_stdin):
    """Set a user's password and end all of its sessions.

    Without --password-stdin a strong password is generated and printed once, on the
    last line.
    """
    password = read_password(password_stdin)
    user = users.user_by_email(email)
    users.set_password(user, password)
    db.session.commit()
    say(f"[green]Password changed[/] for {user.email}; its sessions have ended.")
    if not password_stdin:
        show_generated_password(password)


@users_group.command("deactivate")
@click.argument("email")
@with_appcontext
def users_deactivate(email):
    """Deactivate a user: its sessions and API tokens stop working at once."""
    user = users.user_by_email(email)
    users.deactivate(user)
    db.session.commit()
    say(f"[yellow]Deactivated[/] {user.email}.")


@users_group.command("reactivate")
@click.argument("email")
@with_appcontext
def users_reactivate(email):
    """Let a deactivated user sign in again."""
    user = users.user_by_email(email)
    users.reactivate(user)
    db.session.commit()
    say(f"[green]Reactivated[/] {user.email}.")


@click.group("tokens")
def tokens_group():
    """Create, list and revoke personal API tokens."""


@tokens_group.command("create")
@click.argument("email")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@with_appcontext
def tokens_create(email, name):
    """Create an API token for a user; the token is printed once, on the last line."""
    user = users.user_by_email(email)
    token, text = tokens.create_token(user, name)
    db.session.commit()
    say(f"[green]Created[/] token {token.name!r} (id {token.id}) for {user.email}. "
        "It is shown once; store it now:")
    click.echo(text)


@tokens_group.command("list")
@click.argument("email", required=False)
@json_option
@with_appcontext
def tokens_list(email, as_json):
    """List API tokens (of one user when EMAIL is given), newest first."""
    user_id = users.user_by_email(email).id if email else None
    rows = [
        {
            "id": token.id,
            "user": token.user.email,
            "name": token.name,
            "prefix": token.prefix,
            "active": token.active,
            "created_at": token.created_at,
            "last_used_at": token.last_used_at,
            "revoked_at": token.revoked_at,
        }
        for token in all_rows(scoped(ApiToken), lists.TOKENS, user_id=user_id)
    ]
    print_rows(rows, title="API tokens", as_json=as_json)


@tokens_group.command("revoke")
@click.argument("token_id", metavar="ID", type=int)
@with_appcontext
def tokens_revoke(token_id):
    """Revoke the API token with id ID; it never works again."""
    token = get_or_404(ApiToken, token_id, right="write")
    tokens.revoke_token(token)
    db.session.commit()
    say(f"[yellow]Revoked[/] token {token.name!r} (id {token.id}) of {token.user.email}.")


@click.group("roles")
def roles_group():
    """Show the roles users can be given."""


@roles_group.command("list")
@json_option
@with_appcontext
def roles_list(as_json):
    """List the roles: who declared them, what they contain, their table rights."""
    rows = [
        {
            "name": role.name,
            "label": role.label,
            "external": role.external,
            "plugin": role.plugin,
            "contains": [contained.name for contained in role.contains],
            "rights": {right.table_name: right.letters for right in role.rights},
        }
        for role in all_rows(scoped(Role), lists.ROLES)
    ]
    print_rows(rows, title="Roles", as_json=as_json)
