"""The data import API: every endpoint's happy path and its errors (as an agent or admin)."""

import datetime as dt
import re
import types

import pytest
from openapi_spec_validator import validate
from sqlalchemy import select

from onward import SYSTEM, Account, Validator, acting_as, db, hookimpl, jobs
from onward.plugins.dataimport import staging
from onward.plugins.dataimport.models import (
    DataImport,
    DataSource,
    ImportFile,
    StagingRow,
)
from onward.plugins.onboarding.customer_data import OnboardingLocation

from .api_helpers import API, locations_xlsx, make_import, make_task, staged_import, upload


@pytest.fixture
def agent_id(make_user):
    return make_user("onboarding_agent")


@pytest.fixture
def agent(api_headers, agent_id):
    """API headers of an onboarding agent."""
    return api_headers(agent_id)


@pytest.fixture
def admin(make_user, api_headers):
    """API headers of an administrator."""
    return api_headers(make_user("admin"))


def error(response):
    return response.json["error"]


def rows_by_number(client, headers, import_id, **args):
    response = client.get(f"{API}/imports/{import_id}/rows", headers=headers, query_string=args)
    assert response.status_code == 200, response.json
    return {row["row_number"]: row for row in response.json["items"]}


# --- targets and validators ----------------------------------------------------------------


def test_targets_describe_fields_and_natural_keys(client, agent):
    response = client.get(f"{API}/targets", headers=agent)
    assert response.status_code == 200
    targets = {item["key"]: item for item in response.json}
    assert set(targets) >= {"contacts", "locations", "service_entitlements",
                            "install_base_items", "account_addresses", "contracts",
                            "sold_products", "install_base_sold_products"}
    locations = targets["locations"]
    assert locations["natural_key"] == ["name"]
    name = next(item for item in locations["fields"] if item["name"] == "name")
    assert (name["type"], name["required"], name["label"]) == ("string", True, "Name")
    assert name["max_length"] == 120 and name["reference"] is None
    items = {item["name"]: item for item in targets["install_base_items"]["fields"]}
    assert items["location_id"]["reference"] == {"table": "onboarding_location",
                                                 "field": "name"}
    assert items["state"]["type"] == "choice" and "in_use" in items["state"]["choices"]
    quantity = next(item for item in targets["sold_products"]["fields"]
                    if item["name"] == "quantity")
    assert (quantity["minimum"], quantity["maximum"]) == (-2**31, 2**31 - 1)
    assert (name["minimum"], name["maximum"]) == (None, None)


def test_validators_list_field_kinds_and_record_validators(client, agent):
    response = client.get(f"{API}/validators", headers=agent)
    assert response.status_code == 200
    kinds = {item["key"]: item for item in response.json}
    assert {key for key, item in kinds.items() if item["kind"] == "field"} == {
        "reference", "choice", "date", "datetime", "boolean", "max_length", "number"}
    record = kinds["dataimport_account_matches_case"]
    assert (record["kind"], record["label"]) == ("record", "Account matches the case")
    assert record["description"]


def _phone(value, options):
    return None if str(value).replace(" ", "").lstrip("+").isdigit() else "not a phone number"


def _phone_plugin():
    """A throw-away plugin (as in tests/core/plugin_helpers.py) with a phone field kind."""
    module = types.ModuleType("test_phonecheck_plugin")
    module.NAME = "phonecheck"
    module.register_validators = hookimpl(lambda: [
        Validator("phone", "Phone number", _phone, kind="field",
                  description="Digits, spaces and a leading +.")])
    return module


class TestAPluginsFieldKind:
    """A plugin's new field kind is offered and usable in rules."""

    @pytest.fixture
    def onward_plugins(self):
        return [_phone_plugin()]

    def test_it_appears_among_the_validators_and_rules_take_it(self, client, admin):
        kinds = {item["key"]: item for item in client.get(f"{API}/validators",
                                                          headers=admin).json}
        assert kinds["phone"] == {"key": "phone", "label": "Phone number", "kind": "field",
                                  "description": "Digits, spaces and a leading +."}
        response = client.post(f"{API}/rules", headers=admin, json={
            "target": "locations", "kind": "phone", "field": "street",
            "options": {"anything": "the plugin checks its own options"}})
        assert response.status_code == 201, response.json
        refused = client.post(f"{API}/rules", headers=admin, json={
            "target": "locations", "level": "record", "kind": "phone"})
        assert refused.status_code == 422 and "kind" in error(refused)["fields"]


