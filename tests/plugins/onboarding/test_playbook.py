"""The account onboarding playbook: its activities through the engine and the API."""

import datetime as dt

import pytest
from sqlalchemy import select

from onward import SYSTEM, RuleViolation, ValidationFailed, acting_as, db, playbooks
from onward.core.events import EventRecord
from onward.plugins.onboarding import cases, teams
from onward.plugins.onboarding.activities import add_working_days
from onward.plugins.onboarding.models import CaseTask, OnboardingCase

GO_LIVE = "2031-03-14"
DATA_CAPTURE = ["import_contacts", "import_locations", "import_service_entitlements",
                "import_install_base_items", "import_account_address_relationships",
                "import_contracts", "import_sold_products", "import_install_base_sold_products"]
SERVICE_EXCHANGE = {"install_service_exchange", "consumer_registration"}


@pytest.fixture
def staff(make_user):
    """Internal users by responsibility: the account team to be."""
    return {name: make_user("onboarding_agent", email=f"{name}@provider.example")
            for name in ("admin", "developer", "manager", "both")}


def _instance(case_id):
    return playbooks.instances_for(db.session.get(OnboardingCase, case_id))[0]


def _states(app, case_id):
    with app.app_context():
        return {a.key: a.state for a in _instance(case_id).activities}


def _events(app, name):
    with app.app_context():
        return [e.data for e in db.session.scalars(
            select(EventRecord).where(EventRecord.name == name).order_by(EventRecord.id))]


def _complete(app, case_id, key, data=None):
    """Complete activity ``key`` through the engine, as the system, and commit."""
    with app.app_context(), acting_as(SYSTEM):
        instance = _instance(case_id)
        try:
            playbooks.complete(instance, playbooks.get_activity(instance, key), data or {})
        except Exception:
            db.session.rollback()
            raise
        db.session.commit()


