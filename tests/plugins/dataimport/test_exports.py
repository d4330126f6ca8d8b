"""The Needs-attention workbook, safe exports, and the fix-in-Excel-and-upload-again loop."""

import csv
import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from sqlalchemy import select

from onward import SYSTEM, acting_as, db
from onward.plugins.dataimport import exports, reupload, rowstatus, staging, validation
from onward.plugins.dataimport.models import ImportFile, StagingRow
from onward.plugins.onboarding.cases import create_task
from onward.plugins.onboarding.models import CaseTask

from .workbooks import openpyxl_workbook, raw_workbook, sheet_xml

HEADER = ["Name", "Street", "City", "Country", "Latitude"]
TITLES = ["Name", "Street", "City", "State", "Zip", "Country", "Latitude", "Longitude"]


@pytest.fixture
def run(app, task_id):
    """Run ``step(data_import, *args)`` as the system in one transaction; returns its result."""

    def call(step, *args, target="locations", task=task_id):
        with app.app_context(), acting_as(SYSTEM):
            data_import = staging.import_of_task(db.session.get(CaseTask, task), target)
            result = step(data_import, *args)
            db.session.commit()
            return result

    return call


def upload(data_import, path):
    with open(path, "rb") as stream:
        record = staging.add_file(data_import, path.name, stream)
    return staging.stage_file(data_import, record)


def reupload_file(data_import, path):
    with open(path, "rb") as stream:
        record = staging.add_file(data_import, path.name, stream)
    result = reupload.restage_fixes(data_import, record)
    return result.updated, result.skipped, record.state, record.message


def edit(name, **values):
    """A step that changes the cells of the row named ``name``."""

    def step(data_import):
        for row in db.session.scalars(select(StagingRow).where(
                StagingRow.import_id == data_import.id)):
            if row.values.get("name") == name:
                staging.edit_row(row, values)

    return step


def rows_of(app):
    with app.app_context():
        return {row.values.get("name") or row.row_number: (row.id, row.status, row.values)
                for row in db.session.scalars(select(StagingRow).order_by(StagingRow.id))}


@pytest.fixture
def attention(app, run, tmp_path):
    """Four rows: one ready, three needing attention (one with formula-like text)."""
    path = openpyxl_workbook(tmp_path / "locations.xlsx", {"Locations": [
        HEADER, ["HQ", "1 Main St", "Santa Clara", "US", 37.35],
        ["Depot", "9 Dock Rd", "Austin", "US", "north"],
        [None, "2 Side St", "Reno", "US", None],
        ["Store", "x" * 300, "Reno", "US", None]]})
    run(upload, path)
    run(edit("Store", city="=HYPERLINK(\"http://evil.example\",\"Reno\")"))
    assert run(validation.validate) == {"ready": 1, "needs_attention": 3}


def errors_book(run):
    return openpyxl.load_workbook(io.BytesIO(run(exports.errors_workbook)))


def test_the_errors_workbook_holds_the_rows_needing_attention_with_their_ids(
        app, run, attention):
    book = errors_book(run)
    sheet = book.worksheets[0]
    assert sheet.title == "Locations"
    assert [cell.value for cell in sheet[1]] == ["Row", *TITLES, "Problems", "From"]
    rows = rows_of(app)
    body = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert [row[0] for row in body] == [rows["Depot"][0], rows[4][0], rows["Store"][0]]
    assert body[0][1:4] == ["Depot", "9 Dock Rd", "Austin"]
    assert body[0][-2:] == ["Latitude: 'north' is not a number.", "locations.xlsx, row 3"]
    assert body[1][-2:] == ["Name: a value is required.", "locations.xlsx, row 4"]


def test_each_problem_cell_is_highlighted_with_the_problem_as_a_comment(app, run, attention):
    sheet = errors_book(run).worksheets[0]
    latitude = sheet.cell(row=2, column=1 + TITLES.index("Latitude") + 1)
    assert latitude.fill.fgColor.rgb.endswith("FFC7CE")
    assert latitude.comment.text == "Latitude: 'north' is not a number."
    name = sheet.cell(row=2, column=2)
    assert name.comment is None and name.fill.fill_type is None
    assert sheet.cell(row=3, column=2).comment.text == "Name: a value is required."


def test_formula_like_text_is_exported_as_text_with_a_quote_prefix(app, run, attention,
                                                                   tmp_path):
    data = run(exports.errors_workbook)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    city = sheet.cell(row=4, column=1 + TITLES.index("City") + 1)
    assert city.value == "=HYPERLINK(\"http://evil.example\",\"Reno\")"
    assert (city.data_type, city.quotePrefix) == ("s", True)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")
    path = tmp_path / "errors.xlsx"
    path.write_bytes(data)
    from onward.plugins.dataimport.reader import workbook

    with workbook.read(path) as table:  # the reader sees the text, not a formula
        cities = [row.values[3] for row in table.rows()]
    assert cities[2] == "=HYPERLINK(\"http://evil.example\",\"Reno\")"


