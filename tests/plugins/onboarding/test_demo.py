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