# --- validation rules ----------------------------------------------------------------------


def test_admins_create_change_and_delete_rules(client, admin, agent):
    body = {"target": "locations", "kind": "date", "field": "city",
            "options": {"format": "%d/%m/%Y"}, "mandatory": True, "description": "Opened on"}
    created = client.post(f"{API}/rules", headers=admin, json=body)
    assert created.status_code == 201, created.json
    rule = created.json
    assert (rule["level"], rule["active"], rule["mandatory"]) == ("field", True, True)
    listed = client.get(f"{API}/rules", headers=agent, query_string={"target": "locations"})
    assert [item["id"] for item in listed.json["items"]] == [rule["id"]]
    changed = client.patch(f"{API}/rules/{rule['id']}", headers=admin, json={"active": False})
    assert changed.status_code == 200 and changed.json["active"] is False
    bad = client.patch(f"{API}/rules/{rule['id']}", headers=admin,
                       json={"options": {"format": "%Y"}})
    assert bad.status_code == 422 and "options" in error(bad)["fields"]
    assert client.get(f"{API}/rules/{rule['id']}", headers=agent).json["options"] == {
        "format": "%d/%m/%Y"}
    assert client.delete(f"{API}/rules/{rule['id']}", headers=admin).status_code == 204
    assert client.get(f"{API}/rules/{rule['id']}", headers=admin).status_code == 404


def test_agents_read_rules_but_do_not_write_them(app, client, admin, agent):
    rule = client.post(f"{API}/rules", headers=admin, json={
        "target": "locations", "kind": "boolean", "field": "city"}).json
    assert client.get(f"{API}/rules/{rule['id']}", headers=agent).status_code == 200
    assert client.post(f"{API}/rules", headers=agent, json={
        "target": "locations", "kind": "boolean", "field": "city"}).status_code == 403
    assert client.patch(f"{API}/rules/{rule['id']}", headers=agent,
                        json={"active": False}).status_code == 403
    assert client.delete(f"{API}/rules/{rule['id']}", headers=agent).status_code == 403


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"target": "planets", "kind": "boolean", "field": "name"}, "target", "No import target"),
    ({"target": "locations", "kind": "shoe_size", "field": "name"}, "kind", "No field kind"),
    ({"target": "locations", "kind": "boolean", "field": "colour"}, "field", "no field 'colour'"),
    ({"target": "locations", "kind": "boolean"}, "field", "no field None"),
    ({"target": "locations", "level": "row", "kind": "boolean", "field": "name"}, "level",
     "Must be one of"),
    ({"target": "locations", "kind": "date", "field": "city"}, "options", "needs a format"),
    ({"target": "locations", "kind": "date", "field": "city", "options": {"format": "%d/%m"}},
     "options", "does not read back"),
    ({"target": "locations", "kind": "datetime", "field": "city",
      "options": {"format": "no directives"}}, "options", "does not read back"),
    ({"target": "locations", "kind": "date", "field": "city", "options": {"format": "%Y"}},
     "options", "does not read back"),
    ({"target": "locations", "kind": "max_length", "field": "city",
      "options": {"max_length": 0}}, "options", "from 1 to 32767"),
    ({"target": "locations", "kind": "max_length", "field": "city",
      "options": {"max_length": "ten"}}, "options", "from 1 to 32767"),
    ({"target": "locations", "kind": "max_length", "field": "city",
      "options": {"max_length": True}}, "options", "from 1 to 32767"),
    ({"target": "locations", "kind": "max_length", "field": "city",
      "options": {"max_length": 32_768}}, "options", "from 1 to 32767"),
    ({"target": "locations", "kind": "boolean", "field": "city", "options": {"format": "x"}},
     "options", "has no option 'format'"),
    ({"target": "locations", "kind": "reference", "field": "city",
      "options": {"table": "core_token", "field": "name"}}, "options", "No table 'core_token'"),
    ({"target": "locations", "kind": "reference", "field": "city",
      "options": {"table": "onboarding_location", "field": "password"}}, "options",
     "no text field 'password'"),
    ({"target": "locations", "kind": "choice", "field": "city"}, "options", "no choices"),
    ({"target": "locations", "kind": "choice", "field": "city", "options": {"choices": []}},
     "options", "one or more texts"),
    ({"target": "locations", "level": "record", "kind": "date"}, "kind",
     "No record validator 'date'"),
    ({"target": "locations", "level": "record", "kind": "dataimport_account_matches_case",
      "field": "name"}, "field", "give no field"),
    ({"target": "locations", "kind": "boolean", "field": "city", "colour": "red"}, "colour",
     "Unknown field"),
])
def test_a_rule_validation_could_not_run_is_refused(client, admin, body, field, words):
    response = client.post(f"{API}/rules", headers=admin, json=body)
    assert response.status_code == 422, response.json
    assert field in error(response)["fields"]
    assert words in " ".join(error(response)["fields"][field]) + error(response)["message"]


