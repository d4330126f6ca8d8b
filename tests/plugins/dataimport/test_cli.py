"""``onward import …``: template, run, status, errors, restart, undo."""

import json

import openpyxl
import pytest
from sqlalchemy import select

from onward import SYSTEM, Account, acting_as, db
from onward.plugins.dataimport.models import DataImport, StagingRow
from onward.plugins.onboarding.customer_data import OnboardingLocation
from onward.plugins.onboarding.models import CaseTask

from .workbooks import openpyxl_workbook

HEADER = ["Name", "City", "Latitude"]


@pytest.fixture
def case_number(app, account):
    """Genixify's onboarding case."""
    from onward.plugins.onboarding.cases import create_case

    with app.app_context(), acting_as(SYSTEM):
        case = create_case(db.session.get(Account, account))
        db.session.commit()
        return case.number


@pytest.fixture
def xlsx(tmp_path):
    """A workbook of ``rows`` under ``HEADER``; returns its path as text."""

    def make(rows, name="locations.xlsx", header=HEADER):
        return str(openpyxl_workbook(tmp_path / name, {"Locations": [header, *rows]}))

    return make


@pytest.fixture
def run_import(runner, case_number):
    """``onward import run FILES --case … --target locations [extra…]``."""

    def invoke(*files, extra=(), target="locations"):
        return runner.invoke(["import", "run", *files, "--case", case_number,
                              "--target", target, *extra])

    return invoke


def tasks(app):
    with app.app_context():
        return [(t.number, t.subject, t.task_type) for t in db.session.scalars(
            select(CaseTask).join(DataImport, DataImport.task_id == CaseTask.id))]


