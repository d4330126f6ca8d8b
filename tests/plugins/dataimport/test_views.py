"""The import page of a task: start, upload, import, fix, validate, publish, undo, restart,
close; for agents and, from the portal, for the customer contact of the task."""

import io
import re

import pytest
from csp_check import assert_csp_safe
from sqlalchemy import func, select, update

from onward import SYSTEM, acting_as, db, jobs
from onward.plugins.dataimport.models import DataImport, ImportFile, PublishBatch, StagingRow
from onward.plugins.onboarding.customer_data import OnboardingLocation
from onward.plugins.onboarding.models import CaseTask

from .workbooks import openpyxl_workbook

HEADER = ["Name", "Street", "City", "Country", "Latitude"]
ROWS = [["HQ", "1 Main St", "Santa Clara", "US", 37.35],
        ["Depot", "9 Dock Rd", "Austin", "US", "north"],
        [None, "2 Side St", "Reno", "US", None]]


@pytest.fixture
def agent(login_as):
    return login_as("onboarding_agent", email="agent@provider.example")


@pytest.fixture
def workbook(tmp_path):
    """The bytes of a locations workbook (``ROWS`` unless given)."""

    def make(rows=ROWS, name="locations.xlsx"):
        return openpyxl_workbook(tmp_path / name, {"Locations": [HEADER, *rows]}).read_bytes()

    return make


def url(task_id, action=""):
    return f"/dataimport/tasks/{task_id}" + (f"/{action}" if action else "")


def html(response):
    return response.get_data(as_text=True)


def upload(client, task_id, content, *, name="locations.xlsx", import_now=True):
    data = {"files": [(io.BytesIO(content), name)]}
    if import_now:
        data["import_now"] = "y"
    return client.post(url(task_id, "files"), data=data, content_type="multipart/form-data")


def rows(app):
    """{row number: (status, problem messages, values)}."""
    with app.app_context():
        return {row.row_number: (row.status, [p["message"] for p in row.problems], row.values)
                for row in db.session.scalars(select(StagingRow).order_by(StagingRow.id))}


def row_id(app, number):
    with app.app_context():
        return db.session.scalar(select(StagingRow.id).where(StagingRow.row_number == number))


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def tab_count(page, key):
    return int(re.search(rf'data-count="{key}">(\d+)<', page).group(1))


def imported(client, task_id, workbook, rows=ROWS):
    """Upload and import a workbook of ``rows``; returns the page the import leads to."""
    response = upload(client, task_id, workbook(rows))
    assert response.status_code == 302
    return html(client.get(response.headers["Location"]))


# --- starting -------------------------------------------------------------------------


def test_the_page_creates_nothing_until_an_agent_starts_the_import(app, client, agent,
                                                                   task_id):
    page = html(client.get(url(task_id)))
    assert "Start import" in page and "Data not loaded yet" in page and "Genixify" in page
    assert count(app, DataImport) == 0
    refused = client.post(url(task_id, "validate"))
    assert refused.status_code == 422 and "has no import yet" in html(refused)
    client.post(url(task_id, "start"), data={"target": "planets"})
    assert "Target: Not a valid choice." in html(client.get(url(task_id)))
    response = client.post(url(task_id, "start"), data={"target": "locations"})
    assert response.status_code == 302 and response.headers["Location"] == url(task_id)
    page = html(client.get(url(task_id)))
    assert "Start import" not in page and "Upload files" in page
    for label in ("Source staging table", "Target", "Data source", "Data import state",
                  "State", "Type", "Account", "Parent", "Visible to customer", "Contact",
                  "Subject", "Description"):
        assert f"<dt>{label}</dt>" in page
    assert "<dd>Locations</dd>" in page and "<dd>Data capture</dd>" in page
    assert "<dd>dataimport_locations</dd>" in page  # no data source: the target's staging
    with app.app_context():
        assert db.session.scalars(select(DataImport)).one().target == "locations"


def test_the_task_page_links_to_the_import_page_of_data_capture_tasks(app, client, agent,
                                                                       task_id):
    link = f'href="{url(task_id)}">Data import</a>'
    assert link in html(client.get(f"/onboarding/tasks/{task_id}"))
    with app.app_context():
        db.session.execute(update(CaseTask).values(task_type="training"))
        db.session.commit()
    assert link not in html(client.get(f"/onboarding/tasks/{task_id}"))


