"""The eight default import targets: the customer data an onboarding captures from XLSX.

Each names what a spreadsheet may fill in, the natural key that publishing upserts by
(within the case's account), and how a related record is named in a cell (a location by its
name, a product by its catalogue name).
"""

from __future__ import annotations

from onward import ImportReference, ImportTarget, User, describe_fields
from onward.plugins.onboarding.customer_data import (
    ADDRESS_TYPES,
    CONTRACT_STATES,
    ENTITLEMENT_UNITS,
    INSTALL_BASE_STATES,
    OnboardingAccountAddress,
    OnboardingContract,
    OnboardingEntitlement,
    OnboardingInstallBaseItem,
    OnboardingInstallBaseSoldProduct,
    OnboardingLocation,
    OnboardingProduct,
    OnboardingSoldProduct,
)

PRODUCT = ImportReference(OnboardingProduct, "name")
CONTRACT = ImportReference(OnboardingContract, "short_description")
LOCATION = ImportReference(OnboardingLocation, "name")
ITEM = ImportReference(OnboardingInstallBaseItem, "name")
SOLD_PRODUCT = ImportReference(OnboardingSoldProduct, "name")


def _target(key: str, label: str, model: type, natural_key: tuple[str, ...], *names: str,
            **described) -> ImportTarget:
    return ImportTarget(key, label, model, describe_fields(model, *names, **described),
                        natural_key, account_field="account_id")


def import_targets() -> list[ImportTarget]:
    """The default targets, under the keys the data import uses."""
    return [
        _target("contacts", "Customer contacts", User, ("email",), "email", "name",
                types={"email": "email"}, labels={"name": "Full name"}),
        _target("locations", "Locations", OnboardingLocation, ("name",), "name", "street",
                "city", "state", "zip", "country", "latitude", "longitude"),
        _target("service_entitlements", "Service entitlements", OnboardingEntitlement,
                ("name",), "name", "product_id", "contract_id", "start_date", "end_date",
                "per_unit", "total_units", choices={"per_unit": ENTITLEMENT_UNITS},
                references={"product_id": PRODUCT, "contract_id": CONTRACT}),
        _target("install_base_items", "Install base items", OnboardingInstallBaseItem,
                ("name",), "name", "product_id", "serial_number", "location_id",
                "install_date", "state", choices={"state": INSTALL_BASE_STATES},
                references={"product_id": PRODUCT, "location_id": LOCATION}),
        _target("account_addresses", "Account address relationships",
                OnboardingAccountAddress, ("location_id", "type"), "location_id", "type",
                choices={"type": ADDRESS_TYPES}, references={"location_id": LOCATION},
                required=("location_id", "type")),
        _target("contracts", "Contracts", OnboardingContract, ("short_description",),
                "short_description", "starts", "ends", "state", "value",
                choices={"state": CONTRACT_STATES}, required=("short_description",)),
        _target("sold_products", "Sold products", OnboardingSoldProduct, ("name",), "name",
                "product_id", "contract_id", "quantity", "purchase_date",
                references={"product_id": PRODUCT, "contract_id": CONTRACT}),
        _target("install_base_sold_products", "Install base sold products",
                OnboardingInstallBaseSoldProduct, ("install_base_item_id", "sold_product_id"),
                "install_base_item_id", "sold_product_id",
                references={"install_base_item_id": ITEM, "sold_product_id": SOLD_PRODUCT}),
    ]