@pytest.mark.parametrize("body", [
    {"kind": "datetime", "field": "city", "options": {"format": "%d.%m.%Y %H:%M"}},
    {"kind": "max_length", "field": "city", "options": {"max_length": 40}},
    {"kind": "reference", "field": "city",
     "options": {"table": "onboarding_location", "field": "city"}},
    {"kind": "choice", "field": "city", "options": {"choices": ["Austin", "Reno"]}},
    {"kind": "number", "field": "latitude"},
    {"level": "record", "kind": "dataimport_account_matches_case"},
])
def test_each_kind_takes_its_options(client, admin, body):
    response = client.post(f"{API}/rules", headers=admin, json={"target": "locations", **body})
    assert response.status_code == 201, response.json


def test_a_rule_made_through_the_api_applies_to_the_next_validation(client, admin, agent, app,
                                                                    task_id, tmp_path):
    import_id = staged_import(app, task_id, tmp_path)
    assert client.post(f"{API}/rules", headers=admin, json={
        "target": "locations", "kind": "max_length", "field": "city",
        "options": {"max_length": 6}}).status_code == 201
    rows = rows_by_number(client, agent, import_id)
    assert client.patch(f"{API}/imports/{import_id}/rows/{rows[3]['id']}", headers=agent,
                        json={"values": {"name": "Lab", "city": "Reno"}}).status_code == 200
    assert client.patch(f"{API}/imports/{import_id}/rows/{rows[2]['id']}", headers=agent,
                        json={"values": {"city": "Austin, Texas"}}).status_code == 200
    assert client.post(f"{API}/imports/{import_id}/validate", headers=agent).status_code == 202
    rows = rows_by_number(client, agent, import_id)
    assert rows[3]["status"] == "ready"
    assert rows[2]["status"] == "needs_attention"
    assert "at most 6 fit" in rows[2]["problems"][0]["message"]


# --- imports -------------------------------------------------------------------------------


def test_an_agent_creates_the_import_of_a_task(client, agent, task_id):
    response = client.post(f"{API}/imports", headers=agent,
                           json={"task_id": task_id, "target": "locations"})
    assert response.status_code == 201, response.json
    created = response.json
    assert (created["task_id"], created["target"], created["state"]) == (
        task_id, "locations", "not_loaded")
    assert created["counts"] == {"yet_to_validate": 0, "needs_attention": 0, "ready": 0,
                                 "published": 0}
    assert (created["files"], created["latest_batch"], created["job_run_id"]) == ([], None,
                                                                                  None)
    again = client.post(f"{API}/imports", headers=agent,
                        json={"task_id": task_id, "target": "locations"})
    assert (again.status_code, again.json["id"]) == (200, created["id"])
    other = client.post(f"{API}/imports", headers=agent,
                        json={"task_id": task_id, "target": "contracts"})
    assert other.status_code == 409
    assert "imports locations, not contracts" in error(other)["message"]