# --- upload, import, tabs ---------------------------------------------------------------


def test_upload_imports_and_the_page_follows_the_job(app, client, agent, task_id, import_id,
                                                     workbook):
    response = upload(client, task_id, workbook())
    with app.app_context():
        run_id = db.session.scalar(select(jobs.JobRun.id))
    assert response.headers["Location"] == f"{url(task_id)}/runs/{run_id}"
    page = html(client.get(response.headers["Location"]))
    assert "Import files into staging" in page and "status-succeeded" in page
    assert "3 rows staged; 1 ready to publish; 2 need attention" in page
    assert f'href="/admin/jobs/runs/{run_id}">Job page</a>' in page
    assert 'name="file_id" value' in page and "imported" in page and "<td>3</td>" in page
    assert (tab_count(page, "all"), tab_count(page, "ready"),
            tab_count(page, "needs_attention"), tab_count(page, "yet_to_validate"),
            tab_count(page, "published")) == (3, 1, 2, 0, 0)
    attention = html(client.get(url(task_id) + "?status=needs_attention"))
    assert "<th scope=\"col\" class=\"\">Comment</th>" in attention
    assert "Latitude: &#39;north&#39; is not a number." in attention
    assert "Name: a value is required." in attention
    assert 'aria-label="Save row 3"' in attention and "Santa Clara" not in attention


def test_a_running_job_is_polled_by_the_page(app, client, agent, task_id, import_id):
    with app.app_context(), acting_as(SYSTEM):
        run = jobs.enqueue("dataimport_validate", import_id=import_id)
        db.session.flush()
        db.session.execute(update(DataImport).values(lock_run_id=run.id))
        db.session.info.pop("onward_jobs", None)  # leave it queued
        db.session.commit()
        run_id = run.id
    with app.app_context():
        db.session.execute(update(jobs.JobRun).values(requested_by_id=agent))
        db.session.commit()
    page = html(client.get(url(task_id)))
    assert f'data-job-poll="/api/v1/jobs/{run_id}"' in page
    # a job the import is held by refuses restart until it ends
    client.post(url(task_id, "restart"))
    assert "A job is working on this import" in html(client.get(url(task_id)))


def test_search_and_pages_of_the_rows(client, app, agent, task_id, import_id, workbook):
    imported(client, task_id, workbook)
    page = html(client.get(url(task_id) + "?q=austin"))
    assert "9 Dock Rd" in page and "1 Main St" not in page
    page = html(client.get(url(task_id) + "?page_size=1&page=2"))
    assert "Page 2 of 3" in page and "9 Dock Rd" in page
    assert client.get(url(task_id) + "?colour=red").status_code == 422


def headers_of(page):
    return [re.sub(r"<[^>]+>|\s+", "", cell) for cell in re.findall(
        r"<th[^>]*>(.*?)</th>", page.split('aria-label="Uploaded files"')[1], re.S)][3:]


def test_the_rows_say_what_is_wrong_first_and_with_several_files_their_file_and_a_filter(
        client, app, agent, task_id, import_id, workbook):
    page = imported(client, task_id, workbook)
    assert headers_of(page)[:4] == ["Row", "Status", "Comment", "Name"]
    upload(client, task_id, workbook(ROWS[:1]), name="more.xlsx")
    page = html(client.get(url(task_id)))
    assert headers_of(page)[:4] == ["Row", "File", "Status", "Comment"]
    assert re.search(r"<td>2</td>\s*<td>more\.xlsx</td>", page)
    assert re.search(r"<td>2</td>\s*<td>locations\.xlsx</td>", page)
    edited = html(client.get(url(task_id) + "?status=needs_attention"))
    assert headers_of(edited)[:3] == ["Row", "File", "Comment"]
    assert headers_of(edited)[-1] == "Save"
    # a filter picks one file's rows, and the tabs keep it
    with app.app_context():
        more = db.session.scalar(select(ImportFile.id).where(ImportFile.name == "more.xlsx"))
    assert f'<option value="{more}">more.xlsx</option>' in page
    picked = html(client.get(url(task_id) + f"?file_id={more}"))
    assert "<td>more.xlsx</td>" in picked and "<td>locations.xlsx</td>" not in picked
    assert f'href="{url(task_id)}?status=ready&amp;file_id={more}"' in picked
    response = client.get(url(task_id) + "?file_id=more")
    assert response.status_code == 422
    assert "Invalid filter value &#39;more&#39;. Must be a whole number" in html(response)


