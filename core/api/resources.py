"""Core's API resources: users, roles, domains, accounts, tokens and the caller (``/me``).

Each resource follows the conventions of :mod:`onward.core.api.conventions`; the writes
call core's services (users, tenancy, roles, tokens), which check rights.
"""

from __future__ import annotations

import flask_smorest

from onward.core import roles, tenancy, tokens, users
from onward.core.access import effective_roles
from onward.core.actor import current_actor
from onward.core.api import schemas
from onward.core.api.conventions import (
    add_resource,
    dump,
    errors,
    reference,
    success,
)
from onward.core.db import db
from onward.core.lists import ACCOUNTS, DOMAINS, ROLES, TOKENS, USERS
from onward.core.models import Account, ApiToken, Domain, Role, User

blueprint = flask_smorest.Blueprint(
    "core_api", __name__, url_prefix="",
    description="Users, roles, domains, accounts, tokens, case types, playbooks, jobs",
)


# --- users ------------------------------------------------------------------------------


def create_user(data: dict) -> User:
    """Create a customer user of ``account_id``, or staff in ``domain_id`` (default: yours)."""
    return users.create_user(
        data["email"],
        name=data.get("name", ""),
        roles=data.get("roles", ()),
        account=reference(Account, data.get("account_id"), "account_id"),
        domain=reference(Domain, data.get("domain_id"), "domain_id"),
        password=data.get("password"),
    )


def update_user(user: User, data: dict) -> None:
    """Change name, email or roles; ``active: false`` deactivates (sessions and tokens end)."""
    users.update_user(user, name=data.get("name"), email=data.get("email"))
    if "roles" in data:
        users.set_roles(user, data["roles"])
    if data.get("active", user.active) != user.active:
        (users.reactivate if data["active"] else users.deactivate)(user)


add_resource(
    blueprint, "/users", User, schemas.UserSchema, USERS,
    create=(schemas.UserCreateSchema, create_user),
    update=(schemas.UserUpdateSchema, update_user),
)


@blueprint.route("/me", methods=["GET"], endpoint="me")
@success(blueprint, 200, schemas.MeSchema)
@errors(blueprint, 401)
def me():
    """Who you are.

    Your user record, and every role you hold directly or through contained roles.
    """
    user = current_actor()
    return {**dump(schemas.MeSchema(), user, User),
            "effective_roles": sorted(effective_roles(user))}


# --- roles ------------------------------------------------------------------------------


def create_role(data: dict) -> Role:
    """Create a role with the roles it contains and its table rights."""
    return roles.save_role(None, **data)


def update_role(role: Role, data: dict) -> None:
    """Change the fields sent (rights stay unless sent); a plugin's declared role is 409."""
    current = {
        "name": role.name,
        "label": role.label,
        "description": role.description,
        "external": role.external,
        "contains": [contained.name for contained in role.contains],
    }
    roles.save_role(role, **{**current, **data})


add_resource(
    blueprint, "/roles", Role, schemas.RoleSchema, ROLES,
    create=(schemas.RoleCreateSchema, create_role),
    update=(schemas.RoleUpdateSchema, update_role),
    delete=roles.delete_role,
)


# --- domains and accounts ---------------------------------------------------------------


def create_domain(data: dict) -> Domain:
    """Create a domain below ``parent_id`` (default: your domain)."""
    parent = reference(Domain, data.get("parent_id"), "parent_id")
    return tenancy.create_domain(data["name"], parent=parent)


def update_domain(domain: Domain, data: dict) -> None:
    """Rename a domain."""
    tenancy.update_domain(domain, name=data.get("name"))


def create_account(data: dict) -> Account:
    """Create an account in ``domain_id`` (default: your domain)."""
    domain = reference(Domain, data.get("domain_id"), "domain_id")
    return tenancy.create_account(data["name"], domain=domain)


def update_account(account: Account, data: dict) -> None:
    """Rename an account, or (de)activate it."""
    tenancy.update_account(account, name=data.get("name"), active=data.get("active"))


add_resource(
    blueprint, "/domains", Domain, schemas.DomainSchema, DOMAINS,
    create=(schemas.DomainCreateSchema, create_domain),
    update=(schemas.DomainUpdateSchema, update_domain),
    delete=tenancy.delete_domain,
)
add_resource(
    blueprint, "/accounts", Account, schemas.AccountSchema, ACCOUNTS,
    create=(schemas.AccountCreateSchema, create_account),
    update=(schemas.AccountUpdateSchema, update_account),
    delete=tenancy.delete_account,
)


# --- tokens -----------------------------------------------------------------------------

# Lists, reads and revokes (DELETE) the caller's tokens, and those in an admin's domains.
add_resource(blueprint, "/tokens", ApiToken, schemas.TokenSchema, TOKENS,
             delete=tokens.revoke_token)


@blueprint.route("/tokens", methods=["POST"], endpoint="tokens_create")
@blueprint.arguments(schemas.TokenCreateSchema)
@success(blueprint, 201, schemas.TokenCreatedSchema)
@errors(blueprint, 401, 422)
def create_token(data: dict):
    """Create a token of yours.

    The answer's ``token`` is the token text: shown this once, stored only as a hash.
    """
    token, text = tokens.create_token(current_actor(), data["name"])
    db.session.commit()
    return {**dump(schemas.TokenSchema(), token, ApiToken), "token": text}, 201


# The API of case types, playbooks and jobs adds its routes to this blueprint.
from onward.core.api import jobs, playbooks  # noqa: E402, F401
