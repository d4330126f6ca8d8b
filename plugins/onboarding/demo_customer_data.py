"""Demo customer data: a product catalogue, and Genixify's contacts, sites and contracts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from onward import SYSTEM, Account, User, acting_as, create_user, db
from onward.plugins.onboarding import customer_services as services
from onward.plugins.onboarding.customer_data import (
    OnboardingAccountAddress,
    OnboardingContract,
    OnboardingEntitlement,
    OnboardingInstallBaseItem,
    OnboardingLocation,
    OnboardingProduct,
    OnboardingSoldProduct,
)

#: name -> (model number, visible to customers)
PRODUCTS = {
    "Onward Service Desk": ("OSD-1", True),
    "Field Router X1": ("RX1", True),
    "Usage Analytics add-on": ("UA-INT", False),
}
#: Genixify's customer contacts: email -> (name, role)
CONTACTS = {
    "ada@genixify.example": ("Ada Lovelace", "customer_admin"),
    "grace@genixify.example": ("Grace Hopper", "customer"),
}


def load_customer_data(account_name: str = "Genixify") -> None:
    """Add the catalogue and the account's customer data, once (nothing if it is there)."""
    account = db.session.scalar(select(Account).where(Account.name == account_name))
    if account is None or db.session.scalar(select(OnboardingProduct.id).limit(1)):
        return
    with acting_as(SYSTEM):
        products = {name: services.create_product({"name": name, "model_number": number,
                                                   "customer_visible": visible,
                                                   "domain_id": account.domain_id})
                    for name, (number, visible) in PRODUCTS.items()}
        for email, (name, role) in CONTACTS.items():
            if not db.session.scalar(select(User.id).where(User.email == email)):
                create_user(email, name=name, roles=[role], account=account)
        _records(account, products)
        db.session.commit()


def _records(account: Account, products: dict[str, OnboardingProduct]) -> None:
    def add(model, **data):
        return services.create_record(model, account.id, data)

    year = dt.date.today().year + 1
    hq = add(OnboardingLocation, name="Genixify HQ", street="1 Market St", city="San Francisco",
             state="CA", zip="94105", country="US")
    add(OnboardingAccountAddress, location_id=hq.id, type="bill_to")
    contract = add(OnboardingContract, short_description=f"Service Desk {year}",
                   starts=dt.date(year, 1, 1), ends=dt.date(year, 12, 31), state="active",
                   value=48000)
    router = products["Field Router X1"]
    sold = add(OnboardingSoldProduct, name="Routers for HQ", product_id=router.id,
               contract_id=contract.id, quantity=4, purchase_date=dt.date(year - 1, 12, 1))
    add(OnboardingEntitlement, name="Router support", product_id=router.id,
        contract_id=contract.id, start_date=contract.starts, end_date=contract.ends,
        per_unit="hours", total_units=40)
    item = add(OnboardingInstallBaseItem, name="HQ router 1", product_id=router.id,
               serial_number="RX1-0001", location_id=hq.id, state="in_use")
    services.link_sold_product(item, sold)
