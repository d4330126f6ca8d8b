"""Downloads (the template, the rows that need attention) on the import page and in the API,
the fix-and-upload-again loop through the page, and validation's progress per chunk."""

import io
import re

import openpyxl
import pytest
from rich.progress import Progress
from sqlalchemy import select, update

from onward import SYSTEM, acting_as, db, jobs
from onward.plugins.dataimport import commands, exports, staging, validation
from onward.plugins.dataimport.models import DataImport, ImportFile, StagingRow
from onward.plugins.onboarding.models import CaseTask

from .api_helpers import API, make_task, staged_import
from .workbooks import openpyxl_workbook

XLSX = exports.XLSX_TYPE
HEADER = ["Name", "City", "Latitude"]
#: one good row, one with a bad latitude, one without the required name
ROWS = [["HQ", "Santa Clara", 37.35], ["Depot", "Austin", "north"], [None, "Reno", None]]


@pytest.fixture
def task_number(app, task_id):
    with app.app_context():
        return db.session.get(CaseTask, task_id).number


def page_url(task_id, action=""):
    return f"/dataimport/tasks/{task_id}" + (f"/{action}" if action else "")


def workbook_bytes(tmp_path, rows=ROWS, name="locations.xlsx"):
    return openpyxl_workbook(tmp_path / name, {"Locations": [HEADER, *rows]}).read_bytes()


def upload(client, task_id, content, name="locations.xlsx"):
    """Upload through the page and import right away; the job runs before the answer."""
    return client.post(page_url(task_id, "files"), content_type="multipart/form-data",
                       data={"files": [(io.BytesIO(content), name)], "import_now": "y"})


def statuses(app):
    with app.app_context():
        return {row.row_number: row.status
                for row in db.session.scalars(select(StagingRow).order_by(StagingRow.id))}


