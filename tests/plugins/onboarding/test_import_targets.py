"""The onboarding plugin's eight import targets, as the data import sees them."""

import pytest

from onward import User
from onward.plugins.onboarding.customer_data import (
    OnboardingLocation,
    OnboardingProduct,
    OnboardingSoldProduct,
)


@pytest.fixture
def targets(app):
    return app.extensions["onward"].registries.import_targets


def test_the_eight_default_targets_are_registered_by_onboarding(targets):
    keys = ["contacts", "locations", "service_entitlements", "install_base_items",
            "account_addresses", "contracts", "sold_products", "install_base_sold_products"]
    assert [key for key in targets if targets.owners[key] == "onboarding"] == keys
    assert all(targets[key].account_field == "account_id" for key in keys)


def test_contacts_are_customer_users_keyed_by_email(targets):
    contacts = targets["contacts"]
    assert contacts.model is User and contacts.natural_key == ("email",)
    email = contacts.field("email")
    assert (email.type, email.required, email.max_length) == ("email", True, 254)
    assert {f.name for f in contacts.fields} == {"email", "name"}  # never passwords or roles


def test_references_are_named_as_a_spreadsheet_names_them(targets):
    sold = targets["sold_products"]
    product = sold.field("product_id")
    assert (product.type, product.required, product.title) == ("reference", True, "Product")
    assert (product.reference.model, product.reference.field) == (OnboardingProduct, "name")
    assert not sold.field("contract_id").required
    link = targets["install_base_sold_products"]
    assert link.natural_key == ("install_base_item_id", "sold_product_id")
    assert link.field("sold_product_id").reference.model is OnboardingSoldProduct
    address = targets["account_addresses"]
    assert address.field("location_id").reference.model is OnboardingLocation
    assert address.natural_key == ("location_id", "type")


def test_choice_fields_offer_the_models_choices(targets):
    assert targets["contracts"].field("state").choices["active"] == "Active"
    assert targets["account_addresses"].field("type").choices == {
        "bill_to": "Bill to", "ship_to": "Ship to", "sold_to": "Sold to",
        "service_to": "Service to"}
    assert targets["service_entitlements"].field("per_unit").type == "choice"
    assert targets["locations"].field("latitude").type == "decimal"
