"""The import builder's services: templates to data sources, and the playbook activity."""

import io

import pytest
import yaml
from sqlalchemy import select

from onward import (
    SYSTEM,
    AccessDenied,
    Account,
    Conflict,
    User,
    ValidationFailed,
    acting_as,
    db,
    onward_state,
    playbooks,
)
from onward.plugins.dataimport import builder, staging
from onward.plugins.dataimport.models import DataImport, DataSource
from onward.plugins.dataimport.reader.upload import WorkbookRefused
from onward.plugins.onboarding.cases import create_case
from onward.plugins.onboarding.models import CaseTask

from .workbooks import openpyxl_workbook


@pytest.fixture
def template(tmp_path):
    """Write a header-only template (or one with ``rows``) and return its path."""

    def make(header, rows=(), name="sites.xlsx"):
        return openpyxl_workbook(tmp_path / name, {"Sites": [header, *rows]})

    return make


@pytest.fixture
def admin(make_user):
    return make_user("admin")


@pytest.fixture
def as_admin(app, admin):
    """Run ``step(*args)`` as an admin in one committed transaction; returns its result."""

    def call(step, *args, **kwargs):
        with app.app_context(), acting_as(db.session.get(User, admin)):
            result = step(*args, **kwargs)
            db.session.commit()
            return result

    return call


def build(*args, **kwargs):
    source, matching = builder.build_source(*args, **kwargs)
    return source.id, source.staging_name, source.columns, source.template_name, matching


def test_a_matching_template_makes_a_source_with_its_field_map(as_admin, template):
    path = template(["Name", " street ", "CITY", "Zip", "Company"])
    _source_id, staging_name, columns, template_name, matching = as_admin(
        build, "Sites", "locations", path)
    assert staging_name == "ALE_DS_Sites" and template_name == "sites.xlsx"
    assert [(c["column"], c["field"]) for c in columns] == [
        ("Name", "name"), ("street", "street"), ("CITY", "city"), ("Zip", "zip"),
        ("Company", "_account")]
    assert columns[0]["transforms"] == ["trim"]
    assert matching.unmatched == {} and matching.missing == []


def test_a_template_with_data_rows_and_a_stream_are_read_too(as_admin, template):
    path = template(["Name", "City"], rows=[["HQ", "Austin"]])
    stream = io.BytesIO(path.read_bytes())
    _source_id, staging_name, *_ = as_admin(build, "Sites", "locations", stream,
                                           staging_name="sites_in")
    assert staging_name == "sites_in"


def test_unmatched_columns_are_listed_with_suggestions_and_nothing_is_made(
        app, as_admin, template):
    path = template(["Name", "Cty", "Stret", "Qqq"])
    with pytest.raises(ValidationFailed) as refused:
        as_admin(build, "Sites", "locations", path)
    problems = refused.value.fields["columns"]
    assert "Column 'Cty' matches no field (closest: City" in problems[0]
    assert "'Stret' matches no field (closest: Street" in problems[1]
    assert problems[2] == "Column 'Qqq' matches no field: map it to a field or leave it out."
    with app.app_context():
        assert db.session.scalar(select(DataSource.id)) is None


def test_the_admin_maps_or_leaves_out_each_unmatched_column(as_admin, template):
    path = template(["Name", "Cty", "Notes"])
    *_, columns, _name, matching = as_admin(
        build, "Sites", "locations", path, mapping={"Cty": "city", "Notes": None})
    assert [(c["column"], c["field"]) for c in columns] == [
        ("Name", "name"), ("Cty", "city"), ("Notes", None)]
    assert matching.unmatched == {}


def test_a_left_out_column_is_read_past_when_a_file_is_staged(app, as_admin, template, task_id,
                                                               tmp_path):
    path = template(["Name", "Cty", "Notes"])
    source_id, *_ = as_admin(build, "Sites", "locations", path,
                             mapping={"Cty": "city", "Notes": None})
    data = openpyxl_workbook(tmp_path / "data.xlsx",
                             {"Sites": [["Name", "Cty", "Notes"], ["HQ", "Austin", "x"]]})
    with app.app_context(), acting_as(SYSTEM):
        data_import = staging.import_of_task(db.session.get(CaseTask, task_id), "locations")
        data_import.source_id = source_id
        with data.open("rb") as stream:
            record = staging.add_file(data_import, "data.xlsx", stream)
        assert staging.stage_file(data_import, record) == 1, record.message
        db.session.commit()
        row = db.session.scalar(select(staging.StagingRow))
        assert row.values == {"name": "HQ", "city": "Austin"}