@pytest.mark.parametrize(("body", "field"), [
    ({"task_id": 999_999, "target": "locations"}, "task_id"),
    ({"target": "locations"}, "task_id"),
    ({"task_id": "TASK", "target": "planets"}, "task_id"),
    ({"task_id": None, "target": "locations", "colour": "red"}, "colour"),
])
def test_creating_an_import_checks_the_body(client, agent, body, field):
    response = client.post(f"{API}/imports", headers=agent, json=body)
    assert response.status_code == 422 and field in error(response)["fields"]


def test_creating_an_import_checks_target_and_source(app, client, agent, account, task_id):
    unknown = client.post(f"{API}/imports", headers=agent,
                          json={"task_id": task_id, "target": "planets"})
    assert unknown.status_code == 422 and "target" in error(unknown)["fields"]
    with app.app_context(), acting_as(SYSTEM):
        domain_id = db.session.get(Account, account).domain_id
        sources = [DataSource(name=name, target=target, domain_id=domain_id)
                   for name, target in (("Sites", "locations"), ("Deals", "contracts"))]
        db.session.add_all(sources)
        db.session.commit()
        sites, deals = (source.id for source in sources)
    wrong = client.post(f"{API}/imports", headers=agent,
                        json={"task_id": task_id, "target": "locations", "source_id": deals})
    assert wrong.status_code == 422 and "is for contracts" in error(wrong)["message"]
    missing = client.post(f"{API}/imports", headers=agent, json={
        "task_id": task_id, "target": "locations", "source_id": 999_999})
    assert missing.status_code == 422 and "source_id" in error(missing)["fields"]
    right = client.post(f"{API}/imports", headers=agent,
                        json={"task_id": task_id, "target": "locations", "source_id": sites})
    assert right.status_code == 201 and right.json["source_id"] == sites


def test_imports_are_listed_filtered_and_sorted(app, client, agent, account, task_id):
    first = make_import(app, task_id)
    second = make_import(app, make_task(app, account), "contracts")
    listed = client.get(f"{API}/imports", headers=agent)
    assert [item["id"] for item in listed.json["items"]] == [second, first]
    assert listed.json["meta"]["total"] == 2
    for args, expected in (({"task_id": task_id}, [first]), ({"target": "contracts"}, [second]),
                           ({"state": "loaded"}, []), ({"sort": "target"}, [second, first])):
        response = client.get(f"{API}/imports", headers=agent, query_string=args)
        assert [item["id"] for item in response.json["items"]] == expected, args
    assert client.get(f"{API}/imports", headers=agent,
                      query_string={"sort": "secret"}).status_code == 422
    assert client.get(f"{API}/imports", headers=agent,
                      query_string={"colour": "red"}).status_code == 422


def test_an_import_shows_counts_files_batch_and_its_running_job(app, client, agent, agent_id,
                                                               task_id, tmp_path):
    import_id = staged_import(app, task_id, tmp_path, publish_rows=True)
    shown = client.get(f"{API}/imports/{import_id}", headers=agent).json
    assert shown["counts"] == {"yet_to_validate": 0, "needs_attention": 1, "ready": 0,
                               "published": 2}
    assert [(item["name"], item["state"], item["rows"]) for item in shown["files"]] == [
        ("locations.xlsx", "imported", 3)]
    assert shown["latest_batch"]["inserted"] == 2 and shown["job_run_id"] is None
    with app.app_context():
        run = jobs.JobRun(key="dataimport_validate", label="Validate", status="running",
                          arguments={"import_id": import_id}, requested_by_id=agent_id)
        db.session.add(run)
        db.session.commit()
        run_id = run.id
    assert client.get(f"{API}/imports/{import_id}", headers=agent).json["job_run_id"] == run_id
    assert client.get(f"{API}/imports/999999", headers=agent).status_code == 404


# --- files ---------------------------------------------------------------------------------


