"""The staging backup: naming, the age cut-off, closed and canceled tasks, job and command."""

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select, update

from onward import SYSTEM, User, acting_as, db, jobs
from onward.plugins.dataimport import backup, staging
from onward.plugins.dataimport.models import DataImport, DataSource, ImportFile, StagingRow
from onward.plugins.onboarding.cases import create_task
from onward.plugins.onboarding.models import CaseTask

from .workbooks import openpyxl_workbook

TODAY = dt.datetime.now(dt.UTC)


@pytest.fixture
def staged(app, task_id, tmp_path):
    """Stage ``rows`` into a new import of ``task`` (default: the fixture's); returns its id."""

    def make(rows, task=task_id, source=None):
        path = openpyxl_workbook(tmp_path / "locations.xlsx", {"Locations": [
            ["Name", "City"], *rows]})
        with app.app_context(), acting_as(SYSTEM):
            data_import = staging.import_of_task(db.session.get(CaseTask, task), "locations")
            if source:
                data_import.source = DataSource(name=source, target="locations",
                                                staging_name=source, domain_id=1)
            with open(path, "rb") as stream:
                record = staging.add_file(data_import, path.name, stream)
            staging.stage_file(data_import, record)
            db.session.commit()
            return data_import.id

    return make


def age(app, import_id, days, names=None):
    """Make the import's rows (or those named) ``days`` old."""
    with app.app_context():
        stmt = update(StagingRow).where(StagingRow.import_id == import_id)
        rows = db.session.scalars(select(StagingRow).where(StagingRow.import_id == import_id))
        ids = [row.id for row in rows if names is None or row.values["name"] in names]
        db.session.execute(stmt.where(StagingRow.id.in_(ids)).values(
            created_at=TODAY - dt.timedelta(days=days)))
        db.session.commit()


def back_up(app):
    with app.app_context(), acting_as(SYSTEM):
        written = [(f.import_id, f.name, f.rows) for f in backup.back_up_staging()]
        db.session.commit()
        return written


def backups(app):
    """``{name: (rows, csv rows)}`` of every backup file."""
    with app.app_context():
        found = {}
        for record in db.session.scalars(select(ImportFile).where(
                ImportFile.state == "backup")):
            text = staging.file_path(record).read_text(encoding="utf-8-sig")
            found[record.name] = (record.rows, list(csv.reader(io.StringIO(text))))
        return found


def created(app, import_id):
    with app.app_context():
        return db.session.get(DataImport, import_id).created_at.date().isoformat()


def test_rows_older_than_the_setting_go_to_a_csv_named_after_staging_and_date(app, staged):
    import_id = staged([["HQ", "Santa Clara"], ["Depot", "Austin"], ["@SUM(1)", "Reno"]])
    age(app, import_id, 31, names={"HQ", "@SUM(1)"})
    age(app, import_id, 29, names={"Depot"})
    name = f"dataimport_locations - {created(app, import_id)}.csv"
    assert back_up(app) == [(import_id, name, 2)]
    rows, content = backups(app)[name]
    assert rows == 2
    header = content[0]
    assert header[:3] == ["Row", "Sheet row", "Status"] and header[-2:] == ["Problems",
                                                                           "Created"]
    by_name = [dict(zip(header, row, strict=True)) for row in content[1:]]
    assert [(r["Name"], r["City"], r["Sheet row"]) for r in by_name] == [
        ("HQ", "Santa Clara", "2"), ("'@SUM(1)", "Reno", "4")]  # neutralised
    with app.app_context():  # a copy: staging keeps every row
        assert db.session.query(StagingRow).count() == 3


@pytest.mark.onward_config(IMPORT_BACKUP_DAYS=2)
def test_the_backup_days_setting_moves_the_cut_off(app, staged):
    import_id = staged([["HQ", "Santa Clara"], ["Depot", "Austin"]])
    age(app, import_id, 3, names={"HQ"})
    age(app, import_id, 1, names={"Depot"})
    [(_, _, rows)] = back_up(app)
    assert rows == 1


def test_new_rows_are_not_backed_up_and_no_file_is_made(app, staged):
    staged([["HQ", "Santa Clara"]])
    assert back_up(app) == []
    assert backups(app) == {}


def test_the_data_sources_staging_name_names_the_file(app, staged):
    import_id = staged([["HQ", "Santa Clara"]], source="ALE_DS_locations")
    age(app, import_id, 40)
    assert [name for _, name, _ in back_up(app)] == [
        f"ALE_DS_locations - {created(app, import_id)}.csv"]


def test_a_second_run_rewrites_the_same_backup(app, staged):
    import_id = staged([["HQ", "Santa Clara"], ["Depot", "Austin"]])
    age(app, import_id, 40, names={"HQ"})
    back_up(app)
    age(app, import_id, 40)
    back_up(app)
    [(rows, content)] = backups(app).values()
    assert rows == 2 and len(content) == 3


@pytest.mark.parametrize("state", ["Closed", "Canceled"])
def test_closed_and_canceled_tasks_are_skipped(app, staged, task_id, state):
    with app.app_context(), acting_as(SYSTEM):
        other = create_task(db.session.get(CaseTask, task_id).case, "Import again",
                            task_type="data_capture")
        db.session.commit()
        other = other.id
    active = staged([["HQ", "Santa Clara"]])
    done = staged([["Depot", "Austin"]], task=other)
    age(app, active, 40)
    age(app, done, 40)
    with app.app_context():
        db.session.execute(update(CaseTask).where(CaseTask.id == other).values(state=state))
        db.session.commit()
    assert [import_id for import_id, _, _ in back_up(app)] == [active]


def test_the_job_is_scheduled_inactive_and_an_admin_runs_it_by_hand(app, staged, make_user):
    import_id = staged([["HQ", "Santa Clara"]])
    age(app, import_id, 40)
    admin = make_user("admin")
    with app.app_context():
        job = jobs.job_type("dataimport_backup")
        assert (job.schedule, job.active) == ("0 2 * * *", False)
        assert jobs.schedules()["dataimport_backup"].active is False
        with acting_as(db.session.get(User, admin)):
            run_id = jobs.start_by_hand("dataimport_backup").id
            db.session.commit()
    with app.app_context():
        run = db.session.get(jobs.JobRun, run_id)
        assert (run.status, run.message) == ("succeeded", "1 backups written")
        assert run.result["files"][0]["name"].startswith("dataimport_locations - ")
    assert len(backups(app)) == 1


def test_onward_import_backup_writes_the_backups(app, staged, runner):
    import_id = staged([["HQ", "Santa Clara"]])
    age(app, import_id, 40)
    result = runner.invoke(["import", "backup", "--json"])
    assert result.exit_code == 0, result.output
    import json

    [written] = json.loads(result.output)
    assert written["file"] == f"dataimport_locations - {created(app, import_id)}.csv"
    assert written["rows"] == 1 and written["task"].startswith("ALETSK")
    assert runner.invoke(["import", "backup"]).exit_code == 0
