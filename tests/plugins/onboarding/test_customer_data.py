"""The customer data the onboarding captures, through the JSON API: CRUD, rules, access."""

import pytest

from onward import SYSTEM, Conflict, RuleViolation, acting_as, db
from onward.plugins.onboarding.customer_data import (
    OnboardingContract,
    OnboardingInstallBaseItem,
    OnboardingInstallBaseSoldProduct,
)
from onward.plugins.onboarding.customer_services import create_record

API = "/api/v1/onboarding"


@pytest.fixture
def post(client, agent):
    """POST as the agent; returns the new record, failing on anything but 201."""

    def send(path: str, **body) -> dict:
        response = client.post(f"{API}{path}", headers=agent, json=body)
        assert response.status_code == 201, response.json
        return response.json

    return send


@pytest.fixture
def records(post, account):
    """One record of each kind for ``account``, linked up; name -> record."""
    product = post("/products", name="Router X1", model_number="RX1")
    location = post("/locations", account_id=account, name="HQ", street="1 Main St",
                    city="Santa Clara", state="CA", zip="95054", country="US",
                    latitude=37.35, longitude=-121.95)
    contract = post("/contracts", account_id=account, short_description="Support 2030",
                    starts="2030-01-01", ends="2030-12-31", state="active", value=1200.5)
    sold = post("/sold-products", account_id=account, name="Router X1 for HQ",
                product_id=product["id"], contract_id=contract["id"], quantity=3,
                purchase_date="2029-12-15")
    entitlement = post("/entitlements", account_id=account, name="Router support",
                       product_id=product["id"], contract_id=contract["id"],
                       start_date="2030-01-01", end_date="2030-12-31", per_unit="hours",
                       total_units=40)
    item = post("/install-base-items", account_id=account, name="HQ router 1",
                product_id=product["id"], serial_number="SN-001", location_id=location["id"],
                install_date="2030-01-10")
    link = post("/install-base-sold-products", install_base_item_id=item["id"],
                sold_product_id=sold["id"])
    address = post("/account-addresses", account_id=account, location_id=location["id"],
                   type="bill_to")
    return {"products": product, "locations": location, "contracts": contract,
            "sold-products": sold, "entitlements": entitlement, "install-base-items": item,
            "install-base-sold-products": link, "account-addresses": address}


def _refusal(response, status: int = 422) -> tuple[str, dict]:
    assert response.status_code == status, response.json
    return response.json["error"]["message"], response.json["error"]["fields"]


def test_agents_create_list_read_update_and_delete_each_kind(client, agent, account, records):
    contract, link = records["contracts"], records["install-base-sold-products"]
    assert contract["number"].startswith("CNTR") and contract["value"] == 1200.5
    assert (link["account_id"], records["install-base-items"]["state"]) == (account, "in_use")
    for path, record in records.items():
        listed = client.get(f"{API}/{path}", headers=agent).json
        assert record["id"] in [item["id"] for item in listed["items"]], path
        assert client.get(f"{API}/{path}/{record['id']}", headers=agent).json == record
    changes = {"products": {"customer_visible": False}, "locations": {"city": "San Jose"},
               "contracts": {"state": "expired"}, "sold-products": {"quantity": 4},
               "entitlements": {"total_units": 50},
               "install-base-items": {"state": "retired"},
               "account-addresses": {"type": "ship_to"}}
    for path, change in changes.items():
        response = client.patch(f"{API}/{path}/{records[path]['id']}", headers=agent, json=change)
        assert response.status_code == 200, response.json
        assert response.json.items() >= change.items()
    for path in ("account-addresses", "install-base-sold-products", "install-base-items",
                 "entitlements", "sold-products", "contracts", "locations", "products"):
        item_path = f"{API}/{path}/{records[path]['id']}"
        assert client.delete(item_path, headers=agent).status_code == 204, path
        assert client.get(item_path, headers=agent).status_code == 404


def test_lists_filter_by_account_and_search(client, agent, make_account, post, records):
    other = make_account("Elsewhere")
    post("/locations", account_id=other, name="Depot", city="Austin")
    depot = client.get(f"{API}/locations?account_id={other}", headers=agent).json["items"]
    assert [item["name"] for item in depot] == ["Depot"]
    found = client.get(f"{API}/install-base-items?q=SN-001", headers=agent).json["items"]
    assert [item["id"] for item in found] == [records["install-base-items"]["id"]]


