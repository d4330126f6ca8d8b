"""``onward demo`` leaves an import to fix and publish, and one for the portal, once."""

from sqlalchemy import func, select

from onward import db
from onward.plugins.dataimport import publish
from onward.plugins.dataimport.models import DataImport, ImportFile, StagingRow
from onward.plugins.dataimport.rowstatus import status_counts
from onward.plugins.onboarding.models import CaseTask


def imports(app):
    """{task subject: (target, rows per status, contact's email)}."""
    with app.app_context():
        return {task.subject: (data_import.target, status_counts(data_import),
                               task.contact.email if task.contact else None)
                for data_import, task in db.session.execute(
                    select(DataImport, CaseTask).join(CaseTask, CaseTask.id == DataImport.task_id))}


def test_demo_starts_the_data_capture_tasks_imports_once(app, runner):
    for _ in range(2):
        assert runner.invoke(["demo"]).exit_code == 0
    assert imports(app) == {
        "Import customer contacts": ("contacts", {}, None),
        "Import locations": ("locations", {"ready": 3, "needs_attention": 2}, None),
        "Send us your locations": ("locations", {}, "contact@northwind.example")}
    with app.app_context():
        assert db.session.scalar(select(func.count(ImportFile.id))) == 1
        problems = sorted(p["message"] for row in db.session.scalars(select(StagingRow))
                          for p in row.problems)
        assert problems == ["Latitude: 'north' is not a number.", "Name: a value is required."]


def test_the_demo_locations_publish_as_an_update_and_two_new_records(app, runner):
    from onward import SYSTEM, acting_as

    assert runner.invoke(["demo"]).exit_code == 0
    with app.app_context(), acting_as(SYSTEM):
        data_import = db.session.scalar(select(DataImport).where(
            DataImport.target == "locations", DataImport.task.has(subject="Import locations")))
        batch = publish.publish(data_import)
        assert (batch.inserted, batch.updated, batch.failed) == (2, 1, 0)


def test_the_northwind_contact_finds_the_import_in_the_portal(app, runner, client):
    from onward.core.demo import DEMO_PASSWORD

    assert runner.invoke(["demo"]).exit_code == 0
    with app.app_context():
        task_id = db.session.scalar(select(CaseTask.id).where(
            CaseTask.subject == "Send us your locations"))
    client.post("/sign-in", data={"email": "contact@northwind.example",
                                  "password": DEMO_PASSWORD})
    page = client.get(f"/dataimport/tasks/{task_id}").get_data(as_text=True)
    assert "XLSX files" in page and "Publish all ready" not in page
