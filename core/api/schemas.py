"""Marshmallow schemas of core's API: what users, roles, domains, accounts and tokens look like.

``<Thing>Schema`` dumps a record; ``<Thing>CreateSchema`` and ``<Thing>UpdateSchema``
load request bodies (every field of an update is optional: PATCH sends only what
changes). Fields are declared one by one, so nothing is exposed by accident: no password
hash, TOTP secret or token hash is ever in a schema.
"""

from __future__ import annotations

from collections.abc import Mapping

import marshmallow as ma
from marshmallow import fields


class _NameSchema(ma.Schema):
    name = fields.String()


def _names(**kwargs) -> fields.Pluck:
    """Related records (roles) as a list of their names."""
    return fields.Pluck(_NameSchema, "name", many=True, dump_only=True, **kwargs)


class RightsField(fields.Dict):
    """Table rights as ``{table: letters}``, letters from ``rcwd`` (``*`` = every table)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {"description": "table name (or `*`) -> rights `rcwd`"})
        super().__init__(keys=fields.String(), values=fields.String(), **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and not isinstance(value, Mapping):
            value = {right.table_name: right.letters for right in value}
        return super()._serialize(value, attr, obj, **kwargs)


# --- users ------------------------------------------------------------------------------


class UserSchema(ma.Schema):
    """A user (customer users read fewer fields)."""

    id = fields.Integer(dump_only=True)
    email = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    active = fields.Boolean(dump_only=True)
    totp_enabled = fields.Boolean(dump_only=True)
    roles = _names(metadata={"description": "role names"})
    account_id = fields.Integer(dump_only=True, allow_none=True)
    domain_id = fields.Integer(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    last_sign_in_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class MeSchema(UserSchema):
    """The caller, with every role it holds directly or through contained roles."""

    effective_roles = fields.List(fields.String(), dump_only=True)


class UserUpdateSchema(ma.Schema):
    """Fields of a user that PATCH changes; ``active: false`` deactivates."""

    name = fields.String()
    email = fields.String()
    roles = fields.List(fields.String(), metadata={"description": "role names"})
    active = fields.Boolean()


class UserCreateSchema(ma.Schema):
    """A new user: a customer user of ``account_id``, else staff in ``domain_id``."""

    email = fields.String(required=True)
    name = fields.String()
    roles = fields.List(fields.String(), metadata={"description": "role names"})
    account_id = fields.Integer(allow_none=True)
    domain_id = fields.Integer(
        allow_none=True, metadata={"description": "default: the caller's domain"}
    )
    password = fields.String(
        load_only=True, metadata={"description": "optional; without one, no password sign-in"}
    )

    @ma.validates_schema
    def _account_or_domain(self, data, **_kwargs):
        if data.get("account_id") is not None and data.get("domain_id") is not None:
            raise ma.ValidationError(
                "Give account_id or domain_id, not both: a customer user's domain is its "
                "account's.",
                field_name="domain_id",
            )


# --- roles ------------------------------------------------------------------------------


class RoleSchema(ma.Schema):
    """A role: the roles it contains and the table rights it grants."""

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    label = fields.String(dump_only=True)
    description = fields.String(dump_only=True)
    external = fields.Boolean(dump_only=True, metadata={"description": "for customer users"})
    plugin = fields.String(
        dump_only=True, metadata={"description": "the declaring plugin; empty for admins' roles"}
    )
    contains = _names(metadata={"description": "names of contained roles"})
    rights = RightsField(dump_only=True)


class RoleUpdateSchema(ma.Schema):
    """Fields of an admin-made role that PATCH changes."""

    name = fields.String()
    label = fields.String()
    description = fields.String()
    external = fields.Boolean()
    contains = fields.List(fields.String(), metadata={"description": "role names"})
    rights = RightsField()


class RoleCreateSchema(RoleUpdateSchema):
    """A new role."""

    name = fields.String(required=True)


# --- domains and accounts ---------------------------------------------------------------


class DomainSchema(ma.Schema):
    """A domain: a tenant, or a provider above its tenants."""

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    parent_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)


class DomainUpdateSchema(ma.Schema):
    """Fields of a domain that PATCH changes."""

    name = fields.String()


class DomainCreateSchema(DomainUpdateSchema):
    """A new domain, below ``parent_id`` (default: the caller's domain)."""

    name = fields.String(required=True)
    parent_id = fields.Integer(allow_none=True)


class AccountSchema(ma.Schema):
    """A customer company."""

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    domain_id = fields.Integer(dump_only=True)
    active = fields.Boolean(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)


class AccountUpdateSchema(ma.Schema):
    """Fields of an account that PATCH changes."""

    name = fields.String()
    active = fields.Boolean()


class AccountCreateSchema(ma.Schema):
    """A new account in ``domain_id`` (default: the caller's domain)."""

    name = fields.String(required=True)
    domain_id = fields.Integer(allow_none=True)


# --- tokens -----------------------------------------------------------------------------


class TokenSchema(ma.Schema):
    """A personal API token, without its secret."""

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    prefix = fields.String(dump_only=True, metadata={"description": "the token's first characters"})
    user_id = fields.Integer(dump_only=True)
    domain_id = fields.Integer(dump_only=True)
    active = fields.Boolean(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    last_used_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    revoked_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class TokenCreatedSchema(TokenSchema):
    """A token just made, with its text: shown in this answer only, never again."""

    token = fields.String(dump_only=True)


class TokenCreateSchema(ma.Schema):
    """A new token of the caller."""

    name = fields.String(required=True)