def assert_download(response, name):
    """An XLSX attachment named ``name``, never cached; returns the opened workbook."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == XLSX
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    return openpyxl.load_workbook(io.BytesIO(response.data))


def header(sheet):
    return [cell.value for cell in sheet[1]]


# --- file names ---------------------------------------------------------------------------


@pytest.mark.parametrize(("stem", "name"), [
    ("locations template", "locations template.xlsx"),
    ('../..\\evil"; name=x\r\n', "evil_ name_x.xlsx"),
    ("...", "download.xlsx"),
    ("Gérance Rüdiger", "Gérance Rüdiger.xlsx"),
])
def test_download_names_keep_no_separators_quotes_or_control_codes(stem, name):
    assert exports.safe_file_name(stem) == name


# --- the import page ------------------------------------------------------------------------


def test_the_page_offers_the_template_and_it_holds_the_targets_columns(
        client, login_as, task_id, import_id):
    login_as("onboarding_agent")
    page = client.get(page_url(task_id)).get_data(as_text=True)
    assert f'href="{page_url(task_id, "template")}" download>Download the template</a>' in page
    assert "Download rows that need attention" not in page  # no rows need it yet
    book = assert_download(client.get(page_url(task_id, "template")),
                           "locations template.xlsx")
    assert book.sheetnames[:2] == ["Locations", "Instructions"]
    assert header(book["Locations"])[:3] == ["Name", "Street", "City"]
    assert book["Locations"].max_row == 1  # the header only


def test_rows_that_need_attention_download_from_the_page(app, client, login_as, task_id,
                                                         import_id, task_number, tmp_path):
    login_as("onboarding_agent")
    upload(client, task_id, workbook_bytes(tmp_path))
    page = client.get(page_url(task_id)).get_data(as_text=True)
    assert (f'href="{page_url(task_id, "errors")}" download>Download rows that need '
            "attention</a> (2)") in page
    assert "upload the file again here" in page
    book = assert_download(client.get(page_url(task_id, "errors")),
                           f"{task_number} needs attention.xlsx")
    sheet = book.worksheets[0]
    columns = header(sheet)
    assert (columns[0], *columns[-2:]) == ("Row", "Problems", "From")
    with app.app_context():
        wanted = list(db.session.scalars(select(StagingRow.id).where(
            StagingRow.status == "needs_attention").order_by(StagingRow.row_number)))
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == wanted
    latitude = sheet.cell(row=2, column=columns.index("Latitude") + 1)
    assert latitude.value == "north" and "is not a number" in latitude.comment.text
    assert sheet.cell(row=3, column=len(columns) - 1).value == "Name: a value is required."


def test_before_the_import_starts_there_is_nothing_to_download(client, login_as, task_id):
    login_as("onboarding_agent")
    for action in ("template", "errors"):
        response = client.get(page_url(task_id, action))
        assert response.status_code == 422 and "has no import yet" in response.get_data(
            as_text=True)


def test_the_contact_downloads_from_the_portal_others_get_404(
        app, client, login_as, make_account, account, contact, task_id, import_id,
        task_number, tmp_path):
    login_as("onboarding_agent")
    upload(client, task_id, workbook_bytes(tmp_path))
    login_as(user=contact)
    page = client.get(page_url(task_id)).get_data(as_text=True)
    assert "Download the template" in page and "Download rows that need attention" in page
    assert_download(client.get(page_url(task_id, "template")), "locations template.xlsx")
    assert_download(client.get(page_url(task_id, "errors")),
                    f"{task_number} needs attention.xlsx")
    login_as("customer", account=account)  # the same account, not the contact
    assert client.get(page_url(task_id, "errors")).status_code == 404
    login_as("customer", account=make_account("Contoso"))
    for action in ("template", "errors"):
        assert client.get(page_url(task_id, action)).status_code == 404


# --- fix in Excel, upload again -------------------------------------------------------------


def test_download_fix_upload_again_validates_every_row_ready(app, client, login_as, contact,
                                                             task_id, import_id, tmp_path):
    login_as(user=contact)
    upload(client, task_id, workbook_bytes(tmp_path))
    assert statuses(app) == {2: "ready", 3: "needs_attention", 4: "needs_attention"}
    book = openpyxl.load_workbook(io.BytesIO(client.get(page_url(task_id, "errors")).data))
    sheet = book.worksheets[0]
    columns = header(sheet)
    sheet.cell(row=2, column=columns.index("Latitude") + 1, value=30.27)
    sheet.cell(row=3, column=columns.index("Name") + 1, value="Store")
    fixed = io.BytesIO()
    book.save(fixed)
    response = upload(client, task_id, fixed.getvalue(), name="fixed.xlsx")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 rows staged; 3 ready to publish; 0 need attention" in page
    assert statuses(app) == {2: "ready", 3: "ready", 4: "ready"}
    with app.app_context():
        values = {row.row_number: row.values for row in db.session.scalars(select(StagingRow))}
        assert (values[3]["latitude"], values[4]["name"]) == (30.27, "Store")
        assert db.session.scalar(select(DataImport.state)) == "validated"
    assert "Download rows that need attention" not in page


# --- the API ---------------------------------------------------------------------------------


def test_the_api_sends_a_targets_template(client, api_headers, make_user):
    agent = api_headers(make_user("onboarding_agent"))
    book = assert_download(client.get(f"{API}/targets/contracts/template", headers=agent),
                           "contracts template.xlsx")
    assert book.sheetnames[:2] == ["Contracts", "Instructions"]
    unknown = client.get(f"{API}/targets/planets/template", headers=agent)
    assert unknown.status_code == 404
    assert unknown.json["error"]["message"] == "No import target 'planets'."
    assert client.get(f"{API}/targets/locations/template").status_code == 401


def test_the_builders_first_step_offers_each_targets_template_to_admins(client, login_as):
    login_as("admin")
    page = client.get("/admin/imports/new").get_data(as_text=True)
    links = re.findall(r'href="(/admin/imports/targets/[^"]+/template)" download>([^<]+)<', page)
    assert ("/admin/imports/targets/locations/template", "Locations") in links
    assert len(links) == 8  # the onboarding plugin's targets
    book = assert_download(client.get("/admin/imports/targets/locations/template"),
                           "locations template.xlsx")
    assert book.sheetnames[:2] == ["Locations", "Instructions"]
    assert client.get("/admin/imports/targets/planets/template").status_code == 404
    login_as("onboarding_agent")
    assert client.get("/admin/imports/targets/locations/template").status_code == 403


def test_the_api_sends_an_imports_errors_to_the_agent_and_the_contact_only(
        app, client, api_headers, make_user, make_account, account, tmp_path):
    contact = make_user("customer", account=account)
    task_id = make_task(app, account, contact=contact)
    import_id = staged_import(app, task_id, tmp_path)  # one row without its name
    with app.app_context():
        number = db.session.get(CaseTask, task_id).number
    at = f"{API}/imports/{import_id}/errors"
    for user in (make_user("onboarding_agent"), contact):
        book = assert_download(client.get(at, headers=api_headers(user)),
                               f"{number} needs attention.xlsx")
        rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
        assert len(rows) == 1 and rows[0][-2] == "Name: a value is required."
    for user in (make_user("customer", account=account),
                 make_user("customer", account=make_account("Contoso"))):
        assert client.get(at, headers=api_headers(user)).status_code == 404
    assert client.get(f"{API}/imports/999999/errors",
                      headers=api_headers(make_user("onboarding_agent"))).status_code == 404


def test_the_openapi_document_describes_the_downloads_as_files(client):
    paths = client.get("/api/openapi.json").json["paths"]
    for path in (f"{API}/targets/{{key}}/template", f"{API}/imports/{{import_id}}/errors"):
        responses = paths[path]["get"]["responses"]
        assert responses["200"]["content"] == {
            XLSX: {"schema": {"type": "string", "format": "binary"}}}
        assert "404" in responses and "401" in responses


# --- progress of long validation -----------------------------------------------------------

FIVE = [["A", "Austin", None], ["B", "Boston", None], ["C", "Chicago", "north"],
        ["D", "Denver", None], ["E", "El Paso", None]]


@pytest.fixture
def reported(monkeypatch):
    """The (percent, message) pairs job runs report."""
    calls = []
    original = jobs.JobContext.progress

    def progress(self, percent, message=""):
        calls.append((int(percent), message))
        original(self, percent, message)

    monkeypatch.setattr(jobs.JobContext, "progress", progress)
    return calls


def _job(app, key, **arguments):
    with app.app_context(), acting_as(SYSTEM):
        run_id = jobs.enqueue(key, **arguments).id
        db.session.commit()
    with app.app_context():
        return db.session.get(jobs.JobRun, run_id)


def _five_rows(app, import_id, tmp_path):
    path = openpyxl_workbook(tmp_path / "five.xlsx", {"Locations": [HEADER, *FIVE]})
    with app.app_context(), acting_as(SYSTEM):
        with path.open("rb") as stream:
            record = staging.add_file(db.session.get(DataImport, import_id), path.name, stream)
        db.session.commit()
        return record.id


@pytest.mark.onward_config(IMPORT_CHUNK_ROWS=2)
def test_validation_reports_each_chunk(app, import_id, tmp_path):
    file_id = _five_rows(app, import_id, tmp_path)
    seen = []
    with app.app_context(), acting_as(SYSTEM):
        data_import = db.session.get(DataImport, import_id)
        staging.stage_file(data_import, db.session.get(ImportFile, file_id))
        validation.validate(data_import, progress=lambda done, total: seen.append((done, total)))
        assert seen == []  # staging validated every row
        db.session.execute(update(StagingRow).values(status="yet_to_validate"))
        validation.validate(data_import, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(2, 5), (4, 5), (5, 5)]


@pytest.mark.onward_config(IMPORT_CHUNK_ROWS=2)
def test_the_jobs_report_validation_per_chunk(app, import_id, tmp_path, reported,
                                              monkeypatch):
    from onward.plugins.dataimport import jobs as import_jobs

    monkeypatch.setattr(import_jobs, "REPORT_SECONDS", 0)  # staging: every chunk
    file_id = _five_rows(app, import_id, tmp_path)
    done = _job(app, "dataimport_import", import_id=import_id, file_ids=[file_id])
    assert reported == [
        (0, "five.xlsx: 2 rows staged and validated"),
        (0, "five.xlsx: 4 rows staged and validated"),
        (0, "five.xlsx: 5 rows staged and validated"), (90, "five.xlsx: 5 rows"),
        (100, "5 rows staged; 4 ready to publish; 1 need attention")]
    assert (done.progress, done.message) == (100, reported[-1][1])
    with app.app_context():
        db.session.execute(update(StagingRow).values(status="yet_to_validate"))
        db.session.commit()
    reported.clear()
    done = _job(app, "dataimport_validate", import_id=import_id)
    assert reported == [(40, "Validated 2 of 5 rows"), (80, "Validated 4 of 5 rows"),
                        (100, "Validated 5 of 5 rows"),
                        (100, "4 ready to publish; 1 need attention")]
    assert (done.status, done.progress, done.result["counts"]) == (
        "succeeded", 100, {"ready": 4, "needs_attention": 1})


@pytest.mark.onward_config(IMPORT_CHUNK_ROWS=2)
def test_the_cli_import_bar_advances_per_chunk(app, runner, monkeypatch, account, tmp_path):
    from onward import Account
    from onward.plugins.onboarding.cases import create_case

    bars = []

    class Recording(Progress):
        def update(self, task_id, **changes):
            if "completed" in changes:
                bars.append((self._tasks[task_id].description, changes["completed"],
                             changes.get("total")))
            super().update(task_id, **changes)

    monkeypatch.setattr(commands, "Progress", Recording)
    with app.app_context(), acting_as(SYSTEM):
        number = create_case(db.session.get(Account, account)).number
        db.session.commit()
    path = openpyxl_workbook(tmp_path / "five.xlsx", {"Locations": [HEADER, *FIVE]})
    result = runner.invoke(["import", "run", str(path), "--case", number,
                            "--target", "locations"])
    assert result.exit_code == 1, result.output  # one row needs attention
    assert bars == [("Importing", 2, None), ("Importing", 4, None), ("Importing", 5, None),
                    ("Importing", 5, 5)]  # staging validates: no rows are left to validate