def test_template_writes_the_targets_xlsx(runner, tmp_path):
    out = tmp_path / "locations-template.xlsx"
    result = runner.invoke(["import", "template", "locations", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote the Locations template" in result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[:2] == ["Locations", "Instructions"]
    assert book.worksheets[0]["A1"].value == "Name"


def test_template_of_an_unknown_target_names_the_known_ones(runner, tmp_path):
    result = runner.invoke(["import", "template", "planets", "-o", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 1
    assert "No import target 'planets'; use one of: contacts, locations" in result.output


def test_run_makes_the_import_task_stages_validates_and_exits_0_when_all_ready(
        app, run_import, xlsx):
    result = run_import(xlsx([["HQ", "Santa Clara", 37.35], ["Depot", "Austin", None]]))
    assert result.exit_code == 0, result.output
    [(number, subject, kind)] = tasks(app)
    assert (subject, kind) == ("Import Locations", "data_capture")
    assert f"Task {number} (locations)" in result.output
    assert "ready" in result.output and "locations.xlsx" in result.output
    with app.app_context():
        assert db.session.query(StagingRow).count() == 2
        assert db.session.query(OnboardingLocation).count() == 0  # not published


def test_run_reuses_the_cases_import_task_for_the_target(app, run_import, xlsx):
    assert run_import(xlsx([["HQ", "Santa Clara", None]])).exit_code == 0
    assert run_import(xlsx([["Depot", "Austin", None]], name="more.xlsx")).exit_code == 0
    assert len(tasks(app)) == 1
    with app.app_context():
        assert db.session.query(StagingRow).count() == 2


def test_run_with_publish_publishes_and_reports_counts(app, run_import, xlsx):
    result = run_import(xlsx([["HQ", "Santa Clara", 37.35], ["Depot", "Austin", None]]),
                        extra=("--publish", "--json"))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["published"]["inserted"] == 2
    assert summary["counts"] == {"yet_to_validate": 0, "needs_attention": 0, "ready": 0,
                                 "published": 2}
    with app.app_context():
        assert {loc.name for loc in db.session.scalars(select(OnboardingLocation))} == {
            "HQ", "Depot"}


def test_run_with_publish_publishes_as_it_stages_and_what_was_ready_in_one_batch(
        app, runner, run_import, xlsx):
    assert run_import(xlsx([["HQ", "Santa Clara", 37.35]])).exit_code == 0  # ready
    result = run_import(xlsx([["Depot", "Austin", None]], name="more.xlsx"),
                        extra=("--publish", "--json"))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["published"]["inserted"], summary["counts"]["published"]) == (2, 2)
    status = json.loads(runner.invoke(["import", "status", task_number(app), "--json"]).output)
    assert [b["inserted"] for b in status["batches"]] == [2]
    with app.app_context():
        assert {loc.name for loc in db.session.scalars(select(OnboardingLocation))} == {
            "HQ", "Depot"}


def test_rows_needing_attention_are_listed_by_row_and_column_and_exit_1(run_import, xlsx):
    result = run_import(xlsx([["HQ", "Santa Clara", 37.35], [None, "Austin", "north"]]),
                        extra=("--json",))
    assert result.exit_code == 1
    summary = json.loads(result.output)
    assert summary["counts"]["needs_attention"] == 1
    assert summary["problems"] == [
        {"file": "locations.xlsx", "row": 3, "column": "Name",
         "problem": "a value is required."},
        {"file": "locations.xlsx", "row": 3, "column": "Latitude",
         "problem": "'north' is not a number."}]


def test_the_problem_table_is_printed_for_people(run_import, xlsx):
    result = run_import(xlsx([[None, "Austin", None]]))
    assert result.exit_code == 1
    assert "Needs attention (first problems)" in result.output
    line = next(line for line in result.output.splitlines() if "a value is required" in line)
    assert "locations.xlsx" in line and " 2 " in line and "Name" in line


def test_with_publish_rows_needing_attention_still_exit_1(app, run_import, xlsx):
    result = run_import(xlsx([["HQ", "Santa Clara", None], [None, "Austin", None]]),
                        extra=("--publish", "--json"))
    assert result.exit_code == 1
    summary = json.loads(result.output)
    assert summary["published"]["inserted"] == 1
    assert summary["counts"]["needs_attention"] == 1


def test_a_refused_file_prints_its_message_and_exits_1(run_import, xlsx):
    result = run_import(xlsx([["HQ", "Santa Clara"]], header=["Name", "Cty"]))
    assert result.exit_code == 1
    assert "Refused locations.xlsx: column 'Cty' matches no field" in result.output


def test_a_file_that_is_no_workbook_is_named_with_the_readers_message(run_import, tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("just text")
    result = run_import(str(path))
    assert result.exit_code == 1
    assert "Refused notes.xlsx: " in result.output


def test_run_names_an_unknown_case_and_target(runner, run_import, xlsx, case_number):
    path = xlsx([["HQ", "Santa Clara", None]])
    unknown = runner.invoke(["import", "run", path, "--case", "ALEONB0999999",
                             "--target", "locations"])
    assert unknown.exit_code == 1 and "No onboarding case ALEONB0999999" in unknown.output
    planets = run_import(path, target="planets")
    assert planets.exit_code == 1 and "No import target 'planets'" in planets.output
    missing = runner.invoke(["import", "run", "nowhere.xlsx", "--case", case_number,
                             "--target", "locations"])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def task_number(app):
    [(number, _, _)] = tasks(app)
    return number


def test_status_shows_counts_files_and_batches(app, runner, run_import, xlsx):
    run_import(xlsx([["HQ", "Santa Clara", None], [None, "Austin", None]]),
               extra=("--publish",))
    number = task_number(app)
    result = runner.invoke(["import", "status", number, "--json"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert status["counts"] == {"yet_to_validate": 0, "needs_attention": 1, "ready": 0,
                                "published": 1}
    assert [(f["name"], f["state"], f["rows"]) for f in status["files"]] == [
        ("locations.xlsx", "imported", 2)]
    assert [b["inserted"] for b in status["batches"]] == [1]
    people = runner.invoke(["import", "status", number])
    assert people.exit_code == 0 and "Publish batches" in people.output


def test_status_of_a_task_without_an_import_says_so(app, runner, task_id):
    with app.app_context():
        number = db.session.get(CaseTask, task_id).number
    result = runner.invoke(["import", "status", number])
    assert result.exit_code == 1 and f"Task {number} has no import yet" in result.output
    assert "No onboarding task X1" in runner.invoke(["import", "status", "X1"]).output


def test_errors_then_fix_and_run_again_until_every_row_is_ready(app, runner, run_import,
                                                                 xlsx, tmp_path):
    run_import(xlsx([["HQ", "Santa Clara", None], [None, "Austin", "north"]]))
    number = task_number(app)
    out = tmp_path / "errors.xlsx"
    result = runner.invoke(["import", "errors", number, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote 1 rows that need attention" in result.output
    book = openpyxl.load_workbook(out)
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[2]][1:2] == [None]
    sheet["B2"], sheet["H2"] = "Depot", 30.27  # Name, Latitude
    book.save(out)
    again = run_import(str(out), extra=("--json",))
    assert again.exit_code == 0, again.output
    summary = json.loads(again.output)
    assert summary["counts"]["ready"] == 2
    assert summary["files"][0]["message"] == "1 rows updated from the errors workbook"
    assert len(tasks(app)) == 1


def test_restart_asks_first_unless_yes(app, runner, run_import, xlsx):
    run_import(xlsx([["HQ", "Santa Clara", None]]))
    number = task_number(app)
    declined = runner.invoke(["import", "restart", number], input="n\n")
    assert declined.exit_code == 1 and "Aborted" in declined.output
    with app.app_context():
        assert db.session.query(StagingRow).count() == 1
    done = runner.invoke(["import", "restart", number, "--yes"])
    assert done.exit_code == 0 and f"Cleared 1 staging rows of {number}." in done.output
    with app.app_context():
        assert db.session.query(StagingRow).count() == 0


def _locations(app):
    with app.app_context():
        return {(loc.name, loc.city) for loc in db.session.scalars(select(OnboardingLocation))}


def test_undo_asks_first_then_takes_the_newest_batch_back(app, runner, run_import, xlsx,
                                                         account):
    with app.app_context(), acting_as(SYSTEM):
        db.session.add(OnboardingLocation(account_id=account, name="HQ", city="Santa Clara"))
        db.session.commit()
    run_import(xlsx([["Plant", "Reno", None]]), extra=("--publish",))
    run_import(xlsx([["HQ", "San Jose", None], ["Depot", "Austin", None]], name="more.xlsx"),
               extra=("--publish",))
    number = task_number(app)
    first = {("HQ", "Santa Clara"), ("Plant", "Reno")}
    assert _locations(app) == {("HQ", "San Jose"), ("Depot", "Austin"), ("Plant", "Reno")}
    declined = runner.invoke(["import", "undo", number], input="n\n")
    assert declined.exit_code == 1 and "Aborted" in declined.output
    assert "delete the 1 records it inserted and restore the 1 it updated?" in declined.output
    assert _locations(app) == {("HQ", "San Jose"), ("Depot", "Austin"), ("Plant", "Reno")}
    done = runner.invoke(["import", "undo", number, "--yes", "--json"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.output)
    assert (result["deleted"], result["restored"]) == (1, 1)
    assert _locations(app) == first
    status = json.loads(runner.invoke(["import", "status", number, "--json"]).output)
    assert [b["undone_at"] is not None for b in status["batches"]] == [False, True]
    assert status["counts"]["ready"] == 2 and status["counts"]["published"] == 1
    people = runner.invoke(["import", "undo", number, "--yes"])
    assert people.exit_code == 0, people.output
    assert f"Undid batch {status['batches'][0]['batch']} of {number}" in people.output
    assert _locations(app) == {("HQ", "Santa Clara")}


def test_undo_names_what_it_cannot_undo(app, runner, run_import, xlsx):
    run_import(xlsx([["HQ", "Santa Clara", None]]))
    number = task_number(app)
    nothing = runner.invoke(["import", "undo", number, "--yes"])
    assert nothing.exit_code == 1 and "has no publish batch to undo" in nothing.output
    run_import(xlsx([["HQ", "Santa Clara", None]]), extra=("--publish",))
    run_import(xlsx([["Depot", "Austin", None]], name="more.xlsx"), extra=("--publish",))
    first, second = [b["batch"] for b in json.loads(runner.invoke(
        ["import", "status", number, "--json"]).output)["batches"]]
    older = runner.invoke(["import", "undo", number, "--batch", str(first), "--yes"])
    assert older.exit_code == 1 and f"Undo batch {second} first" in older.output
    unknown = runner.invoke(["import", "undo", number, "--batch", "999999", "--yes"])
    assert unknown.exit_code == 1 and "No publish batch 999999" in unknown.output
    assert _locations(app) == {("HQ", "Santa Clara"), ("Depot", "Austin")}