def test_upload_only_then_import_from_attachments(app, client, agent, task_id, import_id,
                                                  workbook):
    response = upload(client, task_id, workbook(), import_now=False)
    assert response.headers["Location"] == url(task_id)
    assert count(app, StagingRow) == 0 and count(app, jobs.JobRun) == 0
    client.post(url(task_id, "import"), data={"file_id": str(10**30)})  # no such id
    assert "Choose the files to import." in html(client.get(url(task_id)))
    with app.app_context():
        file_id = db.session.scalar(select(ImportFile.id))
    response = client.post(url(task_id, "import"), data={"file_id": str(file_id)})
    assert response.status_code == 302 and "/runs/" in response.headers["Location"]
    assert count(app, StagingRow) == 3


def test_import_from_attachments_can_publish_the_ready_rows_as_it_stages(
        app, client, agent, task_id, import_id, workbook):
    upload(client, task_id, workbook(), import_now=False)
    assert "Publish the ready rows as they are imported" in html(client.get(url(task_id)))
    with app.app_context():
        file_id = db.session.scalar(select(ImportFile.id))
    response = client.post(url(task_id, "import"), data={"file_id": str(file_id),
                                                         "publish": "1"})
    page = html(client.get(response.headers["Location"]))
    assert "3 rows staged; 1 published; 0 ready to publish; 2 need attention" in page
    assert "1 inserted" in page  # the last publish's report
    assert [status for status, _, _ in rows(app).values()].count("published") == 1
    assert count(app, PublishBatch) == 1
    # a later import that does not publish says nothing of what was published before
    later = imported(client, task_id, workbook, [["Lab", "2 Side St", "Reno", "US", None]])
    assert "1 rows staged; 1 ready to publish; 2 need attention" in later
    assert count(app, PublishBatch) == 1


@pytest.mark.onward_config(IMPORT_MAX_BYTES=1024)
def test_a_file_over_the_size_limit_is_refused(app, client, agent, task_id, import_id,
                                               workbook):
    response = upload(client, task_id, workbook())
    assert response.headers["Location"] == url(task_id)
    assert "locations.xlsx is larger than the limit of" in html(client.get(url(task_id)))
    assert count(app, ImportFile) == 0


def test_a_refused_file_shows_why_and_no_file_is_asked_for(app, client, agent, task_id,
                                                           import_id):
    response = client.post(url(task_id, "files"), data={"import_now": "y"},
                           content_type="multipart/form-data")
    assert response.headers["Location"] == url(task_id)
    assert "XLSX files: Choose one or more files." in html(client.get(url(task_id)))
    response = upload(client, task_id, b"just text", name="notes.xlsx")
    page = html(client.get(response.headers["Location"]))
    assert "refused" in page and "notes.xlsx" in page


# --- fixing and validating ----------------------------------------------------------------


def test_a_row_fixed_in_the_list_returns_to_yet_to_validate_and_validates(
        app, client, agent, task_id, import_id, workbook):
    imported(client, task_id, workbook)
    response = client.post(url(task_id, f"rows/{row_id(app, 3)}"),
                           data={"name": "Depot", "street": "9 Dock Rd", "city": "Austin",
                                 "country": "US", "latitude": "30.27"})
    assert response.headers["Location"] == url(task_id) + "?status=yet_to_validate"
    status, problems, values = rows(app)[3]
    assert (status, problems, values["latitude"]) == ("yet_to_validate", [], "30.27")
    assert values["city"] == "Austin"  # unchanged cells stay as read
    page = html(client.get(response.headers["Location"]))
    assert "Row 3 is saved; validate it again." in page and 'value="30.27"' in page
    assert client.post(url(task_id, "validate")).status_code == 302
    assert rows(app)[3][0] == "ready"


