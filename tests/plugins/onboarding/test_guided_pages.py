"""The guided case pages of the workspace: the list, a new draft, the case page's actions."""

import io

import pytest
from csp_check import assert_csp_safe

from onward import db
from onward.plugins.onboarding.guided_models import GuidedCase, GuidedDocument

pytestmark = pytest.mark.onward_config(ONBOARDING_AUTO_CASE=False)
PAGES = "/onboarding/guided-cases"


@pytest.fixture
def home(make_account):
    return make_account("Genixify")


@pytest.fixture
def customer(make_user, home):
    return make_user("customer", account=home, name="Ada", email="ada@genixify.example")


@pytest.fixture
def agent(login_as):
    return login_as("onboarding_agent", email="agent@provider.example")


def state(app, case_id):
    with app.app_context():
        case = db.session.get(GuidedCase, case_id)
        return case.state, case.step


def flashed(client, response):
    """The page a POST led back to (following its redirect)."""
    assert response.status_code == 302, response.status_code
    return client.get(response.location).get_data(as_text=True)


def test_the_list_searches_and_filters(client, agent, customer, new_guided_case):
    new_guided_case(customer, short_description="Joint account")
    new_guided_case(customer, state="Open", short_description="Business loan")
    page = client.get(PAGES).get_data(as_text=True)
    assert "Joint account" in page and "Business loan" in page
    assert 'href="/onboarding/guided-cases/new"' in page
    assert_csp_safe(page, "guided case list")
    page = client.get(PAGES, query_string={"state": "Open"}).get_data(as_text=True)
    assert "Business loan" in page and "Joint account" not in page
    page = client.get(PAGES, query_string={"q": "joint"}).get_data(as_text=True)
    assert "Joint account" in page and "Business loan" not in page
    assert client.get(PAGES, query_string={"sort": "nope"}).status_code == 422
    assert 'href="/onboarding/guided-cases"' in client.get("/onboarding/").get_data(
        as_text=True)


def test_a_draft_is_opened_for_a_customer(app, client, agent, customer):
    page = client.get(f"{PAGES}/new").get_data(as_text=True)
    assert f'value="{customer}">Ada (ada@genixify.example)' in page
    assert client.post(f"{PAGES}/new", data={"channel": "phone"}).status_code == 422
    response = client.post(f"{PAGES}/new", data={"contact_id": customer, "channel": "chat",
                                                 "short_description": "Joint account"})
    assert response.status_code == 302
    with app.app_context():
        case = db.session.scalars(db.select(GuidedCase)).one()
        assert (case.state, case.channel, case.customer_email) == (
            "Draft", "chat", "ada@genixify.example")
    page = client.get(response.location).get_data(as_text=True)
    assert "Submit the case" in page and "Joint account" in page
    assert_csp_safe(page, "guided case page")


def test_the_case_page_works_a_case_to_a_proposed_solution(app, client, agent, customer,
                                                           new_guided_case):
    case_id = new_guided_case(customer, short_description="Joint account")
    url = f"{PAGES}/{case_id}"
    added = flashed(client, client.post(f"{url}/members", data={"name": "Bob",
                                                                "relation": "co-applicant"}))
    assert "The member is added." in added and "Bob" in added
    for kind in ("identity", "proof_of_address"):
        response = client.post(f"{url}/documents", content_type="multipart/form-data", data={
            "kind": kind, "file": (io.BytesIO(b"%PDF-1.4"), f"{kind}.pdf", "application/pdf")})
        assert "The document is stored." in flashed(client, response)
    refused = flashed(client, client.post(f"{url}/documents", data={"kind": "identity"}))
    assert "The file is empty; choose a file to upload." in refused
    with app.app_context():
        documents = [d.id for d in db.session.get(GuidedCase, case_id).documents]
    download = client.get(f"/onboarding/guided-documents/{documents[0]}/file")
    assert download.data == b"%PDF-1.4"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    invalid = flashed(client, client.post(f"/onboarding/guided-documents/{documents[1]}/invalid",
                                          data={"note": "Blurred"}))
    assert "is marked invalid" in invalid and "Blurred" in invalid
    checked = flashed(client, client.post(f"{url}/checklist"))
    assert "Documents checked" in checked
    for document in documents:
        client.post(f"/onboarding/guided-documents/{document}/valid")

    assert "it is New" in flashed(client, client.post(f"{url}/submit"))
    page = flashed(client, client.post(f"{url}/assign", data={"assignee_id": agent}))
    assert "Step 1 of 9: Add members" in page
    assert state(app, case_id) == ("Open", 1)
    client.post(f"{url}/forward", data={"note": "none"})
    client.post(f"{url}/forward")
    assert state(app, case_id) == ("Open", 3)
    assert "Back one step." in flashed(client, client.post(f"{url}/back"))
    client.post(f"{url}/forward")
    client.post(f"{url}/forward")
    refused = flashed(client, client.post(f"{url}/forward"))
    assert "the approval status is pending, not approved" in refused
    with app.app_context():
        case = db.session.get(GuidedCase, case_id)
        form = {name: getattr(case, name) for name in (
            "channel", "customer_name", "customer_email", "customer_phone",
            "short_description", "description")}
    assert client.post(url, data={**form, "approval_status": "approved"}).status_code == 302
    for _ in range(5):
        client.post(f"{url}/forward")
    assert state(app, case_id) == ("Open", 9)
    page = client.get(url).get_data(as_text=True)
    assert "Propose the solution" in page
    assert_csp_safe(page, "guided case page, last step")
    proposed = flashed(client, client.post(f"{url}/propose", data={"solution": "Plan A"}))
    assert "Proposed solution, awaiting the customer" in proposed and "Plan A" in proposed
    assert client.post(f"{url}/bogus").status_code == 404


def test_offering_and_accepting_a_case(app, client, login_as, make_user, customer,
                                       new_guided_case):
    other = make_user("onboarding_agent", name="Other")
    case_id = new_guided_case(customer, state="New")
    url = f"{PAGES}/{case_id}"
    login_as("onboarding_agent")
    client.post(f"{url}/assign", data={"assignee_id": other})
    page = client.get(url).get_data(as_text=True)
    assert "Offered to Other, who must accept it." in page and "Accept the case" not in page
    assert client.post(f"{url}/accept").status_code == 403  # not offered to this agent
    assert state(app, case_id) == ("New", 1)
    login_as(user=other)
    assert "Accept the case" in client.get(url).get_data(as_text=True)
    assert "it is Open" in flashed(client, client.post(f"{url}/accept"))


def test_customers_and_other_tenants_cannot_reach_the_pages(app, client, login_as, make_user,
                                                            make_domain, customer,
                                                            new_guided_case):
    case_id = new_guided_case(customer)
    with app.app_context():
        document = GuidedDocument(case_id=case_id, account_id=db.session.get(
            GuidedCase, case_id).account_id, kind="identity", name="id.pdf",
            content_type="application/pdf", size=1, content=b"x")
        db.session.add(document)
        db.session.commit()
        document_id = document.id
    login_as(user=customer)
    assert client.get(f"{PAGES}/{case_id}").status_code == 403
    login_as("onboarding_agent", domain=make_domain("Tenant B"))
    assert client.get(f"{PAGES}/{case_id}").status_code == 404
    assert client.post(f"{PAGES}/{case_id}/submit").status_code == 404
    assert client.get(f"/onboarding/guided-documents/{document_id}/file").status_code == 404
