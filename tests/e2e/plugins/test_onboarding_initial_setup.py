"""An onboarding agent walks a new case through Initial setup in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from onward import SYSTEM, Account, acting_as, db


@pytest.fixture
def case_id(app, make_account):
    """A new case of Genixify, its playbook started."""
    from onward.plugins.onboarding.cases import create_case

    account = make_account("Genixify")
    with app.app_context(), acting_as(SYSTEM):
        case = create_case(db.session.get(Account, account))
        db.session.commit()
        return case.id


def complete(page, key: str, **fields) -> None:
    """Fill the fields of activity ``key`` (by label) and mark it complete."""
    card = page.locator(f"#activity-{key}")
    for label, value in fields.items():
        box = card.get_by_label(label.replace("_", " "), exact=True)
        if box.evaluate("e => e.tagName") == "SELECT":
            box.select_option(value)
        else:
            box.fill(value)
    card.get_by_role("button", name="Mark complete").click()


def expect_open(page, key: str) -> None:
    """``key``'s card is in progress, with its form."""
    card = page.locator(f"#activity-{key}")
    expect(card.locator(".badge.status-in_progress")).to_have_text("In progress")
    expect(card.get_by_role("button", name="Mark complete")).to_be_visible()


def test_an_agent_walks_initial_setup_and_sees_it_in_the_left_panel(
        page, live_server, sign_in, make_user, case_id):
    agent = make_user("onboarding_agent", email="olivia@provider.example", name="Olivia Agent")
    developer = make_user("onboarding_agent", email="dev@provider.example", name="Dan Developer")
    csm = make_user("onboarding_agent", email="csm@provider.example", name="Cleo Success")
    sign_in("olivia@provider.example")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.goto(f"{live_server}/onboarding/cases/{case_id}")
    panel = page.get_by_role("complementary", name="Case details")
    expect(panel.get_by_role("region", name="Initial setup summary")).to_have_count(0)
    expect_open(page, "select_account")
    complete(page, "select_account")
    expect(page.get_by_text("Select account is complete.")).to_be_visible()

    expect_open(page, "onboarding_info")
    complete(page, "onboarding_info", Assigned_to_id=str(agent),
             Integration="remote_catalog", Onboarding_type="phased",
             Go_live_date="2031-03-31")

    expect_open(page, "customer_team")
    complete(page, "customer_team", Contacts="Ada, Lovelace, ada@genixify.example\n"
                                             "Bo, Brown, bo@genixify.example")

    expect_open(page, "customer_responsibilities")
    # a refusal keeps the activity open and says why
    complete(page, "customer_responsibilities",
             Assignments="ada@genixify.example, data_sme\nbo@genixify.example, data_sme")
    expect(page.get_by_text("At least one contact must be the Customer onboarding point "
                            "of contact.").first).to_be_visible()
    page.goto(f"{live_server}/onboarding/cases/{case_id}")
    complete(page, "customer_responsibilities",
             Assignments="ada@genixify.example, point_of_contact\n"
                         "bo@genixify.example, key_team_member")

    expect_open(page, "account_team")
    complete(page, "account_team", Members=f"{agent}, onboarding_manager; provider_admin\n"
                                           f"{developer}, developer")

    expect_open(page, "squad")
    complete(page, "squad", User_ids=str(developer))

    expect_open(page, "engagement")
    complete(page, "engagement", Csm_id=str(csm), Account_manager_id=str(agent),
             Renewal_date="2032-01-31")
    expect(page.get_by_text("Create engagement is complete.")).to_be_visible()
    stages = page.get_by_role("navigation", name="Stages")
    expect(stages.get_by_role("link", name=re.compile("Initial setup"))).to_contain_text("done")
    expect(stages.get_by_role("link", name=re.compile("Data capture"))).to_contain_text(
        "current")

    summary = panel.get_by_role("region", name="Initial setup summary")
    expect(summary).to_be_visible()
    for text in ("Genixify", "Olivia Agent", "Remote catalog", "Phased", "2031-03-31",
                 "ada@genixify.example", "Customer onboarding point of contact",
                 "Key team member", "Onboarding manager", "ServiceNow administrator",
                 "Dan Developer", "Developer/admin", "Cleo Success", "2032-01-31"):
        expect(summary).to_contain_text(text)
    expect(summary.get_by_role("region", name="Squad")).to_contain_text("Dan Developer")
    expect(page).to_have_url(re.compile(rf"/onboarding/cases/{case_id}"))
    # the one refusal's page comes with status 422, which Chromium reports; nothing else
    assert [e for e in page.console_errors if "status of 422" not in e] == []
    assert len(page.console_errors) == 1