def test_files_are_uploaded_listed_and_deleted(app, client, agent, task_id, tmp_path):
    import_id = make_import(app, task_id)
    first, second = (locations_xlsx(tmp_path, name=name) for name in ("a.xlsx", "b.xlsx"))
    response = upload(client, agent, import_id, first, second)
    assert response.status_code == 201, response.json
    assert [(item["name"], item["state"], item["size"]) for item in response.json] == [
        ("a.xlsx", "uploaded", first.stat().st_size), ("b.xlsx", "uploaded",
                                                         second.stat().st_size)]
    listed = client.get(f"{API}/imports/{import_id}/files", headers=agent,
                        query_string={"sort": "-name"})
    assert [item["name"] for item in listed.json["items"]] == ["b.xlsx", "a.xlsx"]
    file_id = response.json[0]["id"]
    with app.app_context():
        stored = staging.file_path(db.session.get(ImportFile, file_id))
    assert stored.exists()
    assert client.delete(f"{API}/imports/{import_id}/files/{file_id}",
                         headers=agent).status_code == 204
    assert not stored.exists()
    assert client.delete(f"{API}/imports/{import_id}/files/{file_id}",
                         headers=agent).status_code == 404


def test_an_upload_needs_a_file(app, client, agent, task_id):
    import_id = make_import(app, task_id)
    response = client.post(f"{API}/imports/{import_id}/files", headers=agent, data={},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert error(response)["fields"]["file"] == [
        "Attach one or more XLSX files as multipart parts named file."]


@pytest.mark.onward_config(IMPORT_MAX_BYTES=2 * 1024 * 1024)
def test_a_file_above_the_import_limit_is_refused(app, client, agent, task_id, tmp_path):
    import_id = make_import(app, task_id)
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"x" * (2 * 1024 * 1024 + 1))
    response = upload(client, agent, import_id, big)
    assert response.status_code == 422
    assert error(response)["message"] == "big.xlsx is larger than the limit of 2 MB."
    with app.app_context():
        assert db.session.scalar(select(ImportFile.id)) is None


@pytest.mark.onward_config(MAX_CONTENT_LENGTH=1024 * 1024)
def test_a_request_above_the_upload_limit_is_413(app, client, agent, task_id, tmp_path):
    import_id = make_import(app, task_id)
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"x" * (1024 * 1024 + 1))
    response = upload(client, agent, import_id, big)
    assert response.status_code == 413
    assert error(response)["message"] == ("The upload is larger than the limit of 1 MB; send "
                                          "fewer or smaller files.")


def test_an_imported_file_is_not_deleted(app, client, agent, task_id, tmp_path):
    import_id = staged_import(app, task_id, tmp_path)
    with app.app_context():
        file_id = db.session.scalar(select(ImportFile.id))
    response = client.delete(f"{API}/imports/{import_id}/files/{file_id}", headers=agent)
    assert response.status_code == 409 and "restart" in error(response)["message"]


def test_a_file_is_reached_only_through_its_own_import(app, client, agent, account, task_id,
                                                       tmp_path):
    import_id = staged_import(app, task_id, tmp_path)
    other = make_import(app, make_task(app, account))
    with app.app_context():
        file_id = db.session.scalar(select(ImportFile.id))
    assert client.delete(f"{API}/imports/{other}/files/{file_id}",
                         headers=agent).status_code == 404
    rows = rows_by_number(client, agent, import_id)
    assert client.patch(f"{API}/imports/{other}/rows/{rows[2]['id']}", headers=agent,
                        json={"values": {"city": "X"}}).status_code == 404


# --- import, validate, publish, restart, undo ----------------------------------------------


