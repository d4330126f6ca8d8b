"""Fixtures of the data import's tests: the account being onboarded and its task."""

import pytest

from onward import SYSTEM, Account, acting_as, db


@pytest.fixture
def account(make_account):
    """Genixify, the account being onboarded."""
    return make_account("Genixify")


@pytest.fixture
def task_id(app, account):
    """A data capture task of Genixify's onboarding case."""
    from onward.plugins.onboarding.cases import create_case, create_task

    with app.app_context(), acting_as(SYSTEM):
        case = create_case(db.session.get(Account, account))
        task = create_task(case, "Import locations", task_type="data_capture")
        db.session.commit()
        return task.id