def test_control_characters_are_a_problem_stored_as_read_and_exported_visibly(app, run,
                                                                              tmp_path):
    # Excel writes characters XML cannot hold as _xHHHH_: a NUL, and a vertical tab (a line
    # break pasted from Word); PostgreSQL stores no NUL in text, no workbook holds either
    sheet = sheet_xml([HEADER, ["HQ_x0000_", "1 Main St_x000B_Suite 2", "Reno", "US", 1],
                       ["Depot", "2 Side St_x000D__x000A_Floor 3", "Reno", "US", 2]])
    run(upload, raw_workbook(tmp_path / "control.xlsx", [("Locations", sheet)]))
    rows = rows_of(app)
    assert rows["HQ\x00"][1:] == ("needs_attention", {
        "name": "HQ\x00", "street": "1 Main St\x0bSuite 2", "city": "Reno", "country": "US",
        "latitude": 1})  # nothing lost
    assert rows["Depot"][1] == "ready"  # line breaks are text
    with app.app_context():
        problems = db.session.get(StagingRow, rows["HQ\x00"][0]).problems
    assert [p["message"] for p in problems] == [
        "Name: holds the control character U+0000, which cannot be stored: type the text "
        "again.",
        "Street: holds the control character U+000B, which cannot be stored: type the text "
        "again."]
    exported = errors_book(run).worksheets[0]
    assert [cell.value for cell in exported[2]][1:3] == ["HQ\ufffd", "1 Main St\ufffdSuite 2"]


@pytest.mark.parametrize("text", ["=1+2", "+1 555 0100", "-2", "@SUM(A1)", "\t=1", "\r=1"])
def test_csv_cells_that_look_like_formulas_get_a_leading_apostrophe(text):
    written = exports.csv_text([{"Value": text, "Other": "plain"}], ["Value", "Other"])
    assert list(csv.reader(io.StringIO(written))) == [["Value", "Other"],
                                                      [f"'{text}", "plain"]]


def test_csv_keeps_numbers_blanks_and_error_codes_plain():
    rows = [{"a": -5, "b": None, "c": {"error": "#N/A"}, "d": "a-b", "e": 1.5}]
    written = exports.csv_text(rows, ["a", "b", "c", "d", "e"])
    assert written.splitlines()[1] == "-5,,#N/A,a-b,1.5"


def fix(path, fixes):
    """Edit an errors workbook like a customer: ``{(sheet row, title): value}``."""
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    titles = [cell.value for cell in sheet[1]]
    for (row, title), value in fixes.items():
        sheet.cell(row=row, column=titles.index(title) + 1).value = value
    book.save(path)
    return path


def test_fix_in_excel_and_upload_again_until_every_row_is_ready(app, run, attention,
                                                                tmp_path):
    path = tmp_path / "fixed.xlsx"
    path.write_bytes(run(exports.errors_workbook))
    fix(path, {(2, "Latitude"): 30.27, (3, "Name"): "Annex", (4, "Street"): "5 Mall Way"})
    updated, skipped, state, message = run(reupload_file, path)
    assert (updated, skipped, state) == (3, {}, "imported")
    assert message == "3 rows updated from the errors workbook"
    assert run(rowstatus.status_counts) == {"ready": 1, "yet_to_validate": 3}
    assert run(validation.validate) == {"ready": 4}
    rows = rows_of(app)
    assert rows["Depot"][2]["latitude"] == 30.27
    assert rows["Annex"][2]["street"] == "2 Side St"
    # the formula-like text came back exactly as it was, without an apostrophe
    assert rows["Store"][2]["city"] == "=HYPERLINK(\"http://evil.example\",\"Reno\")"


def test_a_row_left_unfixed_needs_attention_again(app, run, attention, tmp_path):
    path = tmp_path / "fixed.xlsx"
    path.write_bytes(run(exports.errors_workbook))
    fix(path, {(2, "Latitude"): 30.27})
    run(reupload_file, path)
    assert run(validation.validate) == {"ready": 2, "needs_attention": 2}


def test_an_error_cell_left_as_exported_stays_an_error(app, run, attention, tmp_path):
    run(edit("Depot", latitude=None, city={"error": "#N/A"}))
    run(validation.validate)
    path = tmp_path / "errors.xlsx"
    path.write_bytes(run(exports.errors_workbook))
    assert openpyxl.load_workbook(path).worksheets[0].cell(row=2, column=4).value == "#N/A"
    run(reupload_file, path)
    run(validation.validate)
    depot = rows_of(app)["Depot"]
    assert (depot[1], depot[2]["city"]) == ("needs_attention", {"error": "#N/A"})