def test_a_fix_naming_no_field_of_the_target_changes_nothing(app, client, agent, task_id,
                                                             import_id, workbook):
    imported(client, task_id, workbook)
    client.post(url(task_id, f"rows/{row_id(app, 4)}"), data={"planet": "Mars"})
    assert rows(app)[4][0] == "needs_attention"
    assert "Nothing changed in row 4." in html(client.get(url(task_id)))
    assert client.post(url(task_id, "rows/999999"), data={"name": "X"}).status_code == 404


# --- publishing, undo, restart, close -----------------------------------------------------


def test_publish_selected_then_all_reports_and_undo_takes_the_newest_back(
        app, client, agent, task_id, import_id, workbook):
    imported(client, task_id, workbook, [["HQ", "1 Main St", "Santa Clara", "US", None],
                                         ["Depot", "9 Dock Rd", "Austin", "US", None]])
    ready = html(client.get(url(task_id) + "?status=ready"))
    assert "Publish selected" in ready and 'form="publish-selected"' in ready
    client.post(url(task_id, "publish"), data={"row_id": [str(10**30), "²"]})  # no such ids
    assert "Choose the rows to publish." in html(client.get(url(task_id)))
    response = client.post(url(task_id, "publish"), data={"row_id": str(row_id(app, 2))})
    page = html(client.get(response.headers["Location"]))
    assert "1 inserted · 0 updated · 0 unchanged · 0 failed" in page
    assert tab_count(page, "published") == 1 and tab_count(page, "ready") == 1
    client.post(url(task_id, "publish"), data={"all": "1"})
    assert count(app, OnboardingLocation) == 2
    response = client.post(url(task_id, "undo"))
    page = html(client.get(response.headers["Location"]))
    assert "Undoing the newest publish." in page and "records deleted" in page
    assert count(app, OnboardingLocation) == 1
    assert [status for status, _, _ in rows(app).values()] == ["published", "ready"]


def test_undo_with_nothing_published_is_refused(client, agent, task_id, import_id):
    client.post(url(task_id, "undo"))
    assert "Nothing published to undo." in html(client.get(url(task_id)))


def test_restart_clears_every_staging_row(app, client, agent, task_id, import_id, workbook):
    page = imported(client, task_id, workbook)
    assert 'data-confirm="Restart clears every staging row of this task. Continue?"' in page
    client.post(url(task_id, "restart"))
    assert count(app, StagingRow) == 0
    assert "Every staging row of this task is cleared." in html(client.get(url(task_id)))


def test_mark_complete_closes_the_task_with_notes_and_the_summary(app, client, agent,
                                                                  task_id, import_id,
                                                                  workbook):
    imported(client, task_id, workbook)
    client.post(url(task_id, "publish"), data={"all": "1"})
    page = html(client.get(url(task_id)))
    assert "Data Import Summary" in page and "Mark complete" in page
    client.post(url(task_id, "close"), data={"close_notes": ""})
    assert "Close notes: Write the close notes." in html(client.get(url(task_id)))
    response = client.post(url(task_id, "close"), data={"close_notes": "All in."})
    assert response.status_code == 302
    with app.app_context():
        task = db.session.get(CaseTask, task_id)
        assert (task.state, task.close_notes) == ("Closed", "All in.")
        [note] = [entry.body for entry in task.journal(("work_notes",))]
    assert note.splitlines()[1:] == ["Yet to validate: 0", "Needs attention: 2",
                                     "Ready to publish: 0", "Published: 1",
                                     "Batch 1: 1 inserted, 0 updated, 0 unchanged, 0 failed"]
    assert "Mark complete" not in html(client.get(url(task_id)))


# --- customers --------------------------------------------------------------------------


