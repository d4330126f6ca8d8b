"""Cases and tasks through the JSON API, with the rules' messages and the customers' view."""


from onward import db
from onward.plugins.onboarding.models import CaseTask


def test_agents_open_and_list_cases(client, agent, account):
    created = client.post("/api/v1/onboarding/cases", headers=agent, json={
        "account_id": account, "onboarding_type": "phased", "go_live_date": "2030-01-31",
        "integration": "remote_catalog"})
    assert created.status_code == 201, created.json
    body = created.json
    assert (body["state"], body["stage"], body["onboarding_type"]) == ("New", "Not started",
                                                                        "phased")
    assert body["days_remaining"] > 0
    listed = client.get(f"/api/v1/onboarding/cases?account_id={account}&sort=id",
                        headers=agent).json
    assert [c["id"] for c in listed["items"]][-1] == body["id"]


def test_state_drives_stage_and_bad_pairs_are_refused(client, agent, account, new_case):
    case_id = new_case(account)
    path = f"/api/v1/onboarding/cases/{case_id}"
    assert client.patch(path, headers=agent, json={"state": "Blocked"}).json["stage"] == "Paused"
    closed = client.patch(path, headers=agent, json={"state": "Closed", "stage": "At risk"})
    assert closed.status_code == 422
    assert closed.json["error"]["message"] == (
        "Stage 'At risk' is not allowed when the state is 'Closed'; allowed: Finished.")


def test_bad_choices_are_refused_with_their_field(client, agent, account):
    response = client.post("/api/v1/onboarding/cases", headers=agent, json={
        "account_id": account, "integration": "carrier pigeon"})
    assert response.status_code == 422
    assert "integration" in response.json["error"]["fields"]


def test_tasks_belong_to_a_case_and_take_its_account(app, client, agent, account, new_case):
    case_id = new_case(account)
    response = client.post("/api/v1/onboarding/tasks", headers=agent, json={
        "case_id": case_id, "subject": "Import locations", "task_type": "data_capture",
        "due_date": "2030-01-01"})
    assert response.status_code == 201, response.json
    task = response.json
    assert (task["account_id"], task["progress"], task["responsibility"]) == (
        account, "Not started", "provider_admin")
    refused = client.patch(f"/api/v1/onboarding/tasks/{task['id']}", headers=agent,
                           json={"progress": "At risk"})
    assert refused.status_code == 422
    assert "Progress 'At risk' is not allowed when the state is 'Open'" in (
        refused.json["error"]["message"])


def test_customers_see_only_visible_tasks_and_readable_fields(
        app, client, account, new_case, new_task, make_user, api_headers):
    contact = make_user("customer", account=account)
    manager = make_user("customer_case_manager", account=account)
    case_id = new_case(account, contact_id=contact)
    other_case = new_case(account)
    new_task(case_id, "Hidden")
    new_task(case_id, "Mine", visible_to_customer=True, contact_id=contact)
    new_task(other_case, "Colleague's", visible_to_customer=True)
    as_contact = api_headers(contact)
    cases = client.get("/api/v1/onboarding/cases", headers=as_contact).json["items"]
    assert [c["id"] for c in cases] == [case_id]
    assert "assigned_to_id" not in cases[0] and "priority" not in cases[0]
    tasks = client.get("/api/v1/onboarding/tasks", headers=as_contact).json["items"]
    assert [t["subject"] for t in tasks] == ["Mine"]
    as_manager = api_headers(manager)
    seen = client.get("/api/v1/onboarding/cases", headers=as_manager).json["meta"]["total"]
    assert seen == 3  # the automatic case, and the two opened here
    subjects = {t["subject"] for t in client.get(
        "/api/v1/onboarding/tasks", headers=as_manager).json["items"]}
    assert subjects == {"Mine", "Colleague's"}
    with app.app_context():
        hidden = db.session.query(CaseTask).filter_by(subject="Hidden").one().id
    assert client.get(f"/api/v1/onboarding/tasks/{hidden}", headers=as_manager).status_code == 404


def test_another_tenants_case_is_not_found(client, make_domain, make_account, make_user,
                                           api_headers, new_case):
    far = make_domain("far")
    case_id = new_case(make_account("Faraway", domain=far))
    near = api_headers(make_user("onboarding_agent", domain=make_domain("near")))
    assert client.get(f"/api/v1/onboarding/cases/{case_id}", headers=near).status_code == 404