def test_importing_stages_and_validates_the_uploaded_files(app, client, agent, task_id,
                                                           tmp_path):
    import_id = make_import(app, task_id)
    uploaded = upload(client, agent, import_id, locations_xlsx(tmp_path)).json
    nothing = client.post(f"{API}/imports/{import_id}/import", headers=agent,
                          json={"file_ids": [999_999]})
    assert nothing.status_code == 422 and "No file 999999" in error(nothing)["message"]
    beyond = client.post(f"{API}/imports/{import_id}/import", headers=agent,
                         json={"file_ids": [10**30]})
    assert beyond.status_code == 400 and "$.file_ids[0]" in error(beyond)["message"]
    response = client.post(f"{API}/imports/{import_id}/import", headers=agent, json={})
    assert response.status_code == 202, response.json
    run = response.json
    assert (run["key"], run["status"], run["done"]) == ("dataimport_import", "succeeded", True)
    assert run["result"]["counts"] == {"ready": 2, "needs_attention": 1}
    followed = client.get(f"/api/v1/jobs/{run['id']}", headers=agent)
    assert followed.status_code == 200 and followed.json["progress"] == 100
    shown = client.get(f"{API}/imports/{import_id}", headers=agent).json
    assert shown["state"] == "validated" and shown["files"][0]["state"] == "imported"
    again = client.post(f"{API}/imports/{import_id}/import", headers=agent,
                        json={"file_ids": [uploaded[0]["id"]]})
    assert again.status_code == 409 and "imported already" in error(again)["message"]
    waiting = client.post(f"{API}/imports/{import_id}/import", headers=agent, json={})
    assert waiting.status_code == 422
    assert error(waiting)["message"] == "No uploaded file waits to be imported; upload one first."


def test_importing_with_publish_publishes_the_ready_rows_in_one_batch(app, client, agent,
                                                                     task_id, tmp_path):
    import_id = make_import(app, task_id)
    upload(client, agent, import_id, locations_xlsx(tmp_path))
    response = client.post(f"{API}/imports/{import_id}/import", headers=agent,
                           json={"publish": True})
    assert response.status_code == 202, response.json
    result = response.json["result"]
    assert result["counts"] == {"published": 2, "needs_attention": 1}
    assert (result["inserted"], result["failed"]) == (2, 0)
    batches = client.get(f"{API}/imports/{import_id}/batches", headers=agent).json["items"]
    assert [(b["id"], b["inserted"]) for b in batches] == [(result["batch_id"], 2)]
    with app.app_context():
        assert {loc.name for loc in db.session.scalars(select(OnboardingLocation))} == {
            "HQ", "Depot"}


def test_rows_are_listed_filtered_searched_and_sorted(app, client, agent, task_id, tmp_path):
    import_id = staged_import(app, task_id, tmp_path)
    rows = rows_by_number(client, agent, import_id)
    assert {number: row["status"] for number, row in rows.items()} == {
        2: "ready", 3: "ready", 4: "needs_attention"}
    assert list(rows_by_number(client, agent, import_id, status="ready", sort="-id")) == [3, 2]
    assert rows[4]["problems"] == [{"field": "name", "column": "Name",
                                    "message": "Name: a value is required."}]
    assert rows[2]["values"] == {"name": "HQ", "city": "Santa Clara"}
    assert list(rows_by_number(client, agent, import_id, status="needs_attention")) == [4]
    assert list(rows_by_number(client, agent, import_id, q="austin")) == [3]
    assert client.patch(f"{API}/imports/{import_id}/rows/{rows[2]['id']}", headers=agent,
                        json={"values": {"city": "Zürich"}}).status_code == 200
    assert list(rows_by_number(client, agent, import_id, q="ZÜRICH")) == [2]
    assert list(rows_by_number(client, agent, import_id, q="%")) == []  # no wildcards
    response = client.get(f"{API}/imports/{import_id}/rows", headers=agent,
                          query_string={"sort": "-row_number", "page_size": 2})
    assert [row["row_number"] for row in response.json["items"]] == [4, 3]
    assert response.json["meta"] == {"page": 1, "page_size": 2, "total": 3, "pages": 2}
    bad = client.get(f"{API}/imports/{import_id}/rows", headers=agent,
                     query_string={"status": "lost"})
    assert bad.status_code == 422 and "status" in error(bad)["fields"]


