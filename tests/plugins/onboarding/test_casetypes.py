"""State → Stage (cases) and State → Progress (tasks), exactly as the seed's tables say."""

import pytest

from onward import RuleViolation, db
from onward.plugins.onboarding.models import CaseTask, OnboardingCase

CASE = [("New", "Not started"), ("Unassigned", "Not started"), ("Active", "On track"),
        ("Blocked", "Paused"), ("Closed", "Finished"), ("Canceled", "Finished")]
TASK = [("Open", "Not started"), ("Awaiting customer", "Paused"),
        ("Awaiting internal", "Paused"), ("In Progress", "On track"), ("Review", "On track"),
        ("Closed", "Finished"), ("Canceled", "Finished")]


@pytest.fixture
def case_id(new_case, make_account):
    return new_case(make_account("Genixify"))


def test_a_new_case_is_new_and_not_started(app, case_id):
    with app.app_context():
        case = db.session.get(OnboardingCase, case_id)
        assert (case.state, case.stage) == ("New", "Not started")
        assert case.number.startswith("ALEONB") and len(case.number) == 13


def test_a_new_account_gets_its_onboarding_case(app, make_account):
    from sqlalchemy import select

    account = make_account("Genixify")
    with app.app_context():
        (case,) = db.session.scalars(select(OnboardingCase).where(
            OnboardingCase.account_id == account)).all()
        assert (case.number, case.short_description) == ("ALEONB0000001", "Onboard Genixify")


@pytest.mark.onward_config(ONBOARDING_AUTO_CASE=False)
def test_the_automatic_case_can_be_turned_off(app, make_account):
    from sqlalchemy import func, select

    make_account("Genixify")
    with app.app_context():
        assert db.session.scalar(select(func.count(OnboardingCase.id))) == 0


@pytest.mark.parametrize(("state", "stage"), CASE)
def test_case_state_sets_its_default_stage(app, case_id, state, stage):
    with app.app_context():
        case = db.session.get(OnboardingCase, case_id)
        case.state = "Active"
        db.session.commit()
        case.stage = "At risk"
        db.session.commit()
        case.state = state
        db.session.commit()
        assert case.stage == ("At risk" if state == "Active" else stage)


@pytest.mark.parametrize(("state", "at_risk"), [(s, s not in ("Closed", "Canceled"))
                                                for s, _ in CASE])
def test_at_risk_on_cases_except_closed_or_canceled(app, case_id, state, at_risk):
    with app.app_context():
        case = db.session.get(OnboardingCase, case_id)
        case.state = state
        db.session.commit()
        case.stage = "At risk"
        if at_risk:
            db.session.commit()
        else:
            with pytest.raises(RuleViolation, match="allowed: Finished"):
                db.session.commit()


@pytest.mark.parametrize(("state", "progress"), TASK)
def test_task_state_sets_its_default_progress(app, case_id, new_task, state, progress):
    task_id = new_task(case_id)
    with app.app_context():
        task = db.session.get(CaseTask, task_id)
        assert (task.state, task.progress) == ("Open", "Not started")
        task.state = state
        db.session.commit()
        assert task.progress == progress


@pytest.mark.parametrize(("state", "at_risk"), [
    (s, s not in ("Open", "Closed", "Canceled")) for s, _ in TASK])
def test_at_risk_on_tasks_except_open_closed_or_canceled(app, case_id, new_task, state,
                                                          at_risk):
    task_id = new_task(case_id)
    with app.app_context():
        task = db.session.get(CaseTask, task_id)
        task.state = state
        db.session.commit()
        task.progress = "At risk"
        if at_risk:
            db.session.commit()
        else:
            with pytest.raises(RuleViolation, match="Progress 'At risk' is not allowed"):
                db.session.commit()


def test_tasks_default_to_the_administrator_responsibility(app, case_id, new_task):
    with app.app_context():
        assert db.session.get(CaseTask, new_task(case_id)).responsibility == "provider_admin"


def test_overdue_means_past_due_and_still_open(app, case_id, new_task, yesterday):
    task_id = new_task(case_id, due_date=yesterday)
    with app.app_context():
        task = db.session.get(CaseTask, task_id)
        assert task.overdue and task.days_remaining == -1
        task.state = "Closed"
        db.session.commit()
        assert not task.overdue
