"""How the customer data is listed (search, sort, filter) in the UI and the API."""

from onward import ListSpec
from onward.plugins.onboarding.customer_data import (
    OnboardingAccountAddress,
    OnboardingContract,
    OnboardingEntitlement,
    OnboardingInstallBaseItem,
    OnboardingInstallBaseSoldProduct,
    OnboardingLocation,
    OnboardingProduct,
    OnboardingSoldProduct,
)

PRODUCTS = ListSpec(
    sortable={"id": OnboardingProduct.id, "name": OnboardingProduct.name,
              "model_number": OnboardingProduct.model_number},
    searchable=(OnboardingProduct.name, OnboardingProduct.model_number),
    filterable={"customer_visible": OnboardingProduct.customer_visible,
                "domain_id": OnboardingProduct.domain_id},
    default_sort="name",
)
LOCATIONS = ListSpec(
    sortable={"id": OnboardingLocation.id, "name": OnboardingLocation.name,
              "city": OnboardingLocation.city, "country": OnboardingLocation.country},
    searchable=(OnboardingLocation.name, OnboardingLocation.street, OnboardingLocation.city),
    filterable={"account_id": OnboardingLocation.account_id,
                "city": OnboardingLocation.city, "country": OnboardingLocation.country},
    default_sort="name",
)
CONTRACTS = ListSpec(
    sortable={"id": OnboardingContract.id, "number": OnboardingContract.number,
              "starts": OnboardingContract.starts, "ends": OnboardingContract.ends,
              "state": OnboardingContract.state},
    searchable=(OnboardingContract.number, OnboardingContract.short_description),
    filterable={"account_id": OnboardingContract.account_id,
                "state": OnboardingContract.state},
    default_sort="-starts",
)
SOLD_PRODUCTS = ListSpec(
    sortable={"id": OnboardingSoldProduct.id, "name": OnboardingSoldProduct.name,
              "purchase_date": OnboardingSoldProduct.purchase_date},
    searchable=(OnboardingSoldProduct.name,),
    filterable={"account_id": OnboardingSoldProduct.account_id,
                "product_id": OnboardingSoldProduct.product_id,
                "contract_id": OnboardingSoldProduct.contract_id},
    default_sort="name",
)
ENTITLEMENTS = ListSpec(
    sortable={"id": OnboardingEntitlement.id, "name": OnboardingEntitlement.name,
              "start_date": OnboardingEntitlement.start_date,
              "end_date": OnboardingEntitlement.end_date},
    searchable=(OnboardingEntitlement.name,),
    filterable={"account_id": OnboardingEntitlement.account_id,
                "product_id": OnboardingEntitlement.product_id,
                "contract_id": OnboardingEntitlement.contract_id,
                "per_unit": OnboardingEntitlement.per_unit},
    default_sort="name",
)
INSTALL_BASE_ITEMS = ListSpec(
    sortable={"id": OnboardingInstallBaseItem.id, "name": OnboardingInstallBaseItem.name,
              "install_date": OnboardingInstallBaseItem.install_date,
              "state": OnboardingInstallBaseItem.state},
    searchable=(OnboardingInstallBaseItem.name, OnboardingInstallBaseItem.serial_number),
    filterable={"account_id": OnboardingInstallBaseItem.account_id,
                "product_id": OnboardingInstallBaseItem.product_id,
                "location_id": OnboardingInstallBaseItem.location_id,
                "state": OnboardingInstallBaseItem.state},
    default_sort="name",
)
INSTALL_BASE_SOLD_PRODUCTS = ListSpec(
    sortable={"id": OnboardingInstallBaseSoldProduct.id},
    filterable={"account_id": OnboardingInstallBaseSoldProduct.account_id,
                "install_base_item_id": OnboardingInstallBaseSoldProduct.install_base_item_id,
                "sold_product_id": OnboardingInstallBaseSoldProduct.sold_product_id},
)
ACCOUNT_ADDRESSES = ListSpec(
    sortable={"id": OnboardingAccountAddress.id, "type": OnboardingAccountAddress.type},
    filterable={"account_id": OnboardingAccountAddress.account_id,
                "location_id": OnboardingAccountAddress.location_id,
                "type": OnboardingAccountAddress.type},
)