def test_ids_of_no_row_or_of_another_import_are_reported_not_applied(app, run, attention,
                                                                     tmp_path, task_id):
    with app.app_context(), acting_as(SYSTEM):
        other_task = create_task(db.session.get(CaseTask, task_id).case, "Import again",
                                 task_type="data_capture")
        db.session.commit()
        other_task = other_task.id
    other = openpyxl_workbook(tmp_path / "other.xlsx", {"Locations": [
        HEADER, ["Elsewhere", "1 Far Rd", "Oslo", "NO", None]]})
    run(upload, other, task=other_task)
    foreign = rows_of(app)["Elsewhere"][0]
    path = tmp_path / "fixed.xlsx"
    path.write_bytes(run(exports.errors_workbook))
    store = rows_of(app)["Store"][0]
    huge = "9" * 30  # no id column holds it
    fix(path, {(2, "Row"): huge, (3, "Row"): foreign, (4, "Row"): f" {store}",
               (4, "Street"): "5 Mall Way",  # an id typed as text still matches
               (5, "Row"): True, (5, "Name"): "Ghost",  # a yes/no is no id (not row 1)
               (6, "Row"): "²", (6, "Name"): "Squared"})  # a digit, but no number
    updated, skipped, state, message = run(reupload_file, path)
    assert (updated, state) == (1, "imported")
    assert skipped == {2: f"no row '{huge}' in this import",
                       3: f"no row {foreign} in this import", 5: "no row True in this import",
                       6: "no row '²' in this import"}
    assert message.endswith(f"4 left out (row 2: no row '{huge}' in this import; "
                            f"row 3: no row {foreign} in this import; "
                            "row 5: no row True in this import; row 6: no row '²' in this import)")
    assert rows_of(app)["Elsewhere"][2]["name"] == "Elsewhere"


def test_a_file_without_the_row_column_is_refused_and_changes_nothing(app, run, attention,
                                                                      tmp_path):
    before = rows_of(app)
    path = openpyxl_workbook(tmp_path / "plain.xlsx", {"Locations": [
        HEADER, ["Depot", "9 Dock Rd", "Austin", "US", 1]]})
    updated, _, state, message = run(reupload_file, path)
    assert (updated, state) == (0, "refused")
    assert message == "plain.xlsx is not an errors workbook: its first column is not 'Row'."
    assert rows_of(app) == before
    with app.app_context():
        assert db.session.scalar(select(ImportFile.state).where(
            ImportFile.name == "plain.xlsx")) == "refused"


def test_an_unknown_column_refuses_the_whole_file(app, run, attention, tmp_path):
    before = rows_of(app)
    path = tmp_path / "fixed.xlsx"
    path.write_bytes(run(exports.errors_workbook))
    book = openpyxl.load_workbook(path)
    book.worksheets[0].cell(row=1, column=11).value = "Colour"  # after Problems
    book.worksheets[0].cell(row=2, column=11).value = "blue"
    book.save(path)
    fix(path, {(2, "Latitude"): 30.27})
    updated, _, state, message = run(reupload_file, path)
    assert (updated, state, message) == (0, "refused", "fixed.xlsx: column 'Colour' matches "
                                                       "no field.")
    assert rows_of(app) == before


@pytest.mark.parametrize("drop", [(), ("From",), ("Problems", "From")],
                         ids=["as downloaded", "without From", "without either"])
def test_the_columns_that_are_not_imported_may_stay_or_go(app, run, attention, tmp_path,
                                                          drop):
    path = tmp_path / "fixed.xlsx"
    path.write_bytes(run(exports.errors_workbook))
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    for title in reversed(drop):  # an older download had no From column
        sheet.delete_cols([cell.value for cell in sheet[1]].index(title) + 1)
    book.save(path)
    fix(path, {(2, "Latitude"): 30.27})
    updated, skipped, state, _ = run(reupload_file, path)
    assert (updated, skipped, state) == (3, {}, "imported")
    assert rows_of(app)["Depot"][2]["latitude"] == 30.27


def test_a_published_row_is_not_changed_by_a_reupload(app, run, attention, tmp_path):
    from onward.plugins.dataimport import publish

    path = tmp_path / "fixed.xlsx"
    path.write_bytes(run(exports.errors_workbook))
    hq = rows_of(app)["HQ"][0]
    run(publish.publish)
    fix(path, {(2, "Row"): hq})
    _, skipped, _, _ = run(reupload_file, path)
    assert skipped == {2: "Row 2 is published; change the record itself."}


def test_date_cells_go_out_as_dates_and_come_back_as_the_same_text(app, run, tmp_path):
    path = openpyxl_workbook(tmp_path / "contracts.xlsx", {"Contracts": [
        ["Short description", "Starts", "Ends", "State"],
        ["Support", dt.date(2031, 1, 1), dt.date(2031, 12, 31), "nonsense"]]})
    run(upload, path, target="contracts")
    run(validation.validate, target="contracts")
    errors = tmp_path / "errors.xlsx"
    errors.write_bytes(run(exports.errors_workbook, target="contracts"))
    sheet = openpyxl.load_workbook(errors).worksheets[0]
    assert sheet.cell(row=2, column=3).value == dt.datetime(2031, 1, 1)
    fix(errors, {(2, "State"): "Active"})
    run(reupload_file, errors, target="contracts")
    assert run(validation.validate, target="contracts") == {"ready": 1}
    values = rows_of(app)[2][2]
    assert (values["starts"], values["ends"]) == ("2031-01-01", "2031-12-31")