def test_a_contract_cannot_end_before_it_starts(client, agent, account, records):
    message, fields = _refusal(client.post(f"{API}/contracts", headers=agent, json={
        "account_id": account, "starts": "2030-06-01", "ends": "2030-01-01"}))
    assert message == "A contract cannot end (2030-01-01) before it starts (2030-06-01)."
    assert list(fields) == ["ends"]
    path = f"{API}/contracts/{records['contracts']['id']}"
    message, _ = _refusal(client.patch(path, headers=agent, json={"ends": "2029-01-01"}))
    assert message == "A contract cannot end (2029-01-01) before it starts (2030-01-01)."
    assert client.get(path, headers=agent).json["ends"] == "2030-12-31"


def test_an_entitlement_cannot_end_before_it_starts(client, agent, account):
    message, fields = _refusal(client.post(f"{API}/entitlements", headers=agent, json={
        "account_id": account, "name": "Backwards", "start_date": "2030-02-01",
        "end_date": "2030-01-01"}))
    assert message == "An entitlement cannot end (2030-01-01) before it starts (2030-02-01)."
    assert list(fields) == ["end_date"]


def test_choices_are_checked_for_every_writer(app, account):
    with app.app_context(), acting_as(SYSTEM):
        with pytest.raises(RuleViolation) as refused:
            create_record(OnboardingContract, account, {"state": "signed"})
        db.session.rollback()
    assert refused.value.message == (
        "Unknown state 'signed'; use one of: draft, active, expired, canceled.")


def test_bad_input_names_its_field(client, agent, account):
    _, fields = _refusal(client.post(f"{API}/sold-products", headers=agent, json={
        "account_id": account, "name": "No product", "quantity": 0}))
    assert set(fields) == {"product_id", "quantity"}
    _, fields = _refusal(client.post(f"{API}/locations", headers=agent, json={
        "account_id": account, "name": "Pole", "latitude": 91}))
    assert list(fields) == ["latitude"]


def test_references_to_another_accounts_records_are_refused(
        client, agent, make_account, post, records):
    other = make_account("Elsewhere")
    location_id = records["locations"]["id"]
    message, fields = _refusal(client.post(f"{API}/install-base-items", headers=agent, json={
        "account_id": other, "name": "Stray", "location_id": location_id}))
    assert message == (f"Location {location_id} belongs to another account; choose one of "
                       f"this account's locations.")
    assert list(fields) == ["location_id"]
    theirs = post("/sold-products", account_id=other, name="Theirs",
                  product_id=records["products"]["id"])
    message, _ = _refusal(client.post(f"{API}/install-base-sold-products", headers=agent, json={
        "install_base_item_id": records["install-base-items"]["id"],
        "sold_product_id": theirs["id"]}))
    assert message.startswith(f"Sold product {theirs['id']} belongs to another account")
    missing = client.post(f"{API}/account-addresses", headers=agent, json={
        "account_id": other, "location_id": 999999, "type": "ship_to"})
    assert _refusal(missing)[1] == {"location_id": ["No such record: 999999."]}


def test_products_come_from_the_accounts_domain_or_above(
        client, make_domain, make_account, make_user, api_headers):
    east, west = make_domain("east"), make_domain("west")
    west_agent = api_headers(make_user("onboarding_agent", domain=west))
    product = client.post(f"{API}/products", headers=west_agent, json={"name": "West only"})
    assert product.json["domain_id"] == west
    top_agent = api_headers(make_user("onboarding_agent"))
    east_account = make_account("Eastern", domain=east)
    message, _ = _refusal(client.post(f"{API}/sold-products", headers=top_agent, json={
        "account_id": east_account, "name": "Cross", "product_id": product.json["id"]}))
    assert message == (f"Product {product.json['id']} is not in the catalogue of this "
                       f"account's domain.")


