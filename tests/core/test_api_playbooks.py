"""The API of case types, playbook definitions and running playbooks."""

import copy

import pytest
from sqlalchemy import func, select

from onward.core.db import db
from onward.core.playbooks.models import PlaybookVersion

from .engine_helpers import case_fields, make_case, make_role, start_playbook, states

INSTANCES = "/api/v1/playbook-instances"


@pytest.fixture
def admin(make_user, api_headers):
    return api_headers(make_user("admin"))


@pytest.fixture
def editor(app, make_user, api_headers):
    """Staff who may read and write exemplar cases (and nothing about playbook definitions)."""
    make_role(app, "case_editor", {"exemplar_case": "rw"})
    return api_headers(make_user("case_editor"))


@pytest.fixture
def definition(exemplar):
    """A copy of the exemplar playbook to change."""
    return copy.deepcopy(exemplar.EXEMPLAR_PLAYBOOK)


def _versions(app, key="exemplar_playbook"):
    with app.app_context():
        return db.session.scalar(select(func.count()).where(PlaybookVersion.key == key))


def _error(response, status, code):
    assert response.status_code == status, response.json
    error = response.json["error"]
    assert error["code"] == code
    return error


# --- case types -------------------------------------------------------------------------


def test_staff_read_case_types_with_their_state_maps(client, make_user, api_headers):
    staff = api_headers(make_user())  # no role: any signed-in staff may read them
    listed = client.get("/api/v1/case-types", headers=staff)
    assert listed.status_code == 200
    assert listed.json["meta"] == {"page": 1, "page_size": 25, "total": 1, "pages": 1}
    case_type = listed.json["items"][0]
    assert case_type == client.get("/api/v1/case-types/exemplar_case", headers=staff).json
    assert {key: case_type[key] for key in ("key", "label", "prefix", "record_type",
                                            "initial_state", "state_field")} == {
        "key": "exemplar_case", "label": "Exemplar case", "prefix": "EXC",
        "record_type": "exemplar_case", "initial_state": "New", "state_field": "state"}
    assert case_type["states"] == ["New", "Active", "Blocked", "Closed", "Canceled"]
    (stage,) = case_type["maps"]
    assert stage["field"] == "stage"
    assert stage["defaults"]["Active"] == "On track"
    assert stage["alternatives"] == ["At risk"]
    assert stage["alternatives_not_in"] == ["Closed", "Canceled"]
    assert stage["allowed"]["Active"] == ["On track", "At risk"]
    assert stage["allowed"]["Closed"] == ["Finished"]


def test_case_type_list_arguments_and_errors(client, make_user, api_headers, make_account):
    staff = api_headers(make_user())
    assert client.get("/api/v1/case-types?q=EXEMPLAR", headers=staff).json["meta"]["total"] == 1
    assert client.get("/api/v1/case-types?q=nothing", headers=staff).json["items"] == []
    assert client.get("/api/v1/case-types?sort=-label", headers=staff).status_code == 200
    error = _error(client.get("/api/v1/case-types?sort=states", headers=staff), 422,
                   "validation_failed")
    assert "sort" in error["fields"]
    error = _error(client.get("/api/v1/case-types/nothing", headers=staff), 404, "not_found")
    assert error["message"] == "No case type 'nothing'."
    customer = api_headers(make_user(account=make_account()))
    error = _error(client.get("/api/v1/case-types", headers=customer), 403, "forbidden")
    assert error["message"] == "Case types are for staff."
    assert client.get("/api/v1/case-types").status_code == 401


# --- definitions ------------------------------------------------------------------------


def test_list_and_read_playbooks_by_version(client, admin, definition):
    listed = client.get("/api/v1/playbooks", headers=admin).json
    assert [(item["key"], item["version"], item["versions"], item["source"])
            for item in listed["items"]] == [("exemplar_playbook", 1, 1, "plugin:exemplar")]

    definition["label"] = "Exemplar playbook, revised"
    stored = client.post("/api/v1/playbooks", headers=admin, json=definition)
    assert stored.status_code == 201, stored.json
    assert (stored.json["version"], stored.json["created"], stored.json["source"]) == (
        2, True, "admin")
    assert stored.json["data"] == definition

    again = client.post("/api/v1/playbooks", headers=admin, json=definition)
    assert again.status_code == 200
    assert (again.json["version"], again.json["created"]) == (2, False)

    listed = client.get("/api/v1/playbooks", headers=admin).json["items"]
    assert [(item["version"], item["versions"], item["label"]) for item in listed] == [
        (2, 2, "Exemplar playbook, revised")]
    newest = client.get("/api/v1/playbooks/exemplar_playbook", headers=admin).json
    assert (newest["version"], newest["data"]["label"]) == (2, "Exemplar playbook, revised")
    first = client.get("/api/v1/playbooks/exemplar_playbook?version=1", headers=admin).json
    assert (first["version"], first["label"]) == (1, "Exemplar playbook")
    assert [stage["key"] for stage in first["data"]["stages"]] == ["setup", "build", "finish"]