def _inputs(account, staff, integration="not_required"):
    """Valid input for every activity of Initial setup, in order."""
    return [
        ("select_account", {"account_id": account}),
        ("onboarding_info", {"assigned_to_id": staff["manager"], "integration": integration,
                             "onboarding_type": "full", "go_live_date": GO_LIVE}),
        ("customer_team", {"contacts": [
            {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@genixify.example"},
            {"first_name": "Bo", "last_name": "Chen", "email": "bo@genixify.example"},
            {"first_name": "Cy", "last_name": "Diaz", "email": "cy@genixify.example"}]}),
        ("customer_responsibilities", {"assignments": [
            {"email": "ada@genixify.example", "responsibility": "point_of_contact"},
            {"email": "bo@genixify.example", "responsibility": "key_team_member"},
            {"email": "cy@genixify.example", "responsibility": "data_sme"}]}),
        ("account_team", {"members": [
            {"user_id": staff["admin"], "responsibilities": ["provider_admin"]},
            {"user_id": staff["developer"], "responsibilities": ["developer"]},
            {"user_id": staff["both"], "responsibilities": ["onboarding_manager", "trainer"]}]}),
        ("squad", {"user_ids": [staff["manager"]]}),
        ("engagement", {"csm_id": staff["manager"], "renewal_date": "2032-01-01"}),
    ]


def _initial_setup(app, case_id, account, staff, integration="not_required"):
    for key, data in _inputs(account, staff, integration):
        _complete(app, case_id, key, data)


def _close_open_tasks(app, case_id):
    """Close every open task of the case (their activities complete by themselves)."""
    with app.app_context(), acting_as(SYSTEM):
        for task in db.session.scalars(select(CaseTask).where(
                CaseTask.case_id == case_id, CaseTask.state != "Closed")):
            cases.update_task(task, {"state": "Closed"})
        db.session.commit()


# --- the definition ---------------------------------------------------------------------


def test_the_playbook_has_the_seeds_five_stages(app):
    with app.app_context():
        version = playbooks.definitions.latest("account_onboarding")
        assert [s["label"] for s in version.stages()] == [
            "Initial setup", "Data capture & validation", "Development & automation",
            "Testing & training", "Go-live & post support"]
        initial, data_capture = version.stages()[:2]
        assert [a["label"] for a in initial["activities"]] == [
            "Select account", "Enter onboarding related info", "Add customer team",
            "Add customer team responsibilities", "Add account team", "Add squad",
            "Create engagement"]
        assert [a["key"] for a in data_capture["activities"]] == DATA_CAPTURE


def test_a_new_case_starts_the_playbook_with_its_account_filled_in(app, case_id, account):
    with app.app_context():
        instance = _instance(case_id)
        select_account = playbooks.get_activity(instance, "select_account")
        assert (instance.current_stage, select_account.state) == ("initial_setup",
                                                                   "in_progress")
        assert select_account.input == {"account_id": account}


def test_another_account_is_refused(app, case_id, make_account):
    with pytest.raises(RuleViolation, match="This case is for Genixify"):
        _complete(app, case_id, "select_account", {"account_id": make_account("Other")})


# --- Initial setup through the engine ---------------------------------------------------


def test_initial_setup_fills_the_case_and_its_teams(app, case_id, account, staff):
    _initial_setup(app, case_id, account, staff)
    with app.app_context():
        case = db.session.get(OnboardingCase, case_id)
        assert (case.assigned_to_id, case.integration, case.go_live_date) == (
            staff["manager"], "not_required", dt.date.fromisoformat(GO_LIVE))
        customers = {m.user.email: (m.responsibilities, sorted(r.name for r in m.user.roles))
                     for m in teams.members(case, "customer")}
        assert customers == {
            "ada@genixify.example": (["point_of_contact"], ["customer", "customer_admin"]),
            "bo@genixify.example": (["key_team_member"], ["customer", "customer_case_manager"]),
            "cy@genixify.example": (["data_sme"], ["customer"])}
        assert [m.user_id for m in teams.members(case, "squad")] == [staff["manager"]]
        assert _instance(case_id).current_stage == "data_capture"


def test_responsibilities_need_a_point_of_contact(app, case_id, account, staff):
    inputs = _inputs(account, staff)
    for key, data in inputs[:3]:
        _complete(app, case_id, key, data)
    no_contact = {"assignments": [
        {"email": e, "responsibility": "data_sme"}
        for e in ("ada@genixify.example", "bo@genixify.example", "cy@genixify.example")]}
    with pytest.raises(RuleViolation, match="At least one contact must be the Customer "
                                            "onboarding point of contact"):
        _complete(app, case_id, "customer_responsibilities", no_contact)
    assert _states(app, case_id)["customer_responsibilities"] == "in_progress"
    assert _events(app, "onboarding.point_of_contact_email") == []


@pytest.mark.parametrize(("assignments", "message"), [
    ([("ada", "point_of_contact"), ("ada", "data_sme"), ("bo", "data_sme"),
      ("cy", "data_sme")], "more than one responsibility"),
    ([("ada", "point_of_contact"), ("bo", "data_sme")], "cy@genixify.example has no "),
    ([("ada", "point_of_contact"), ("bo", "data_sme"), ("cy", "data_sme"),
      ("zed", "data_sme")], "zed@genixify.example is not on the customer team"),
])
def test_exactly_one_responsibility_per_contact(app, case_id, account, staff, assignments,
                                                message):
    for key, data in _inputs(account, staff)[:3]:
        _complete(app, case_id, key, data)
    data = {"assignments": [{"email": f"{who}@genixify.example", "responsibility": what}
                            for who, what in assignments]}
    with pytest.raises(ValidationFailed, match=message):
        _complete(app, case_id, "customer_responsibilities", data)


def test_completing_the_teams_emits_the_emails(app, case_id, account, staff):
    _initial_setup(app, case_id, account, staff)
    (to_contact,) = _events(app, "onboarding.point_of_contact_email")
    assert [r["email"] for r in to_contact["recipients"]] == ["ada@genixify.example"]
    assert to_contact["subject"] == "You are the onboarding point of contact"
    assert to_contact["activity"] == "customer_responsibilities"
    (to_key,) = _events(app, "onboarding.key_team_members_email")
    assert [r["email"] for r in to_key["recipients"]] == ["bo@genixify.example"]
    (to_others,) = _events(app, "onboarding.account_team_email")
    assert [r["email"] for r in to_others["recipients"]] == ["cy@genixify.example"]
    assert to_others["subject"] == "Your onboarding team is ready"
    (engagement,) = _events(app, "onboarding.engagement_requested")
    assert (engagement["csm_id"], engagement["renewal_date"], engagement["account_id"]) == (
        staff["manager"], "2032-01-01", account)


def test_engagement_and_squad_are_optional(app, case_id, account, staff):
    for key, data in _inputs(account, staff)[:5]:
        _complete(app, case_id, key, data)
    with app.app_context(), acting_as(SYSTEM):
        instance = _instance(case_id)
        for key in ("squad", "engagement"):
            playbooks.skip(instance, playbooks.get_activity(instance, key))
        db.session.commit()
    assert _states(app, case_id)["engagement"] == "skipped"
    assert _events(app, "onboarding.engagement_requested") == []


# --- task activities ----------------------------------------------------------------------


def test_data_capture_tasks_start_together_with_due_dates_in_working_days(
        app, case_id, account, staff):
    _initial_setup(app, case_id, account, staff)
    states = _states(app, case_id)
    assert {states[key] for key in DATA_CAPTURE} == {"in_progress"}
    with app.app_context():
        case = db.session.get(OnboardingCase, case_id)
        tasks = db.session.scalars(select(CaseTask).where(CaseTask.case_id == case_id)
                                   .order_by(CaseTask.id)).all()
        assert [t.subject for t in tasks][:2] == ["Import customer contacts", "Import locations"]
        assert len(tasks) == len(DATA_CAPTURE)
        due = add_working_days(case.created_at.date(), 10)
        assert {(t.task_type, t.responsibility, t.assigned_to_id, t.due_date)
                for t in tasks} == {("data_capture", "developer", staff["developer"], due)}
        assert due.weekday() < 5 and (due - case.created_at.date()).days >= 14


def test_a_task_activity_completes_only_once_its_task_is_closed(app, case_id, account, staff):
    _initial_setup(app, case_id, account, staff)
    with pytest.raises(RuleViolation, match=r"Close the task ALETSK\d+ first"):
        _complete(app, case_id, "import_contacts")
    with app.app_context(), acting_as(SYSTEM):
        activity = playbooks.get_activity(_instance(case_id), "import_contacts")
        cases.update_task(db.session.get(CaseTask, activity.input["task_id"]),
                          {"state": "Closed"})
        db.session.commit()
    states = _states(app, case_id)
    assert states["import_contacts"] == "complete"
    assert states["import_locations"] == "in_progress"


def test_service_exchange_activities_are_skipped_without_an_integration(
        app, case_id, account, staff):
    _initial_setup(app, case_id, account, staff)
    _close_open_tasks(app, case_id)
    states = _states(app, case_id)
    assert {states[key] for key in SERVICE_EXCHANGE} == {"skipped"}
    assert states["account_relationships"] == "in_progress"


def test_service_exchange_activities_run_with_an_integration(app, case_id, account, staff):
    _initial_setup(app, case_id, account, staff, integration="remote_catalog")
    _close_open_tasks(app, case_id)
    states = _states(app, case_id)
    assert (states["install_service_exchange"], states["consumer_registration"]) == (
        "in_progress", "pending")
    with app.app_context():
        task = db.session.scalar(select(CaseTask).where(
            CaseTask.subject == "Install the Service Exchange integration for the consumer"))
        # from the go-live date, 15 working days back; the administrator's task
        assert task.due_date == add_working_days(dt.date.fromisoformat(GO_LIVE), -15)
        assert task.assigned_to_id == staff["admin"]


def test_moving_go_live_moves_the_due_dates_that_hang_on_it(app, case_id, account, staff):
    _initial_setup(app, case_id, account, staff, integration="remote_task")
    _close_open_tasks(app, case_id)
    later = dt.date.fromisoformat(GO_LIVE) + dt.timedelta(days=28)
    with app.app_context(), acting_as(SYSTEM):
        cases.update_case(db.session.get(OnboardingCase, case_id), {"go_live_date": later})
        db.session.commit()
    with app.app_context():
        due = dict(db.session.execute(select(CaseTask.subject, CaseTask.due_date).where(
            CaseTask.case_id == case_id)).all())
        assert due["Install the Service Exchange integration for the consumer"] == (
            add_working_days(later, -15))
        # from the case's start: unchanged
        start = db.session.get(OnboardingCase, case_id).created_at.date()
        assert due["Setup account relationships"] == add_working_days(start, 20)


def test_the_playbook_runs_to_the_end(app, case_id, account, staff):
    _initial_setup(app, case_id, account, staff)
    for _stage in range(6):
        _close_open_tasks(app, case_id)
    with app.app_context():
        assert _instance(case_id).status == "complete"


@pytest.mark.parametrize(("day", "count", "expected"), [
    ("2026-11-27", 1, "2026-11-30"),  # Friday + 1 → Monday
    ("2026-11-30", -1, "2026-11-27"),  # Monday - 1 → Friday
    ("2026-11-23", 10, "2026-12-07"),
    ("2026-11-28", 0, "2026-11-28"),
])
def test_working_days(day, count, expected):
    assert add_working_days(dt.date.fromisoformat(day), count) == dt.date.fromisoformat(
        expected)


# --- through the API ----------------------------------------------------------------------


def _api_complete(client, headers, instance_id, key, data):
    return client.post(f"/api/v1/playbook-instances/{instance_id}/activities/{key}/complete",
                       headers=headers, json={"input": data})


def test_initial_setup_through_the_api(app, client, agent, case_id, account, staff):
    with app.app_context():
        instance_id = _instance(case_id).id
    inputs = dict(_inputs(account, staff))
    for key in ("select_account", "onboarding_info", "customer_team"):
        response = _api_complete(client, agent, instance_id, key, inputs[key])
        assert response.status_code == 200, response.json
    refused = _api_complete(client, agent, instance_id, "customer_responsibilities", {
        "assignments": [{"email": "ada@genixify.example", "responsibility": "data_sme"},
                        {"email": "bo@genixify.example", "responsibility": "data_sme"},
                        {"email": "cy@genixify.example", "responsibility": "data_sme"}]})
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "rule_violation"
    assert "point of contact" in refused.json["error"]["message"]
    assert _api_complete(client, agent, instance_id, "customer_responsibilities",
                         inputs["customer_responsibilities"]).status_code == 200
    three = _api_complete(client, agent, instance_id, "account_team", {"members": [
        {"user_id": staff["both"], "responsibilities": ["provider_admin", "developer",
                                                        "trainer"]}]})
    assert three.status_code == 422
    assert three.json["error"]["code"] == "validation_failed"
    assert _api_complete(client, agent, instance_id, "account_team",
                         inputs["account_team"]).status_code == 200
    body = client.post(f"/api/v1/playbook-instances/{instance_id}/activities/squad/skip",
                       headers=agent).json
    assert {a["key"]: a["state"] for a in body["activities"]}["engagement"] == "in_progress"
    done = _api_complete(client, agent, instance_id, "engagement", {}).json
    assert done["current_stage"] == "data_capture"


def test_a_task_activity_through_the_api(app, client, agent, case_id, account, staff):
    _initial_setup(app, case_id, account, staff)
    with app.app_context():
        instance = _instance(case_id)
        instance_id, task_id = instance.id, playbooks.get_activity(
            instance, "import_contacts").input["task_id"]
    refused = _api_complete(client, agent, instance_id, "import_contacts", {})
    assert refused.status_code == 422
    assert refused.json["error"]["message"].startswith("Close the task ALETSK")
    closed = client.patch(f"/api/v1/onboarding/tasks/{task_id}", headers=agent,
                          json={"state": "Closed"})
    assert closed.status_code == 200, closed.json
    body = client.get(f"/api/v1/playbook-instances/{instance_id}", headers=agent).json
    assert {a["key"]: a["state"] for a in body["activities"]}["import_contacts"] == "complete"


def test_customers_cannot_work_the_playbook(app, client, case_id, account, make_user,
                                            api_headers):
    customer = api_headers(make_user("customer_case_manager", account=account))
    with app.app_context():
        instance_id = _instance(case_id).id
    response = _api_complete(client, customer, instance_id, "select_account",
                             {"account_id": account})
    assert response.status_code == 403
