"""The import, validate and publish jobs: progress, results, and runs taking turns."""

import datetime as dt
import time

import pytest
from sqlalchemy import select, update

from onward import SYSTEM, acting_as, db, jobs
from onward.plugins.dataimport import staging
from onward.plugins.dataimport.models import DataImport
from onward.plugins.onboarding.models import CaseTask

from .workbooks import openpyxl_workbook


@pytest.fixture
def files(app, task_id, tmp_path):
    """An import of the task with a good and a refused file; returns (import id, file ids)."""
    good = openpyxl_workbook(tmp_path / "good.xlsx", {"Locations": [
        ["Name", "City"], ["HQ", "Santa Clara"], ["Depot", "Austin"], [None, "Reno"]]})
    bad = openpyxl_workbook(tmp_path / "bad.xlsx", {"Locations": [["Name", "Cty"], ["X", "Y"]]})
    with app.app_context(), acting_as(SYSTEM):
        data_import = staging.import_of_task(db.session.get(CaseTask, task_id), "locations")
        ids = []
        for path in (good, bad):
            with open(path, "rb") as stream:
                ids.append(staging.add_file(data_import, path.name, stream).id)
        db.session.commit()
        return data_import.id, ids


def run(app, key, **arguments):
    with app.app_context(), acting_as(SYSTEM):
        run_id = jobs.enqueue(key, **arguments).id
        db.session.commit()
    with app.app_context():
        return db.session.get(jobs.JobRun, run_id)


def test_the_import_job_stages_validates_and_reports(app, files):
    import_id, file_ids = files
    done = run(app, "dataimport_import", import_id=import_id, file_ids=file_ids)
    assert (done.status, done.progress) == ("succeeded", 100)
    assert done.result["staged"] == 3
    assert done.result["counts"] == {"ready": 2, "needs_attention": 1}
    assert list(done.result["refused"]) == ["bad.xlsx"]
    assert done.message == ("3 rows staged; 2 ready to publish; 1 need attention; "
                            "refused: bad.xlsx")
    published = run(app, "dataimport_publish", import_id=import_id)
    assert published.result["inserted"] == 2 and published.message.startswith("2 inserted")
    with app.app_context():
        data_import = db.session.get(DataImport, import_id)
        assert (data_import.state, data_import.lock_run_id) == ("published", None)


@pytest.mark.onward_config(JOBS_BACKEND="thread", IMPORT_CHILD_PROCESS_MIN_ROWS=0)
def test_the_import_job_in_a_worker_thread_reads_in_a_child_process(app, files):
    # the default backend runs jobs in threads of the web process: the reader is forked
    # from one of them
    import_id, file_ids = files
    with app.app_context(), acting_as(SYSTEM):
        run_id = jobs.enqueue("dataimport_import", import_id=import_id, file_ids=file_ids).id
        db.session.commit()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with app.app_context():
            done = db.session.get(jobs.JobRun, run_id)
            if done.done:
                break
        time.sleep(0.05)
    assert (done.status, done.result["staged"], done.result["counts"]) == (
        "succeeded", 3, {"ready": 2, "needs_attention": 1})


@pytest.mark.onward_config(IMPORT_LEASE_WAIT_SECONDS=0)
def test_a_run_waits_for_the_lease_and_takes_over_a_stale_one(app, files):
    import_id, file_ids = files
    with app.app_context():
        db.session.execute(update(DataImport).values(lock_run_id=999_999,
                                                     locked_at=dt.datetime.now(dt.UTC)))
        db.session.commit()
    busy = run(app, "dataimport_validate", import_id=import_id)
    assert busy.status == "failed"
    assert busy.error == "Another run on this import has not ended; try again later."
    with app.app_context():
        long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
        db.session.execute(update(DataImport).values(locked_at=long_ago))
        db.session.commit()
    assert run(app, "dataimport_import", import_id=import_id,
               file_ids=file_ids).status == "succeeded"
    with app.app_context():
        assert db.session.scalar(select(DataImport.lock_run_id)) is None


def test_an_errors_workbook_brought_in_by_the_job_fixes_its_rows(app, files, tmp_path):
    import openpyxl

    from onward.plugins.dataimport import exports

    import_id, file_ids = files
    run(app, "dataimport_import", import_id=import_id, file_ids=file_ids)
    path = tmp_path / "errors.xlsx"
    with app.app_context(), acting_as(SYSTEM):
        path.write_bytes(exports.errors_workbook(db.session.get(DataImport, import_id)))
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    name = [cell.value for cell in sheet[1]].index("Name") + 1
    sheet.cell(row=2, column=name, value="Store")
    book.save(path)
    with app.app_context(), acting_as(SYSTEM):
        with open(path, "rb") as stream:
            fixed = staging.add_file(db.session.get(DataImport, import_id), "errors.xlsx",
                                     stream).id
        db.session.commit()
    done = run(app, "dataimport_import", import_id=import_id, file_ids=[fixed])
    assert done.result["counts"] == {"ready": 3}
    assert done.result["staged"] == 1 and done.result["refused"] == {}


@pytest.mark.onward_config(IMPORT_CHUNK_ROWS=1)
@pytest.mark.parametrize(("seconds", "reports"), [(0, 3), (3600, 1)])
def test_the_import_job_reports_rows_staged_now_and_then(app, files, monkeypatch, seconds,
                                                          reports):
    from onward.plugins.dataimport import jobs as import_jobs

    messages = []
    progress = jobs.JobContext.progress
    monkeypatch.setattr(jobs.JobContext, "progress", lambda ctx, percent, message="": (
        messages.append(message), progress(ctx, percent, message)))
    monkeypatch.setattr(import_jobs, "REPORT_SECONDS", seconds)
    import_id, file_ids = files
    done = run(app, "dataimport_import", import_id=import_id, file_ids=file_ids[:1])
    assert done.result["staged"] == 3
    assert [m for m in messages if "staged and validated" in m] == [
        f"good.xlsx: {rows} rows staged and validated" for rows in (1, 2, 3)][:reports]