def test_a_row_is_fixed_inline(app, client, agent, task_id, tmp_path):
    import_id = staged_import(app, task_id, tmp_path)
    row = rows_by_number(client, agent, import_id)[4]
    url = f"{API}/imports/{import_id}/rows/{row['id']}"
    fixed = client.patch(url, headers=agent, json={"values": {"name": "Lab"}})
    assert fixed.status_code == 200
    assert (fixed.json["status"], fixed.json["problems"]) == ("yet_to_validate", [])
    assert fixed.json["values"] == {"name": "Lab", "city": "Reno"}
    unknown = client.patch(url, headers=agent, json={"values": {"colour": "red"}})
    assert unknown.status_code == 422
    assert error(unknown)["fields"] == {"colour": ["Locations has no field 'colour'."]}
    nested = client.patch(url, headers=agent, json={"values": {"name": {"a": 1}}})
    assert error(nested)["fields"] == {"values.name": [
        "A cell holds a text, a number, true/false or null."]}
    huge = client.patch(url, headers=agent, json={"values": {"name": "x" * 32_768}})
    assert error(huge)["fields"] == {"values.name": ["A cell holds at most 32767 characters."]}
    assert nested.status_code == huge.status_code == 422
    big = client.patch(url, headers=agent, json={"values": {"latitude": 10**30}})
    assert big.status_code == 400
    assert error(big)["fields"] == {"json": [
        "$.values.latitude is a number no database stores: NaN, Infinity or a whole number "
        "past 64 bits."]}
    endless = client.patch(url, headers={**agent, "Content-Type": "application/json"},
                           data='{"values": {"latitude": NaN}}')
    assert endless.status_code == 400 and "$.values.latitude" in error(endless)["message"]
    assert client.patch(url, headers=agent, json={}).status_code == 422
    assert client.patch(f"{API}/imports/{import_id}/rows/999999", headers=agent,
                        json={"values": {"name": "X"}}).status_code == 404


def test_a_published_row_is_not_edited(app, client, agent, task_id, tmp_path):
    import_id = staged_import(app, task_id, tmp_path, publish_rows=True)
    row = rows_by_number(client, agent, import_id)[2]
    response = client.patch(f"{API}/imports/{import_id}/rows/{row['id']}", headers=agent,
                            json={"values": {"city": "Elsewhere"}})
    assert response.status_code == 409 and "published" in error(response)["message"]


def test_publishing_all_or_chosen_rows_and_undoing_batches(app, client, agent, task_id,
                                                           tmp_path):
    import_id = staged_import(app, task_id, tmp_path)
    rows = rows_by_number(client, agent, import_id)
    url = f"{API}/imports/{import_id}/publish"
    not_ready = client.post(url, headers=agent, json={"row_ids": [rows[4]["id"]]})
    assert not_ready.status_code == 422
    assert error(not_ready)["message"] == f"Row {rows[4]['id']} is not ready to publish."
    unknown = client.post(url, headers=agent, json={"row_ids": [999_999]})
    assert unknown.status_code == 422 and "No row 999999" in error(unknown)["message"]
    beyond = client.post(url, headers=agent, json={"row_ids": [10**30]})
    assert beyond.status_code == 400 and "$.row_ids[0]" in error(beyond)["message"]
    assert client.post(url, headers=agent, json={"row_ids": []}).status_code == 422
    first = client.post(url, headers=agent, json={"row_ids": [rows[2]["id"]]})
    assert first.status_code == 202 and first.json["result"]["inserted"] == 1
    second = client.post(url, headers=agent, json={})
    assert second.status_code == 202 and second.json["result"]["inserted"] == 1
    batches = client.get(f"{API}/imports/{import_id}/batches", headers=agent).json["items"]
    assert [batch["id"] for batch in batches] == [second.json["result"]["batch_id"],
                                                  first.json["result"]["batch_id"]]
    older = client.post(f"{API}/batches/{batches[1]['id']}/undo", headers=agent)
    assert older.status_code == 409 and "newest first" in error(older)["message"]
    undone = client.post(f"{API}/batches/{batches[0]['id']}/undo", headers=agent)
    assert undone.status_code == 202, undone.json
    run = undone.json
    assert (run["key"], run["status"], run["progress"]) == ("dataimport_undo", "succeeded", 100)
    assert run["result"] == {"batch_id": batches[0]["id"], "deleted": 1, "restored": 0}
    shown = client.get(f"{API}/imports/{import_id}/batches", headers=agent).json["items"]
    assert shown[0]["undone_at"] and not shown[1]["undone_at"]
    again = client.post(f"{API}/batches/{batches[0]['id']}/undo", headers=agent)
    assert again.status_code == 409 and "undone already" in error(again)["message"]
    assert client.post(f"{API}/batches/{batches[1]['id']}/undo", headers=agent).status_code == 202
    assert client.post(f"{API}/batches/999999/undo", headers=agent).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(OnboardingLocation.id)) is None
    counts = client.get(f"{API}/imports/{import_id}", headers=agent).json["counts"]
    assert (counts["ready"], counts["published"]) == (2, 0)