def test_mapping_checks_columns_fields_and_doubles(as_admin, template):
    path = template(["Name", "Cty"])
    for mapping, message in [
        ({"Town": "city"}, "The template has no column 'Town'."),
        ({"Cty": "colour"}, "Locations has no field 'colour' (column 'Cty')."),
        ({"Cty": "name"}, "Columns 'Name' and 'Cty' both fill 'Name'; map each field once."),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            as_admin(build, "Sites", "locations", path, mapping=mapping)
        assert refused.value.message == message


def test_every_required_field_needs_a_column(as_admin, template):
    path = template(["Location", "Notes"])
    with pytest.raises(ValidationFailed) as refused:
        as_admin(build, "Addresses", "account_addresses", path, mapping={"Notes": None})
    assert refused.value.fields["columns"] == ["No column fills the required field 'Type'."]


def test_the_readers_refusals_come_through(as_admin, tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"name,city\nHQ,Austin\n")
    with pytest.raises(WorkbookRefused) as refused:
        as_admin(build, "Sites", "locations", bad)
    assert refused.value.fields["file"] == [refused.value.message]


@pytest.mark.onward_config(IMPORT_MAX_BYTES=1024)
def test_an_uploaded_template_is_size_limited(as_admin, template):
    stream = io.BytesIO(template(["Name", "City"]).read_bytes())
    with pytest.raises(ValidationFailed, match="larger than the limit"):
        as_admin(build, "Sites", "locations", stream)


def test_an_unknown_target_is_refused(as_admin, template):
    with pytest.raises(ValidationFailed, match="No import target 'planets'"):
        as_admin(build, "Sites", "planets", template(["Name"]))


def test_a_name_is_unique_in_its_domain(as_admin, template, make_domain, make_user, app):
    path = template(["Name", "City"])
    as_admin(build, "Sites", "locations", path)
    with pytest.raises(Conflict) as clash:
        as_admin(build, "Sites", "locations", path)
    assert clash.value.status == 409
    other = make_user("admin", domain=make_domain("other"))
    with app.app_context(), acting_as(db.session.get(User, other)):
        builder.build_source("Sites", "locations", path)  # another domain's name is free
        db.session.commit()


def test_only_admins_build(app, template, make_user):
    agent = make_user("onboarding_agent")
    with app.app_context(), acting_as(db.session.get(User, agent)), pytest.raises(AccessDenied):
        builder.build_source("Sites", "locations", template(["Name", "City"]))


def test_the_field_map_is_editable_with_checks(app, as_admin, template):
    source_id, *_ = as_admin(build, "Sites", "locations", template(["Name", "Cty", "Since"]),
                             mapping={"Cty": "city", "Since": None})

    def update(columns):
        source = db.session.get(DataSource, source_id)
        return builder.update_columns(source, columns).columns

    columns = as_admin(update, [
        {"column": "Name", "field": "name", "transforms": ["trim", "upper"]},
        {"column": "Cty", "field": "city", "transforms": ["title"]},
        {"column": "Since", "field": None, "transforms": []}])
    assert columns[0]["transforms"] == ["trim", "upper"] and columns[2]["field"] is None
    for columns, message in [
        ([{"column": "Name", "field": "name"}], "must list each column"),
        ([{"column": "Name", "field": "name", "transforms": ["reverse"]},
          {"column": "Cty", "field": "city"}, {"column": "Since", "field": None}],
         "Unknown transform 'reverse'"),
        ([{"column": "Name", "field": "city"}, {"column": "Cty", "field": "city"},
          {"column": "Since", "field": None}], "both fill 'City'"),
        ([{"column": "Name", "field": "name", "date_format": "%d/%m/%Y"},
          {"column": "Cty", "field": "city"}, {"column": "Since", "field": None}],
         "a date format fits a date column only"),
    ]:
        with pytest.raises(ValidationFailed, match=message):
            as_admin(update, columns)


def test_the_date_format_of_a_date_column_is_kept(as_admin, template):
    source_id, *_ = as_admin(build, "Items", "install_base_items",
                             template(["Name", "Install date"]))

    def update():
        source = db.session.get(DataSource, source_id)
        builder.update_columns(source, [
            {"column": "Name", "field": "name", "transforms": ["trim"]},
            {"column": "Install date", "field": "install_date", "transforms": ["trim"],
             "date_format": "%d/%m/%Y"}])
        return source.columns[1]["date_format"]

    assert as_admin(update) == "%d/%m/%Y"


def test_the_activity_snippet_is_the_onboarding_task_activity(as_admin, template):
    source_id, *_ = as_admin(build, "EMEA sites", "locations", template(["Name", "City"]))
    snippet = as_admin(lambda: builder.activity_snippet(db.session.get(DataSource, source_id)))
    assert snippet["definition"] == "task" and snippet["key"] == "import_emea_sites"
    assert snippet["inputs"]["import_target"] == "locations"
    assert snippet["inputs"]["data_source"] == "EMEA sites"
    assert snippet["inputs"]["task_type"] == "data_capture"
    assert yaml.safe_load(yaml.safe_dump(snippet)) == snippet


def _playbook_with(activity: dict) -> dict:
    return {"key": "import_test", "label": "Import test", "case_type": "onboarding_case",
            "stages": [{"key": "data_capture", "label": "Data capture & validation",
                        "activities": [activity]}]}


@pytest.fixture
def start_playbook(app, account):
    """Store a playbook with ``activity`` and start it for a new case; returns the task id."""

    def start(activity):
        with app.app_context(), acting_as(SYSTEM):
            playbooks.definitions.store(_playbook_with(activity), source="test")
            case = create_case(db.session.get(Account, account))
            instance = playbooks.start(case, "import_test")
            task_id = instance.activities[0].input["task_id"]
            db.session.commit()
        return task_id  # the app context has ended: its events are dispatched

    return start


def _import_of(app, task_id):
    with app.app_context():
        found = db.session.scalar(select(DataImport).where(DataImport.task_id == task_id))
        return found and (found.target, found.source and found.source.name)


def test_a_task_made_from_the_snippet_gets_its_import_with_the_source(
        app, as_admin, template, start_playbook):
    source_id, *_ = as_admin(build, "EMEA sites", "locations", template(["Name", "City"]))
    snippet = as_admin(lambda: builder.activity_snippet(db.session.get(DataSource, source_id)))
    task_id = start_playbook(snippet)
    assert _import_of(app, task_id) == ("locations", "EMEA sites")


def test_a_missing_source_leaves_a_work_note_and_labels_match(app, start_playbook):
    task_id = start_playbook({"key": "import_x", "definition": "task", "label": "X",
                              "inputs": {"subject": "Import", "import_target": "contracts",
                                         "data_source": "Nowhere"}})
    assert _import_of(app, task_id) == ("contracts", None)
    with app.app_context():
        notes = [entry.body for entry in db.session.get(CaseTask, task_id).journal()]
        assert any("'Nowhere' of contracts was not found" in note for note in notes)


def test_a_task_activity_without_an_import_target_makes_no_import(app, start_playbook):
    task_id = start_playbook({"key": "plain", "definition": "task", "label": "Plain",
                              "inputs": {"subject": "Train the team"}})
    assert _import_of(app, task_id) is None


def test_the_default_playbook_declares_the_eight_import_tasks(app, start_playbook):
    with app.app_context():
        registries = onward_state().registries
        playbook = registries.playbooks["account_onboarding"].data
        known = set(registries.import_targets)
    stage = next(s for s in playbook["stages"] if s["key"] == "data_capture")
    declared = [a["inputs"].get("import_target") for a in stage["activities"]]
    assert sorted(declared) == sorted(known) and len(declared) == 8
    # the first of them, as declared, makes an import task for its target
    task_id = start_playbook(dict(stage["activities"][0]))
    assert _import_of(app, task_id) == (declared[0], None)
