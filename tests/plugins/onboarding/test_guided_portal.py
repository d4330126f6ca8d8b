"""Guided cases in the portal: My draft cases, progress, back a step, answering a solution."""

import pytest
from csp_check import assert_csp_safe

from onward import SYSTEM, User, acting_as, db
from onward.plugins.onboarding import guided
from onward.plugins.onboarding.guided_models import GuidedCase

pytestmark = pytest.mark.onward_config(ONBOARDING_AUTO_CASE=False)


@pytest.fixture
def home(make_account):
    return make_account("Genixify")


@pytest.fixture
def customer(make_user, home):
    return make_user("customer", account=home, name="Ada")


def page_of(case_id):
    return f"/portal/guided-cases/{case_id}"


def state(app, case_id):
    with app.app_context():
        case = db.session.get(GuidedCase, case_id)
        return case.state, case.step, case.solution, case.rejection_reason


def test_drafts_appear_under_my_draft_cases(app, client, login_as, make_user, home, customer,
                                            new_guided_case):
    agent = make_user("onboarding_agent")
    with app.app_context(), acting_as(db.session.get(User, agent)):
        draft = guided.create_case(db.session.get(User, customer), short_description="Joint")
        db.session.commit()
        draft = draft.number
    new_guided_case(customer, state="Open", step=3, short_description="Loan")
    new_guided_case(make_user("customer", account=home), short_description="Not yours")
    login_as(user=customer)
    page = client.get("/portal").get_data(as_text=True)
    drafts, rest = page.split('aria-label="My draft cases"')[1].split(
        'aria-label="My guided onboarding cases"')
    assert draft in drafts and "Joint" in drafts and "Loan" not in drafts
    assert "Loan" in rest and "Step 3 of 9" in rest
    assert "Not yours" not in page
    assert_csp_safe(page, "portal lists")
    login_as(user=agent)
    agent_drafts = client.get("/portal").get_data(as_text=True).split(
        'aria-label="My draft cases"')[1]
    assert draft in agent_drafts and "Not yours" not in agent_drafts


def test_the_customer_follows_its_progress_and_goes_back(app, client, login_as, customer,
                                                         new_guided_case):
    case_id = new_guided_case(customer, state="Open", step=3)
    login_as(user=customer)
    page = client.get(page_of(case_id)).get_data(as_text=True)
    assert "Step 3 of 9: Review and submit paperwork" in page
    assert "Remaining after this step: Pre-approval, Document checklist" in page
    assert "Back to the previous step" in page
    assert_csp_safe(page, "portal guided case")
    response = client.post(f"{page_of(case_id)}/back")
    assert response.status_code == 302
    assert state(app, case_id)[1] == 2
    assert "You are back one step." in client.get(response.location).get_data(as_text=True)


def test_a_draft_has_not_started(client, login_as, customer, new_guided_case):
    case_id = new_guided_case(customer)
    login_as(user=customer)
    page = client.get(page_of(case_id)).get_data(as_text=True)
    assert "Not started yet" in page and "Back to the previous step" not in page
    refused = client.post(f"{page_of(case_id)}/back", follow_redirects=True)
    assert "go back a step only when it is Open" in refused.get_data(as_text=True)


def test_the_customer_rejects_then_accepts_a_solution(app, client, login_as, customer,
                                                      new_guided_case):
    case_id = new_guided_case(customer, state="Open", step=9)
    with app.app_context(), acting_as(SYSTEM):
        guided.propose(db.session.get(GuidedCase, case_id), "Plan A")
        db.session.commit()
    login_as(user=customer)
    page = client.get(page_of(case_id)).get_data(as_text=True)
    assert "The solution we propose" in page and "Plan A" in page
    assert "Accept the solution" in page and "Reject the solution" in page
    refused = client.post(f"{page_of(case_id)}/reject", data={"reason": ""},
                          follow_redirects=True).get_data(as_text=True)
    assert "Say why you reject the solution" in refused
    client.post(f"{page_of(case_id)}/reject", data={"reason": "Too dear"})
    assert state(app, case_id) == ("Open", 9, "", "Too dear")
    page = client.get(page_of(case_id)).get_data(as_text=True)
    assert "You rejected the last solution" in page and "Too dear" in page
    with app.app_context(), acting_as(SYSTEM):
        guided.propose(db.session.get(GuidedCase, case_id), "Plan B")
        db.session.commit()
    client.post(f"{page_of(case_id)}/accept")
    assert state(app, case_id)[0] == "Closed"
    page = client.get(page_of(case_id)).get_data(as_text=True)
    assert "The solution you accepted" in page and "Accept the solution" not in page


def test_others_cannot_answer_for_the_customer(app, client, login_as, make_user, home,
                                               customer, new_guided_case):
    case_id = new_guided_case(customer, state="Solution proposed", step=9, solution="Plan A")
    login_as("onboarding_agent")
    page = client.get(page_of(case_id)).get_data(as_text=True)
    assert "Plan A" in page and "Accept the solution" not in page
    assert client.post(f"{page_of(case_id)}/accept").status_code == 403
    login_as(user=make_user("customer", account=home))
    assert client.get(page_of(case_id)).status_code == 404
    assert client.post(f"{page_of(case_id)}/accept").status_code == 404
    assert state(app, case_id)[0] == "Solution proposed"


def test_the_demo_customer_has_a_draft_and_a_proposed_solution(app, runner, client,
                                                                login_as):
    for _ in range(2):  # once only
        assert runner.invoke(["demo"]).exit_code == 0
    with app.app_context():
        contact = db.session.scalar(db.select(User).where(
            User.email == "contact@northwind.example"))
        cases = {c.short_description: (c.state, c.id) for c in db.session.scalars(
            db.select(GuidedCase).where(GuidedCase.contact_id == contact.id))}
        contact = contact.id
    assert {name: state for name, (state, _id) in cases.items()} == {
        "Open a joint account": "Draft", "Business credit line": "Solution proposed"}
    login_as(user=contact)
    drafts = client.get("/portal").get_data(as_text=True).split(
        'aria-label="My draft cases"')[1]
    assert "Open a joint account" in drafts
    page = client.get(page_of(cases["Business credit line"][1])).get_data(as_text=True)
    assert "Accept the solution" in page
