"""The customer portal in a real browser: My lists, a case with its products, a comment."""

import re

from playwright.sync_api import expect

from onward import SYSTEM, Account, acting_as, db
from onward.plugins.onboarding.cases import create_case, create_task
from onward.plugins.onboarding.customer_data import OnboardingProduct


def test_a_customer_opens_its_case_and_comments_on_a_task(app, page, live_server, sign_in,
                                                         make_account, make_user):
    account_id = make_account("Genixify")
    me = make_user("customer", account=account_id, email="pat@genixify.example", name="Pat")
    with app.app_context(), acting_as(SYSTEM):
        account = db.session.get(Account, account_id)
        product = OnboardingProduct(name="Field Service", domain_id=account.domain_id,
                                    description="Dispatch and scheduling")
        db.session.add(product)
        db.session.flush()
        case = create_case(account, contact_id=me, short_description="Our onboarding",
                           product_ids=[product.id])
        create_task(case, "Send contacts", contact_id=me, visible_to_customer=True)
        db.session.commit()
    sign_in("pat@genixify.example")
    page.goto(live_server + "/portal")
    page.get_by_role("link", name=re.compile(r"ALEONB\d+")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Our onboarding")
    expect(page.get_by_text("Dispatch and scheduling")).to_be_visible()
    page.get_by_role("link", name=re.compile(r"ALETSK\d+")).click()
    page.get_by_role("textbox", name="Additional comment").fill("The contacts are attached.")
    page.get_by_role("button", name="Add comment").click()
    expect(page.get_by_text("Your comment is added.")).to_be_visible()
    expect(page.locator(".journal-body")).to_have_text(["The contacts are attached."])
    assert page.console_errors == []