def test_an_install_base_item_links_a_sold_product_once(client, agent, records):
    link = records["install-base-sold-products"]
    again = {"install_base_item_id": link["install_base_item_id"],
             "sold_product_id": link["sold_product_id"]}
    message, fields = _refusal(
        client.post(f"{API}/install-base-sold-products", headers=agent, json=again), 409)
    assert message == ("This account already has an install base sold product with this "
                       "install base item and sold product.")
    assert list(fields) == ["sold_product_id"]


def test_two_same_links_in_one_flush_are_refused_by_the_rule(app, records):
    link = records["install-base-sold-products"]
    with app.app_context(), acting_as(SYSTEM):
        item = db.session.get(OnboardingInstallBaseItem, link["install_base_item_id"])
        db.session.delete(db.session.get(OnboardingInstallBaseSoldProduct, link["id"]))
        db.session.flush()
        twins = [OnboardingInstallBaseSoldProduct(
            account_id=item.account_id, domain_id=item.domain_id,
            install_base_item_id=item.id, sold_product_id=link["sold_product_id"])
            for _ in range(2)]
        db.session.add_all(twins)
        with pytest.raises(Conflict, match="already has an install base sold product"):
            db.session.flush()
        db.session.rollback()


def test_records_in_use_are_not_deleted(client, agent, records):
    location = records["locations"]["id"]
    message, _ = _refusal(client.delete(f"{API}/locations/{location}", headers=agent))
    assert message == ("This location is still used by 1 install base item record(s) and "
                       "1 account address record(s); remove them first.")
    assert client.get(f"{API}/locations/{location}", headers=agent).status_code == 200


def test_another_tenants_records_are_not_found(
        client, make_domain, make_account, make_user, api_headers):
    far = make_domain("far")
    far_agent = api_headers(make_user("onboarding_agent", domain=far))
    location = client.post(f"{API}/locations", headers=far_agent, json={
        "account_id": make_account("Faraway", domain=far), "name": "Far HQ"}).json
    near_agent = api_headers(make_user("onboarding_agent", domain=make_domain("near")))
    path = f"{API}/locations/{location['id']}"
    assert client.get(path, headers=near_agent).status_code == 404
    assert client.patch(path, headers=near_agent, json={"name": "Mine"}).status_code == 404
    assert client.delete(path, headers=near_agent).status_code == 404
    assert client.get(f"{API}/locations", headers=near_agent).json["meta"]["total"] == 0


def test_customers_read_their_own_accounts_data_only(
        client, account, make_account, make_user, api_headers, post, records):
    other = make_account("Elsewhere")
    foreign = post("/locations", account_id=other, name="Not yours")
    customer = api_headers(make_user("customer", account=account))
    for path, record in records.items():
        if path == "products":
            continue
        listed = client.get(f"{API}/{path}", headers=customer).json["items"]
        assert [item["id"] for item in listed] == [record["id"]], path
    location = client.get(f"{API}/locations/{records['locations']['id']}", headers=customer).json
    assert location["city"] == "Santa Clara" and "domain_id" not in location
    assert client.get(f"{API}/locations/{foreign['id']}", headers=customer).status_code == 404
    refused = client.post(f"{API}/locations", headers=customer,
                          json={"account_id": account, "name": "Mine"})
    assert refused.status_code == 403
    patch = client.patch(f"{API}/contracts/{records['contracts']['id']}", headers=customer,
                         json={"state": "canceled"})
    assert patch.status_code == 403
    # the catalogue's customer-visible products they read (see test_case_products.py)
    refused = client.post(f"{API}/products", headers=customer, json={"name": "Mine"})
    assert refused.status_code == 403


def test_every_kind_has_a_list_a_form_and_a_new_form(client, login_as, records):
    login_as("onboarding_agent")
    for path, record in records.items():
        listed = client.get(f"/onboarding/data/{path}")
        assert listed.status_code == 200, path
        assert f"/onboarding/data/{path}/{record['id']}" in listed.get_data(as_text=True)
        assert client.get(f"/onboarding/data/{path}/{record['id']}").status_code == 200, path
        assert client.get(f"/onboarding/data/{path}/new").status_code == 200, path


def test_lists_show_the_labels_of_choices(client, login_as, records):
    login_as("onboarding_agent")
    contracts = client.get("/onboarding/data/contracts").get_data(as_text=True)
    assert "<td>Active</td>" in contracts and "<td>active</td>" not in contracts
