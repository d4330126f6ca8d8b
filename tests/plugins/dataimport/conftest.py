"""Fixtures of the data import's tests: the account being onboarded, its task, the task's
import and its customer contact."""

import pytest
from sqlalchemy import update

from onward import SYSTEM, Account, acting_as, db
from onward.plugins.dataimport import config, staging
from onward.plugins.onboarding.models import CaseTask

from .workbooks import HEADER, openpyxl_workbook


@pytest.fixture(params=["in this process", "in a child process"])
def both_readers(request, monkeypatch):
    """Run the test twice: the rows read and checked here, then in a child process (as a
    large sheet's are), unless the test sets the threshold itself."""
    if request.param == "in a child process":
        monkeypatch.setitem(config.SETTINGS, "IMPORT_CHILD_PROCESS_MIN_ROWS", 0)


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


@pytest.fixture
def import_id(app, task_id):
    """The task's import into locations, started as the system, no rows yet."""
    with app.app_context(), acting_as(SYSTEM):
        data_import = staging.import_of_task(db.session.get(CaseTask, task_id), "locations")
        db.session.commit()
        return data_import.id


@pytest.fixture
def contact(app, make_user, account, task_id):
    """The customer contact of the task, made visible to the customer."""
    user = make_user("customer", account=account, email="cathy@genixify.example")
    with app.app_context():
        db.session.execute(update(CaseTask).where(CaseTask.id == task_id)
                           .values(contact_id=user, visible_to_customer=True))
        db.session.commit()
    return user


@pytest.fixture
def xlsx(tmp_path):
    """Write a one-sheet workbook of ``rows`` under the locations header (or ``header``)."""

    def make(rows, header=HEADER, name="locations.xlsx"):
        return openpyxl_workbook(tmp_path / name, {"Locations": [header, *rows]})

    return make


@pytest.fixture
def run(app, task_id):
    """Run ``step(data_import, *args)`` as the system in one transaction; returns its result."""

    def call(step, *args, target="locations", **kwargs):
        with app.app_context(), acting_as(SYSTEM):
            task = db.session.get(CaseTask, task_id)
            data_import = staging.import_of_task(task, target)
            result = step(data_import, *args, **kwargs)
            db.session.commit()
            return result

    return call
