"""The customer data pages of the onboarding workspace: lists, forms, the rules' messages."""

import pytest
from sqlalchemy import select

from onward import db
from onward.plugins.onboarding.customer_data import OnboardingLocation

PAGES = "/onboarding/data"


@pytest.fixture
def account(make_account):
    return make_account("Genixify")


def _location_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(OnboardingLocation.id).where(
            OnboardingLocation.name == name))


def test_agents_add_edit_and_delete_a_location(app, client, login_as, account):
    login_as("onboarding_agent")
    index = client.get(PAGES).get_data(as_text=True)
    assert "Install base sold products" in index and "Account addresses" in index
    created = client.post(f"{PAGES}/locations/new", data={
        "account_id": account, "name": "HQ", "city": "Santa Clara", "latitude": "37.3"})
    assert created.status_code == 302, created.get_data(as_text=True)
    location = _location_id(app, "HQ")
    assert created.location.endswith(f"{PAGES}/locations/{location}")
    listed = client.get(f"{PAGES}/locations?q=santa").get_data(as_text=True)
    assert "HQ" in listed and "Genixify" in listed
    edited = client.post(f"{PAGES}/locations/{location}", data={"name": "HQ", "city": "Austin"})
    assert edited.status_code == 302
    assert "Austin" in client.get(f"{PAGES}/locations/{location}").get_data(as_text=True)
    assert client.post(f"{PAGES}/locations/{location}/delete").status_code == 302
    assert _location_id(app, "HQ") is None


def test_forms_show_the_rules_messages_on_their_fields(app, client, login_as, account,
                                                       make_account):
    login_as("onboarding_agent")
    backwards = client.post(f"{PAGES}/contracts/new", data={
        "account_id": account, "starts": "2030-06-01", "ends": "2030-01-01", "state": "draft"})
    assert backwards.status_code == 422
    assert "A contract cannot end (2030-01-01) before it starts (2030-06-01)." in (
        backwards.get_data(as_text=True))
    client.post(f"{PAGES}/locations/new", data={"account_id": account, "name": "HQ"})
    location = _location_id(app, "HQ")
    stray = client.post(f"{PAGES}/account-addresses/new", data={
        "account_id": make_account("Elsewhere"), "location_id": location, "type": "bill_to"})
    assert stray.status_code == 422
    assert (f"Location {location} belongs to another account; choose one of this "
            f"account&#39;s locations.") in stray.get_data(as_text=True)


def test_unknown_kinds_are_not_found_and_customers_are_refused(client, login_as, account):
    login_as("onboarding_agent")
    assert client.get(f"{PAGES}/spaceships").status_code == 404
    login_as("customer", account=account)
    assert client.get(f"{PAGES}/locations").status_code == 403
