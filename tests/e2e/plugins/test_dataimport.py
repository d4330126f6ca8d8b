"""An agent imports locations in a real browser: upload, fix a row inline, validate, publish."""

import openpyxl
import pytest
from playwright.sync_api import expect

from onward import SYSTEM, Account, acting_as, db


@pytest.fixture
def task_id(app, make_account):
    """A data capture task of Genixify's case."""
    from onward.plugins.onboarding.cases import create_case, create_task

    account = make_account("Genixify")
    with app.app_context(), acting_as(SYSTEM):
        case = create_case(db.session.get(Account, account))
        task = create_task(case, "Import locations", task_type="data_capture")
        db.session.commit()
        return task.id


def test_an_agent_uploads_fixes_validates_and_publishes(page, live_server, sign_in,
                                                        make_user, task_id, tmp_path):
    make_user("onboarding_agent", email="olivia@provider.example", name="Olivia Agent")
    book = openpyxl.Workbook()
    for row in (["Name", "City", "Latitude"], ["HQ", "Santa Clara", 37.35],
                ["Depot", "Austin", "north"]):
        book.active.append(row)
    workbook = tmp_path / "locations.xlsx"
    book.save(workbook)
    sign_in("olivia@provider.example")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.goto(f"{live_server}/onboarding/tasks/{task_id}")
    page.get_by_role("link", name="Data import").click()
    page.get_by_label("Target").select_option("locations")
    page.get_by_role("button", name="Start import").click()
    expect(page.get_by_text("The import is started: upload its files.")).to_be_visible()

    page.get_by_label("XLSX files").set_input_files(str(workbook))
    page.get_by_role("button", name="Upload", exact=True).click()
    progress = page.get_by_role("region", name="Job progress")
    expect(progress.get_by_text("2 rows staged; 1 ready to publish; 1 need attention")) \
        .to_be_visible()
    expect(page.locator('[data-count="needs_attention"]')).to_have_text("1")

    page.get_by_role("link", name="Needs attention").click()
    expect(page.get_by_text("Latitude: 'north' is not a number.")).to_be_visible()
    page.get_by_label("Latitude of row 3").fill("30.27")
    page.get_by_role("button", name="Save row 3").click()
    expect(page.get_by_text("Row 3 is saved; validate it again.")).to_be_visible()
    expect(page.locator('[data-count="yet_to_validate"]')).to_have_text("1")

    page.get_by_role("button", name="Validate").click()
    expect(page.locator('[data-count="ready"]')).to_have_text("2")
    expect(page.locator('[data-count="needs_attention"]')).to_have_text("0")

    page.get_by_role("button", name="Publish all ready").click()
    expect(page.locator('[data-count="published"]')).to_have_text("2")
    expect(page.locator("[data-publish-report]")).to_contain_text(
        "2 inserted · 0 updated · 0 unchanged · 0 failed")
    assert page.console_errors == []
