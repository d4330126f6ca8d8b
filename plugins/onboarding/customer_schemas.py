"""How the customer data looks in the JSON API (names prefixed ``Onboarding``)."""

import copy

import marshmallow as ma
from marshmallow import fields, validate

from onward.plugins.onboarding.customer_data import (
    ADDRESS_TYPES,
    CONTRACT_STATES,
    ENTITLEMENT_UNITS,
    INSTALL_BASE_STATES,
)


def _name() -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=120))


def _choice(choices: dict) -> fields.String:
    return fields.String(validate=validate.OneOf(list(choices)))


class _CustomerRecordSchema(ma.Schema):
    """What every account's record shows."""

    id = fields.Integer(dump_only=True)
    account_id = fields.Integer(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


def creating(schema: type[ma.Schema], *required: str) -> type[ma.Schema]:
    """The body schema of a new ``schema`` record: its account and ``required`` fields."""
    extra = {"account_id": fields.Integer(required=True)}
    for name in required:
        extra[name] = copy.copy(schema._declared_fields[name])
        extra[name].required = True
    name = schema.__name__.removesuffix("Schema") + "CreateSchema"
    return type(name, (schema,), {**extra, "__doc__": f"A new {schema.__doc__.lower()}"})


class OnboardingProductSchema(ma.Schema):
    """A product of the provider's catalogue."""

    id = fields.Integer(dump_only=True)
    domain_id = fields.Integer(dump_only=True)
    name = _name()
    model_number = fields.String(validate=validate.Length(max=80))
    description = fields.String()
    customer_visible = fields.Boolean()
    created_at = fields.AwareDateTime(dump_only=True)


class OnboardingProductCreateSchema(OnboardingProductSchema):
    """A new product: in the actor's domain unless ``domain_id`` names one below it."""

    domain_id = fields.Integer(allow_none=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))


class OnboardingLocationSchema(_CustomerRecordSchema):
    """A location of the account."""

    name = _name()
    street = fields.String(validate=validate.Length(max=255))
    city = fields.String(validate=validate.Length(max=80))
    state = fields.String(validate=validate.Length(max=80))
    zip = fields.String(validate=validate.Length(max=20))
    country = fields.String(validate=validate.Length(max=80))
    latitude = fields.Float(allow_none=True, validate=validate.Range(-90, 90))
    longitude = fields.Float(allow_none=True, validate=validate.Range(-180, 180))


class OnboardingContractSchema(_CustomerRecordSchema):
    """A contract of the account."""

    number = fields.String(dump_only=True)
    short_description = fields.String(validate=validate.Length(max=160))
    starts = fields.Date(allow_none=True)
    ends = fields.Date(allow_none=True)
    state = _choice(CONTRACT_STATES)
    value = fields.Float(allow_none=True, validate=validate.Range(min=0))


class OnboardingSoldProductSchema(_CustomerRecordSchema):
    """A product the account bought."""

    name = _name()
    product_id = fields.Integer()
    contract_id = fields.Integer(allow_none=True)
    quantity = fields.Integer(validate=validate.Range(min=1))
    purchase_date = fields.Date(allow_none=True)


class OnboardingEntitlementSchema(_CustomerRecordSchema):
    """A service entitlement of the account."""

    name = _name()
    product_id = fields.Integer(allow_none=True)
    contract_id = fields.Integer(allow_none=True)
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    per_unit = _choice(ENTITLEMENT_UNITS)
    total_units = fields.Integer(allow_none=True, validate=validate.Range(min=0))


class OnboardingInstallBaseItemSchema(_CustomerRecordSchema):
    """An install base item of the account."""

    name = _name()
    product_id = fields.Integer(allow_none=True)
    serial_number = fields.String(validate=validate.Length(max=80))
    location_id = fields.Integer(allow_none=True)
    install_date = fields.Date(allow_none=True)
    state = _choice(INSTALL_BASE_STATES)


class OnboardingInstallBaseSoldProductSchema(_CustomerRecordSchema):
    """The sold product an install base item came from."""

    install_base_item_id = fields.Integer(dump_only=True)
    sold_product_id = fields.Integer(dump_only=True)


class OnboardingInstallBaseSoldProductCreateSchema(ma.Schema):
    """A new link: its account is the install base item's."""

    install_base_item_id = fields.Integer(required=True)
    sold_product_id = fields.Integer(required=True)


class OnboardingAccountAddressSchema(_CustomerRecordSchema):
    """An account address relationship: a location of the account, for one purpose."""

    location_id = fields.Integer()
    type = _choice(ADDRESS_TYPES)


OnboardingLocationCreateSchema = creating(OnboardingLocationSchema, "name")
OnboardingContractCreateSchema = creating(OnboardingContractSchema)
OnboardingSoldProductCreateSchema = creating(OnboardingSoldProductSchema, "name", "product_id")
OnboardingEntitlementCreateSchema = creating(OnboardingEntitlementSchema, "name")
OnboardingInstallBaseItemCreateSchema = creating(OnboardingInstallBaseItemSchema, "name")
OnboardingAccountAddressCreateSchema = creating(OnboardingAccountAddressSchema, "location_id",
                                                "type")
