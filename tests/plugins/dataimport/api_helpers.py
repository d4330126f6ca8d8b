"""Building blocks of the data import API tests: imports with rows, uploads, customers."""

from __future__ import annotations

import io
from pathlib import Path

from onward import SYSTEM, acting_as, db
from onward.plugins.dataimport import publish, staging, validation
from onward.plugins.onboarding.models import CaseTask

from .workbooks import openpyxl_workbook

API = "/api/v1/dataimport"
HEADER = ["Name", "City"]
#: two good rows and one without the required name
ROWS = [["HQ", "Santa Clara"], ["Depot", "Austin"], [None, "Reno"]]


def locations_xlsx(folder: Path, rows=ROWS, name: str = "locations.xlsx") -> Path:
    """A one-sheet workbook of locations."""
    return openpyxl_workbook(folder / name, {"Locations": [HEADER, *rows]})


def make_import(app, task_id: int, target: str = "locations") -> int:
    """The task's import (as the system); returns its id."""
    with app.app_context(), acting_as(SYSTEM):
        data_import = staging.import_of_task(db.session.get(CaseTask, task_id), target)
        db.session.commit()
        return data_import.id


def staged_import(app, task_id: int, folder: Path, *, publish_rows: bool = False) -> int:
    """An import of the task with a staged, validated file (and a batch if asked)."""
    path = locations_xlsx(folder)
    with app.app_context(), acting_as(SYSTEM):
        data_import = staging.import_of_task(db.session.get(CaseTask, task_id), "locations")
        with path.open("rb") as stream:
            record = staging.add_file(data_import, path.name, stream)
        staging.stage_file(data_import, record)
        validation.validate(data_import)
        if publish_rows:
            publish.publish(data_import)
        db.session.commit()
        return data_import.id


def make_task(app, account_id: int, *, contact: int | None = None,
              visible: bool = True) -> int:
    """A data capture task of a new case of the account, for ``contact``; returns its id."""
    from onward import Account
    from onward.plugins.onboarding.cases import create_case, create_task

    with app.app_context(), acting_as(SYSTEM):
        case = create_case(db.session.get(Account, account_id))
        task = create_task(case, "Import locations", task_type="data_capture")
        task.contact_id, task.visible_to_customer = contact, visible
        db.session.commit()
        return task.id


def set_contact(app, task_id: int, user_id: int, visible: bool = True) -> None:
    """Make ``user_id`` the task's contact (and the task visible to customers)."""
    with app.app_context(), acting_as(SYSTEM):
        task = db.session.get(CaseTask, task_id)
        task.contact_id, task.visible_to_customer = user_id, visible
        db.session.commit()


def upload(client, headers: dict, import_id: int, *paths: Path):
    """POST the files as multipart ``file`` parts."""
    files = [(io.BytesIO(path.read_bytes()), path.name) for path in paths]
    return client.post(f"{API}/imports/{import_id}/files", headers=headers,
                       data={"file": files}, content_type="multipart/form-data")
