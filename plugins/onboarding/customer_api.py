"""The customer data in the onboarding API: ``/api/v1/onboarding/locations`` and the rest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from onward import Account, add_resource, reference
from onward.plugins.onboarding import customer_lists as lists
from onward.plugins.onboarding import customer_schemas as schemas
from onward.plugins.onboarding import customer_services as services
from onward.plugins.onboarding.api import blueprint
from onward.plugins.onboarding.customer_data import (
    REFERENCES,
    CustomerRecord,
    OnboardingAccountAddress,
    OnboardingContract,
    OnboardingEntitlement,
    OnboardingInstallBaseItem,
    OnboardingInstallBaseSoldProduct,
    OnboardingLocation,
    OnboardingProduct,
    OnboardingSoldProduct,
)


def _check_references(model: type, data: dict[str, Any]) -> None:
    """Each record the body points to must be one the actor may read (else 422)."""
    for field, target in REFERENCES.get(model, {}).items():
        reference(target, data.get(field), field)


def _creator(model: type[CustomerRecord], label: str) -> Callable[[dict], CustomerRecord]:
    def create(data: dict) -> CustomerRecord:
        account = reference(Account, data.pop("account_id"), "account_id")
        _check_references(model, data)
        return services.create_record(model, account.id, data)

    create.__doc__ = f"Add {label} to an account; what it points to must be the account's."
    return create


def _updater(model: type) -> Callable[[Any, dict], Any]:
    def update(record: Any, data: dict) -> Any:
        _check_references(model, data)
        return services.update_record(record, data)

    update.__doc__ = "Change the fields sent; what the record points to stays the account's."
    return update


def create_link(data: dict) -> OnboardingInstallBaseSoldProduct:
    """Record which sold product an install base item came from (both of one account)."""
    item = reference(OnboardingInstallBaseItem, data["install_base_item_id"],
                     "install_base_item_id")
    sold = reference(OnboardingSoldProduct, data["sold_product_id"], "sold_product_id")
    return services.link_sold_product(item, sold)


add_resource(blueprint, "/products", OnboardingProduct, schemas.OnboardingProductSchema,
             lists.PRODUCTS,
             create=(schemas.OnboardingProductCreateSchema, services.create_product),
             update=(schemas.OnboardingProductSchema, services.update_record),
             delete=services.delete_record)

for _path, _model, _label, _schema, _create_schema, _spec in (
    ("/locations", OnboardingLocation, "a location", schemas.OnboardingLocationSchema,
     schemas.OnboardingLocationCreateSchema, lists.LOCATIONS),
    ("/contracts", OnboardingContract, "a contract", schemas.OnboardingContractSchema,
     schemas.OnboardingContractCreateSchema, lists.CONTRACTS),
    ("/sold-products", OnboardingSoldProduct, "a sold product",
     schemas.OnboardingSoldProductSchema, schemas.OnboardingSoldProductCreateSchema,
     lists.SOLD_PRODUCTS),
    ("/entitlements", OnboardingEntitlement, "a service entitlement",
     schemas.OnboardingEntitlementSchema, schemas.OnboardingEntitlementCreateSchema,
     lists.ENTITLEMENTS),
    ("/install-base-items", OnboardingInstallBaseItem, "an install base item",
     schemas.OnboardingInstallBaseItemSchema, schemas.OnboardingInstallBaseItemCreateSchema,
     lists.INSTALL_BASE_ITEMS),
    ("/account-addresses", OnboardingAccountAddress, "an account address relationship",
     schemas.OnboardingAccountAddressSchema, schemas.OnboardingAccountAddressCreateSchema,
     lists.ACCOUNT_ADDRESSES),
):
    add_resource(blueprint, _path, _model, _schema, _spec,
                 create=(_create_schema, _creator(_model, _label)),
                 update=(_schema, _updater(_model)),
                 delete=services.delete_record)

add_resource(blueprint, "/install-base-sold-products", OnboardingInstallBaseSoldProduct,
             schemas.OnboardingInstallBaseSoldProductSchema, lists.INSTALL_BASE_SOLD_PRODUCTS,
             create=(schemas.OnboardingInstallBaseSoldProductCreateSchema, create_link),
             delete=services.delete_record)