def test_unknown_playbooks_and_versions(client, admin):
    error = _error(client.get("/api/v1/playbooks/nothing", headers=admin), 404, "not_found")
    assert error["message"] == "No playbook 'nothing'."
    error = _error(client.get("/api/v1/playbooks/exemplar_playbook?version=7", headers=admin),
                   404, "not_found")
    assert error["message"] == "No playbook 'exemplar_playbook' version 7."
    error = _error(client.get("/api/v1/playbooks/exemplar_playbook?version=new",
                              headers=admin), 422, "validation_failed")
    assert "version" in error["fields"]
    error = _error(client.get("/api/v1/playbooks?colour=red", headers=admin), 422,
                   "validation_failed")
    assert "colour" in error["fields"]


def test_an_invalid_definition_is_refused_by_json_path(app, client, admin, definition):
    activities = definition["stages"][0]["activities"]
    activities[1]["definition"] = "exemplar_missing"
    activities[0]["depends_on"] = ["triage"]
    for path in ("/api/v1/playbooks", "/api/v1/playbooks/validate"):
        error = _error(client.post(path, headers=admin, json=definition), 422,
                       "validation_failed")
        assert error["fields"] == {
            "$.stages[0].activities[0].depends_on[0]": [
                "'describe' may depend only on an activity before it; 'triage' is not."],
            "$.stages[0].activities[1].definition": [
                "No activity definition 'exemplar_missing' is installed."],
        }
        assert error["message"].startswith("The playbook definition has 2 problems: ")
    del definition["label"]
    error = _error(client.post("/api/v1/playbooks", headers=admin, json=definition), 422,
                   "validation_failed")
    assert "$.label" in error["fields"]
    error = _error(client.post("/api/v1/playbooks", headers=admin, json=["not", "an object"]),
                   422, "validation_failed")
    assert _versions(app) == 1


def test_validate_a_good_definition_stores_nothing(app, client, admin, definition):
    definition["key"] = "another_playbook"
    response = client.post("/api/v1/playbooks/validate", headers=admin, json=definition)
    assert (response.status_code, response.json) == (200, {"valid": True})
    assert _versions(app, "another_playbook") == 0


def test_playbook_definitions_need_rights(app, client, make_user, api_headers, definition):
    nobody = api_headers(make_user())
    for response in (client.get("/api/v1/playbooks", headers=nobody),
                     client.get("/api/v1/playbooks/exemplar_playbook", headers=nobody),
                     client.post("/api/v1/playbooks/validate", headers=nobody, json=definition)):
        _error(response, 403, "forbidden")
    make_role(app, "playbook_reader", {"core_playbook_version": "r"})
    reader = api_headers(make_user("playbook_reader"))
    assert client.get("/api/v1/playbooks", headers=reader).json["meta"]["total"] == 1
    assert client.post("/api/v1/playbooks/validate", headers=reader,
                       json=definition).status_code == 200
    definition["label"] = "Changed"
    _error(client.post("/api/v1/playbooks", headers=reader, json=definition), 403, "forbidden")
    assert _versions(app) == 1


# --- running playbooks ------------------------------------------------------------------


def _act(client, headers, instance, key, action, data=None):
    path = f"{INSTANCES}/{instance}/activities/{key}/{action}"
    return client.post(path, headers=headers, json=None if data is None else {"input": data})


