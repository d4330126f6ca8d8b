"""``onward demo`` brings the onboarding workspace alive, once."""

import json

from sqlalchemy import func, select

from onward import db
from onward.plugins.onboarding.models import CaseTask, OnboardingCase


def test_demo_adds_cases_in_several_states_once(app, runner):
    assert runner.invoke(["demo"]).exit_code == 0
    with app.app_context():
        states = set(db.session.scalars(select(OnboardingCase.state)))
        cases = db.session.scalar(select(func.count(OnboardingCase.id)))
        tasks = db.session.scalar(select(func.count(CaseTask.id)))
    assert {"Active", "New", "Blocked", "Closed"} <= states
    assert runner.invoke(["demo"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(OnboardingCase.id))) == cases
        assert db.session.scalar(select(func.count(CaseTask.id))) == tasks
    overdue = json.loads(runner.invoke(["tasks", "list", "--overdue", "--json"]).output)
    assert {row["subject"] for row in overdue} == {"Import customer contacts",
                                                  "Catalog development"}


def test_demo_adds_a_catalogue_and_genixifys_customer_data_once(app, runner, client, login_as):
    from onward import User
    from onward.plugins.onboarding.customer_data import (
        OnboardingInstallBaseSoldProduct,
        OnboardingProduct,
    )

    for _ in range(2):
        assert runner.invoke(["demo"]).exit_code == 0
    with app.app_context():
        products = dict(db.session.execute(
            select(OnboardingProduct.name, OnboardingProduct.customer_visible)).all())
        links = db.session.scalar(select(func.count(OnboardingInstallBaseSoldProduct.id)))
        ada = db.session.scalar(select(User).where(User.email == "ada@genixify.example"))
        assert ada.account.name == "Genixify"
        assert [role.name for role in ada.roles] == ["customer_admin"]
    assert products["Field Router X1"] is True and products["Usage Analytics add-on"] is False
    assert links == 1  # the same data, not twice
    login_as("onboarding_agent")
    assert "Genixify HQ" in client.get("/onboarding/data/locations").get_data(as_text=True)