def test_restart_needs_a_confirmation_and_clears_the_rows(app, client, agent, task_id,
                                                          tmp_path):
    import_id = staged_import(app, task_id, tmp_path)
    url = f"{API}/imports/{import_id}/restart"
    unconfirmed = client.post(url, headers=agent, json={})
    assert unconfirmed.status_code == 422 and "confirm" in error(unconfirmed)["fields"]
    assert client.post(url, headers=agent, json={"confirm": False}).status_code == 422
    response = client.post(url, headers=agent, json={"confirm": True})
    assert response.status_code == 200
    assert response.json["cleared"] == 3
    assert set(response.json["counts"].values()) == {0}
    assert response.json["state"] == "not_loaded"
    assert response.json["files"][0]["state"] == "uploaded"
    with app.app_context():
        assert db.session.scalar(select(StagingRow.id)) is None


def test_restart_and_undo_wait_for_a_running_job(app, client, agent, task_id, tmp_path):
    import_id = staged_import(app, task_id, tmp_path, publish_rows=True)
    with app.app_context():
        data_import = db.session.get(DataImport, import_id)
        data_import.lock_run_id, data_import.locked_at = 123, dt.datetime.now(dt.UTC)
        db.session.commit()
    restart = client.post(f"{API}/imports/{import_id}/restart", headers=agent,
                          json={"confirm": True})
    assert restart.status_code == 409 and "once it has ended" in error(restart)["message"]
    batch = client.get(f"{API}/imports/{import_id}/batches", headers=agent).json["items"][0]
    assert client.post(f"{API}/batches/{batch['id']}/undo", headers=agent).status_code == 409
    assert client.get(f"{API}/imports/{import_id}", headers=agent).json["job_run_id"] == 123


def test_an_action_on_an_unknown_import_is_404(client, agent):
    for action, body in (("import", {}), ("validate", None), ("publish", {}),
                         ("restart", {"confirm": True})):
        response = client.post(f"{API}/imports/999999/{action}", headers=agent, json=body)
        assert response.status_code == 404, action
    assert client.get(f"{API}/imports/999999/rows", headers=agent).status_code == 404
    assert client.get(f"{API}/imports/999999/files", headers=agent).status_code == 404
    assert client.get(f"{API}/imports/999999/batches", headers=agent).status_code == 404


def test_the_api_needs_a_signed_in_user(client):
    assert client.get(f"{API}/imports").status_code == 401
    assert client.get(f"{API}/targets").status_code == 401


def test_the_openapi_document_stays_valid_and_documents_every_endpoint(app, client):
    spec = client.get("/api/openapi.json").json
    validate(spec)
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("dataimport_api."):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            routes |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert len(routes) == 23
    for path, method in routes:
        operation = spec["paths"][path][method]
        assert operation["summary"] and "401" in operation["responses"], (path, method)
        assert any(code.startswith("2") for code in operation["responses"]), (path, method)
    upload_body = spec["paths"][f"{API}/imports/{{import_id}}/files"]["post"]["requestBody"]
    assert "multipart/form-data" in upload_body["content"]