def test_walk_the_exemplar_playbook_from_first_to_last_activity(
        app, client, editor, exemplar, make_account):
    case = make_case(app, exemplar, make_account())
    started = client.post(INSTANCES, headers=editor, json={
        "record_type": "exemplar_case", "record_id": case, "playbook": "exemplar_playbook"})
    assert started.status_code == 201, started.json
    instance = started.json
    assert (instance["playbook"], instance["version"], instance["status"],
            instance["current_stage"]) == ("exemplar_playbook", 1, "active", "setup")
    assert states(instance) == {"describe": "in_progress", "triage": "pending",
                                "integrate": "pending", "document": "pending",
                                "review": "pending", "wrap_up": "pending"}
    describe = instance["activities"][0]
    assert describe["input_schema"]["required"] == ["short_description"]
    assert (describe["stage"], describe["optional"], describe["started_at"] is not None) == (
        "setup", False, True)
    assert instance["activities"][1]["responsibility"] == "exemplar_editor"
    assert instance["activities"][5]["optional"] is True
    number = instance["id"]

    saved = _act(client, editor, number, "describe", "save", {"integration": "not_required"})
    assert saved.status_code == 200, saved.json
    assert saved.json["activities"][0]["input"] == {"integration": "not_required"}
    assert states(saved.json)["describe"] == "in_progress"

    done = _act(client, editor, number, "describe", "complete",
                {"short_description": "New office"}).json
    assert done["activities"][0]["input"] == {"integration": "not_required",
                                              "short_description": "New office"}
    assert states(done)["triage"] == "in_progress"

    # the condition skips integrate; document starts with it, review waits for document
    done = _act(client, editor, number, "triage", "complete", {"priority": 2}).json
    assert done["current_stage"] == "build"
    assert {key: states(done)[key] for key in ("integrate", "document", "review")} == {
        "integrate": "skipped", "document": "in_progress", "review": "pending"}
    assert done["activities"][2]["skip_reason"] == "condition"
    assert case_fields(app, exemplar, case) == {
        "short_description": "New office", "integration": "not_required", "priority": 2}

    done = _act(client, editor, number, "document", "complete", {"note": "Written"}).json
    assert states(done)["review"] == "in_progress"
    done = _act(client, editor, number, "review", "complete").json
    assert (done["current_stage"], states(done)["wrap_up"]) == ("finish", "in_progress")

    done = _act(client, editor, number, "wrap_up", "skip").json
    assert (done["status"], done["current_stage"]) == ("complete", None)
    assert done["completed_at"]
    assert (states(done)["wrap_up"], done["activities"][5]["skip_reason"]) == (
        "skipped", "by hand")

    read = client.get(f"{INSTANCES}/{number}", headers=editor).json
    assert read == done
    actions = [entry["action"] for entry in read["log"]]
    assert actions[:3] == ["started", "stage.started", "activity.started"]
    assert actions[-1] == "completed"
    assert actions.count("activity.completed") == 4
    assert actions.count("activity.skipped") == 2
    saved_entry = next(entry for entry in read["log"] if entry["action"] == "activity.saved")
    assert (saved_entry["activity"], saved_entry["data"]) == (
        "describe", {"integration": "not_required"})
    assert saved_entry["actor_id"] is not None

    listed = client.get(f"{INSTANCES}?record_type=exemplar_case&record_id={case}",
                        headers=editor).json
    assert [(item["id"], item["status"]) for item in listed["items"]] == [(number, "complete")]
    assert "activities" not in listed["items"][0]


@pytest.fixture
def running(app, exemplar, make_account):
    """A case (id) and its running exemplar playbook (instance id)."""
    case = make_case(app, exemplar, make_account())
    return case, start_playbook(app, exemplar, case)


def test_activity_steps_are_refused_with_the_engines_messages(app, client, editor, exemplar,
                                                            running):
    case, instance = running
    error = _error(_act(client, editor, instance, "describe", "complete",
                        {"short_description": "ab", "colour": "red"}), 422, "validation_failed")
    assert set(error["fields"]) == {"short_description", ""}
    assert error["fields"]["short_description"] == ["'ab' is too short"]
    error = _error(_act(client, editor, instance, "describe", "skip"), 422, "rule_violation")
    assert error["message"] == "'Describe' is not optional; complete it instead."
    error = _error(_act(client, editor, instance, "triage", "save", {"priority": 1}), 422,
                   "rule_violation")
    assert error["message"] == "'Triage' is pending; only an activity in progress can be saved."
    error = _error(_act(client, editor, instance, "nothing", "complete"), 404, "not_found")
    assert error["message"] == "Playbook 'exemplar_playbook' has no activity 'nothing'."
    _error(_act(client, editor, instance + 100, "describe", "complete"), 404, "not_found")
    error = _error(client.post(f"{INSTANCES}/{instance}/activities/describe/save",
                               headers=editor, json={"input": "text"}), 422, "validation_failed")
    assert "input" in error["fields"]

    assert _act(client, editor, instance, "describe", "complete",
                {"short_description": "Office"}).status_code == 200
    error = _error(_act(client, editor, instance, "describe", "complete",
                        {"short_description": "Office"}), 422, "rule_violation")
    assert error["message"] == ("'Describe' is complete; only an activity in progress can be "
                                "completed.")

    error = _error(_act(client, editor, instance, "triage", "complete", {"priority": 9}), 422,
                   "rule_violation")
    assert error["message"] == "Priority must be between 1 and 5."
    assert case_fields(app, exemplar, case)["priority"] == 3
    read = client.get(f"{INSTANCES}/{instance}", headers=editor).json
    assert states(read)["triage"] == "in_progress"
    assert read["activities"][1]["input"] == {}


