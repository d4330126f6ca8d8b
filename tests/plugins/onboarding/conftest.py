"""Fixtures of the onboarding plugin's tests: cases, tasks, an account, an agent."""

import datetime as dt

import pytest

from onward import SYSTEM, Account, acting_as, db


@pytest.fixture
def new_case(app):
    """Open a case for an account id (as the system); returns the case id."""
    from onward.plugins.onboarding.cases import create_case

    def make(account_id: int, **fields) -> int:
        with app.app_context(), acting_as(SYSTEM):
            case = create_case(db.session.get(Account, account_id), **fields)
            db.session.commit()
            return case.id

    return make


@pytest.fixture
def new_task(app):
    """Add a task to a case id; returns the task id."""
    from onward.plugins.onboarding.cases import create_task
    from onward.plugins.onboarding.models import OnboardingCase

    def make(case_id: int, subject: str = "Import contacts", **fields) -> int:
        with app.app_context(), acting_as(SYSTEM):
            task = create_task(db.session.get(OnboardingCase, case_id), subject, **fields)
            db.session.commit()
            return task.id

    return make


@pytest.fixture
def account(make_account):
    """A customer account, Genixify (its automatic case opens with it)."""
    return make_account("Genixify")


@pytest.fixture
def case_id(new_case, account):
    """A case of the account."""
    return new_case(account)


@pytest.fixture
def agent(make_user, api_headers):
    """API headers of an onboarding agent."""
    return api_headers(make_user("onboarding_agent"))


@pytest.fixture
def yesterday():
    return dt.date.today() - dt.timedelta(days=1)


@pytest.fixture
def new_guided_case(app):
    """Open a guided case for a customer user id (as the system); returns its id.

    ``state``, ``step``, ``assigned_to_id`` and ``solution`` are set as given, without the
    transitions, to start a test where it needs to.
    """
    from onward import User
    from onward.plugins.onboarding import guided

    def make(contact_id: int, *, state: str = "Draft", step: int = 1,
             assigned_to_id: int | None = None, solution: str = "", **fields) -> int:
        with app.app_context(), acting_as(SYSTEM):
            case = guided.create_case(db.session.get(User, contact_id), **fields)
            case.state, case.step, case.assigned_to_id = state, step, assigned_to_id
            case.solution = solution
            db.session.commit()
            return case.id

    return make
