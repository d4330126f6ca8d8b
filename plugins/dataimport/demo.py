"""Demo imports: the onboarding demo's data capture tasks started, one with rows to fix."""

from __future__ import annotations

import io

from openpyxl import Workbook
from sqlalchemy import select

from onward import SYSTEM, acting_as, db
from onward.plugins.dataimport import staging
from onward.plugins.dataimport.models import DataImport
from onward.plugins.onboarding.models import CaseTask

#: the onboarding demo's data capture tasks -> the target each imports into
DEMO_IMPORTS = {"Import customer contacts": "contacts", "Import locations": "locations",
                "Send us your locations": "locations"}
#: the file staged into Genixify's locations: an update of a location it has, two new
#: ones, and two rows that need attention (a latitude that is no number, a name missing)
DEMO_FILE = ("genixify locations.xlsx", [
    ["Name", "Street", "City", "Country", "Latitude", "Longitude"],
    ["Genixify HQ", "1 Innovation Way", "Santa Clara", "US", 37.35, -121.95],
    ["Austin depot", "9 Dock Rd", "Austin", "US", 30.27, -97.74],
    ["Reno warehouse", "5 Desert Ln", "Reno", "US", 39.53, -119.81],
    ["Boise office", "3 River St", "Boise", "US", "north", -116.2],
    [None, "12 Harbour Rd", "Seattle", "US", 47.61, -122.33],
])


def load_demo_imports() -> None:
    """Start each demo data capture task's import, once; stage Genixify's locations file."""
    with acting_as(SYSTEM):
        tasks = db.session.scalars(select(CaseTask).where(
            CaseTask.subject.in_(DEMO_IMPORTS), CaseTask.task_type == "data_capture"))
        for task in tasks:
            if db.session.scalar(select(DataImport.id).where(DataImport.task_id == task.id)):
                continue
            data_import = staging.import_of_task(task, DEMO_IMPORTS[task.subject])
            if task.subject == "Import locations":
                _stage_demo_file(data_import)
        db.session.commit()


def _stage_demo_file(data_import: DataImport) -> None:
    name, rows = DEMO_FILE
    book = Workbook()
    book.active.title = "Locations"
    for row in rows:
        book.active.append(row)
    content = io.BytesIO()
    book.save(content)
    content.seek(0)
    staging.stage_file(data_import, staging.add_file(data_import, name, content))