def test_starting_needs_a_record_and_a_playbook(app, client, editor, exemplar, make_account):
    case = make_case(app, exemplar, make_account())
    body = {"record_type": "exemplar_case", "record_id": case, "playbook": "exemplar_playbook"}
    for change, field, message in (
        ({"record_type": "nothing"}, "record_type", "Invalid record_type. No record type "
                                                    "'nothing'."),
        ({"record_id": case + 100}, "record_id", f"Invalid record_id. No such record: "
                                                 f"{case + 100}."),
        ({"playbook": "nothing"}, "playbook", "Invalid playbook. No playbook 'nothing'."),
    ):
        error = _error(client.post(INSTANCES, headers=editor, json={**body, **change}), 422,
                       "validation_failed")
        assert (list(error["fields"]), error["message"]) == ([field], message)
    error = _error(client.post(INSTANCES, headers=editor, json={"record_id": case}), 422,
                   "validation_failed")
    assert set(error["fields"]) == {"record_type", "playbook"}

    error = _error(client.get(INSTANCES, headers=editor), 422, "validation_failed")
    assert set(error["fields"]) == {"record_type", "record_id"}
    _error(client.get(f"{INSTANCES}?record_type=nothing&record_id=1", headers=editor), 404,
           "not_found")
    listed = client.get(f"{INSTANCES}?record_type=exemplar_case&record_id={case}",
                        headers=editor).json
    assert listed["items"] == []


def test_another_domains_case_is_not_found(app, client, exemplar, make_domain, make_account,
                                           make_user, api_headers):
    make_role(app, "case_editor", {"exemplar_case": "rw"})
    case = make_case(app, exemplar, make_account(domain=make_domain("tenant-a")))
    instance = start_playbook(app, exemplar, case)
    other = api_headers(make_user("case_editor", domain=make_domain("tenant-b")))
    _error(client.get(f"{INSTANCES}/{instance}", headers=other), 404, "not_found")
    _error(client.get(f"{INSTANCES}?record_type=exemplar_case&record_id={case}", headers=other),
           404, "not_found")
    _error(_act(client, other, instance, "describe", "complete", {"short_description": "Hi"}),
           404, "not_found")
    error = _error(client.post(INSTANCES, headers=other, json={
        "record_type": "exemplar_case", "record_id": case, "playbook": "exemplar_playbook"}),
        422, "validation_failed")
    assert list(error["fields"]) == ["record_id"]


def test_a_read_only_user_reads_but_cannot_work_the_playbook(app, client, exemplar, running,
                                                             make_user, api_headers):
    case, instance = running
    make_role(app, "case_reader", {"exemplar_case": "r"})
    reader = api_headers(make_user("case_reader"))
    assert states(client.get(f"{INSTANCES}/{instance}", headers=reader).json)["describe"] == (
        "in_progress")
    _error(_act(client, reader, instance, "describe", "complete", {"short_description": "Hi!"}),
           403, "forbidden")
    _error(client.post(INSTANCES, headers=reader, json={
        "record_type": "exemplar_case", "record_id": case, "playbook": "exemplar_playbook"}),
        403, "forbidden")
    nobody = api_headers(make_user())
    _error(client.get(f"{INSTANCES}/{instance}", headers=nobody), 403, "forbidden")


def test_customers_see_only_their_accounts_playbooks_and_only_ids(
        app, client, exemplar, make_account, make_user, api_headers):
    make_role(app, "case_customer", {"exemplar_case": "r"}, external=True)
    account = make_account()
    case = make_case(app, exemplar, account)
    instance = start_playbook(app, exemplar, case)
    customer = api_headers(make_user("case_customer", account=account))
    assert client.get(f"{INSTANCES}/{instance}", headers=customer).json == {"id": instance}
    listed = client.get(f"{INSTANCES}?record_type=exemplar_case&record_id={case}",
                        headers=customer).json
    assert listed["items"] == [{"id": instance}]
    _error(_act(client, customer, instance, "describe", "complete",
                {"short_description": "Hello"}), 403, "forbidden")
    stranger = api_headers(make_user("case_customer", account=make_account()))
    _error(client.get(f"{INSTANCES}/{instance}", headers=stranger), 404, "not_found")