def test_the_customer_contact_uploads_fixes_and_validates_but_never_publishes(
        app, client, login_as, contact, task_id, import_id, workbook):
    login_as(user=contact)
    portal = html(client.get(f"/portal/tasks/{task_id}"))
    assert f'href="{url(task_id)}">Data import</a>' in portal
    page = imported(client, task_id, workbook)
    assert "3 rows staged" in page and "My lists" in page
    for control in ("Publish all ready", "Restart", "Undo publish", "Mark complete",
                    "Data source"):
        assert control not in page
    assert "Publish selected" not in html(client.get(url(task_id) + "?status=ready"))
    client.post(url(task_id, f"rows/{row_id(app, 3)}"), data={"latitude": "30.27"})
    assert rows(app)[3][0] == "yet_to_validate"
    client.post(url(task_id, "validate"))
    assert rows(app)[3][0] == "ready"
    assert "Publish the ready rows as they are imported" not in page
    for action, data in (("publish", {"all": "1"}), ("restart", {}), ("undo", {}),
                         ("close", {"close_notes": "done"}),
                         ("import", {"file_id": "1", "publish": "1"})):
        assert client.post(url(task_id, action), data=data).status_code == 403, action
    assert count(app, PublishBatch) == 0 and count(app, StagingRow) == 3


def test_a_customer_sees_no_start_form_nor_a_portal_link_before_the_import(
        client, login_as, contact, task_id):
    login_as(user=contact)
    assert "Data import</a>" not in html(client.get(f"/portal/tasks/{task_id}"))
    page = html(client.get(url(task_id)))
    assert "has not started yet" in page and "Start import</button>" not in page
    assert client.post(url(task_id, "start"), data={"target": "locations"}).status_code == 403


def test_another_accounts_customer_gets_404(app, client, login_as, make_account, task_id,
                                            import_id, workbook):
    login_as("onboarding_agent")
    upload(client, task_id, workbook())
    other = make_account("Contoso")
    login_as("customer", account=other)
    number = row_id(app, 2)
    assert client.get(url(task_id)).status_code == 404
    assert upload(client, task_id, workbook()).status_code == 404
    assert client.post(url(task_id, f"rows/{number}"), data={"name": "X"}).status_code == 404
    assert client.post(url(task_id, "validate")).status_code == 404
    assert client.post(url(task_id, "import"), data={"file_id": "1"}).status_code == 404


def test_a_customer_who_is_not_the_contact_gets_404(client, login_as, account, task_id,
                                                    contact, import_id):
    login_as("customer", account=account)
    assert client.get(url(task_id)).status_code == 404


# --- CSRF and CSP -----------------------------------------------------------------------


def csrf_token(page):
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


@pytest.mark.onward_config(WTF_CSRF_ENABLED=True)
def test_the_forms_need_their_csrf_token(app, client, agent, task_id, import_id, workbook):
    refused = upload(client, task_id, workbook())
    assert refused.status_code == 400 and count(app, ImportFile) == 0
    token = csrf_token(html(client.get(url(task_id))))
    response = client.post(url(task_id, "files"), content_type="multipart/form-data", data={
        "files": [(io.BytesIO(workbook()), "locations.xlsx")], "import_now": "y",
        "csrf_token": token})
    assert response.status_code == 302 and count(app, StagingRow) == 3
    target = url(task_id, f"rows/{row_id(app, 3)}")
    assert client.post(target, data={"latitude": "1"}).status_code == 400
    page = html(client.get(url(task_id) + "?status=needs_attention"))
    assert client.post(target, data={"latitude": "1", "csrf_token": csrf_token(page)}) \
        .status_code == 302


def test_every_state_of_the_page_is_csp_safe(app, client, agent, task_id, workbook):
    assert_csp_safe(html(client.get(url(task_id))), "not started")
    client.post(url(task_id, "start"), data={"target": "locations"})
    assert_csp_safe(html(client.get(url(task_id))), "started")
    page = imported(client, task_id, workbook)
    assert_csp_safe(page, "after the import job")
    for tab in ("ready", "needs_attention", "yet_to_validate", "published"):
        assert_csp_safe(html(client.get(url(task_id) + f"?status={tab}")), tab)
    client.post(url(task_id, "publish"), data={"all": "1"})
    assert_csp_safe(html(client.get(url(task_id))), "published")


@pytest.mark.onward_config(MAX_CONTENT_LENGTH=3 * 1024 * 1024)
def test_the_upload_hint_names_the_smaller_of_the_two_limits(client, agent, task_id,
                                                              import_id):
    assert "XLSX workbooks, at most 3 MB each." in html(client.get(url(task_id)))
