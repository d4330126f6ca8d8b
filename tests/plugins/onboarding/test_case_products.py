"""The products of a case: set through the API and the case page, read by customers only
when customer visible and of their own domain (a record rule on a record without account).
"""

import pytest
from csp_check import assert_csp_safe

from onward import SYSTEM, User, acting_as, db, scoped
from onward.plugins.onboarding.customer_data import OnboardingProduct
from onward.plugins.onboarding.models import OnboardingCase

from .test_views import case_form

pytestmark = pytest.mark.onward_config(ONBOARDING_AUTO_CASE=False)
CASES = "/api/v1/onboarding/cases"


@pytest.fixture
def tenants(make_domain):
    """Two sibling domains under the top one."""
    return {"ours": make_domain("ours"), "theirs": make_domain("theirs")}


@pytest.fixture
def new_product(app):
    """Add a catalogue product to a domain (as the system); returns its id."""

    def make(name: str, domain: int, visible: bool = True) -> int:
        with app.app_context(), acting_as(SYSTEM):
            product = OnboardingProduct(name=name, domain_id=domain, customer_visible=visible,
                                        model_number=f"{name[:3].upper()}-1",
                                        description=f"About {name}")
            db.session.add(product)
            db.session.commit()
            return product.id

    return make


@pytest.fixture
def catalogue(tenants, new_product):
    """Our visible and internal products, and another domain's visible one."""
    return {"field": new_product("Field Service", tenants["ours"]),
            "tooling": new_product("Internal tooling", tenants["ours"], visible=False),
            "foreign": new_product("Their product", tenants["theirs"])}


@pytest.fixture
def home(make_account, tenants):
    return make_account("Genixify", domain=tenants["ours"])


@pytest.fixture
def our_agent(make_user, api_headers, tenants):
    return api_headers(make_user("onboarding_agent", domain=tenants["ours"]))


def test_agents_set_a_cases_products_through_the_api(client, our_agent, home, catalogue):
    created = client.post(CASES, headers=our_agent, json={
        "account_id": home, "product_ids": [catalogue["tooling"], catalogue["field"]]})
    assert created.status_code == 201, created.json
    assert created.json["product_ids"] == [catalogue["field"], catalogue["tooling"]]
    path = f"{CASES}/{created.json['id']}"
    changed = client.patch(path, headers=our_agent, json={"product_ids": [catalogue["field"]]})
    assert changed.status_code == 200 and changed.json["product_ids"] == [catalogue["field"]]
    assert client.get(path, headers=our_agent).json["product_ids"] == [catalogue["field"]]
    cleared = client.patch(path, headers=our_agent, json={"product_ids": []})
    assert cleared.json["product_ids"] == []


@pytest.mark.parametrize("which", ["foreign", "missing"])
def test_another_domains_or_a_missing_product_is_refused(client, our_agent, home, new_case,
                                                         catalogue, which):
    product = catalogue.get(which, 999999)
    case = new_case(home)
    for response in (
        client.post(CASES, headers=our_agent, json={"account_id": home, "product_ids": [product]}),
        client.patch(f"{CASES}/{case}", headers=our_agent, json={"product_ids": [product]}),
    ):
        assert response.status_code == 422
        assert response.json["error"]["message"] == (
            f"Invalid product_ids. No such record: {product}.")
        assert "product_ids" in response.json["error"]["fields"]
    assert client.get(f"{CASES}/{case}", headers=our_agent).json["product_ids"] == []


def test_customers_read_only_visible_products_of_their_domain(
        app, client, make_user, make_account, api_headers, tenants, home, catalogue):
    ours = make_user("customer", account=home)
    theirs = make_user("customer", account=make_account("Other", domain=tenants["theirs"]))
    with app.app_context():
        for user, expected in ((ours, ["Field Service"]), (theirs, ["Their product"])):
            found = db.session.scalars(scoped(OnboardingProduct,
                                              user=db.session.get(User, user)))
            assert [product.name for product in found] == expected
    listed = client.get("/api/v1/onboarding/products", headers=api_headers(ours)).json
    assert [item["id"] for item in listed["items"]] == [catalogue["field"]]
    assert "domain_id" not in listed["items"][0]
    for product in ("tooling", "foreign"):
        path = f"/api/v1/onboarding/products/{catalogue[product]}"
        assert client.get(path, headers=api_headers(ours)).status_code == 404


def test_customers_never_read_a_cases_product_ids(client, make_user, api_headers, home,
                                                  new_case, catalogue):
    """The ids would name internal products too; customers see products in the portal."""
    me = make_user("customer", account=home)
    case = new_case(home, contact_id=me, product_ids=[catalogue["tooling"]])
    body = client.get(f"{CASES}/{case}", headers=api_headers(me)).json
    assert body["id"] == case and "product_ids" not in body


def test_without_a_record_rule_a_customer_reads_no_products(app, make_user, home, catalogue):
    """An account-less table stays closed to a customer role that no record rule opens."""
    with app.app_context(), acting_as(SYSTEM):
        from onward.core.roles import save_role

        save_role(None, name="catalogue_reader", external=True,
                  rights={"onboarding_product": "r"})
        db.session.commit()
    reader = make_user("catalogue_reader", account=home)
    with app.app_context():
        assert db.session.scalars(scoped(OnboardingProduct,
                                         user=db.session.get(User, reader))).all() == []


def test_the_case_page_sets_products_in_its_side_panel(app, client, login_as, tenants, home,
                                                      new_case, catalogue):
    case = new_case(home)
    login_as("onboarding_agent", domain=tenants["ours"])
    page = client.get(f"/onboarding/cases/{case}").get_data(as_text=True)
    assert "Field Service" in page and "Internal tooling" in page
    assert "Their product" not in page
    assert_csp_safe(page, "case page")
    saved = client.post(f"/onboarding/cases/{case}", data=case_form(
        app, case, product_ids=[catalogue["field"], catalogue["tooling"]]))
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.get(OnboardingCase, case).product_ids == [catalogue["field"],
                                                                    catalogue["tooling"]]
    page = client.get(f"/onboarding/cases/{case}").get_data(as_text=True)
    assert f'value="{catalogue["field"]}" checked' in page
    refused = client.post(f"/onboarding/cases/{case}", data=case_form(
        app, case, product_ids=[catalogue["foreign"]]))
    assert refused.status_code == 422 and "not a valid choice" in refused.text


def test_the_portal_shows_only_visible_products_of_the_case(
        app, client, login_as, make_user, home, new_case, new_product, tenants, catalogue):
    me = make_user("customer", account=home)
    elsewhere = new_product("Other case's product", tenants["ours"])
    case = new_case(home, contact_id=me, product_ids=[catalogue["field"], catalogue["tooling"]])
    new_case(home, contact_id=me, product_ids=[elsewhere])
    login_as(user=me)
    page = client.get(f"/portal/cases/{case}").get_data(as_text=True)
    assert "Product information" in page
    assert "Field Service" in page and "About Field Service" in page
    assert "Internal tooling" not in page and "Other case&#39;s product" not in page
    login_as("onboarding_agent", domain=tenants["ours"])
    page = client.get(f"/portal/cases/{case}").get_data(as_text=True)
    assert "Field Service" in page and "Internal tooling" not in page
