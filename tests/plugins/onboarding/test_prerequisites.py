"""Task prerequisites: a blocked task cannot be closed and unblocks when they close."""

import pytest
from sqlalchemy import select

from onward import db
from onward.core.events import EventRecord
from onward.plugins.onboarding.models import CaseTask

pytestmark = pytest.mark.onward_config(ONBOARDING_AUTO_CASE=False)
TASKS = "/api/v1/onboarding/tasks"


@pytest.fixture
def case(new_case, account):
    return new_case(account)


@pytest.fixture
def owner(make_user):
    """Who the blocked task is assigned to."""
    return make_user("onboarding_agent", email="next@provider.example")


def _number(app, task_id):
    with app.app_context():
        return db.session.get(CaseTask, task_id).number


def _unblocked(app):
    with app.app_context():
        return [(e.record_id, e.data) for e in db.session.scalars(
            select(EventRecord).where(EventRecord.name == "onboarding.task_unblocked"))]


def _close(client, agent, task_id):
    return client.patch(f"{TASKS}/{task_id}", headers=agent, json={"state": "Closed"})


def test_a_blocked_task_cannot_be_closed_until_its_prerequisites_are(
        app, client, agent, case, new_task, owner):
    first, second = new_task(case, "Import contacts"), new_task(case, "Import locations")
    created = client.post(TASKS, headers=agent, json={
        "case_id": case, "subject": "Publish", "assigned_to_id": owner,
        "prerequisite_ids": [first, second]})
    assert created.status_code == 201, created.json
    blocked = created.json["id"]
    assert created.json["prerequisite_ids"] == [first, second]
    assert client.get(f"{TASKS}/{blocked}", headers=agent).json["prerequisite_ids"] == [
        first, second]

    refused = _close(client, agent, blocked)
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "rule_violation"
    assert refused.json["error"]["message"] == (
        f"{_number(app, blocked)} is blocked by {_number(app, first)}, "
        f"{_number(app, second)}; close them first.")
    assert client.get(f"{TASKS}/{blocked}", headers=agent).json["state"] == "Open"

    assert _close(client, agent, first).status_code == 200
    assert _unblocked(app) == []
    assert "blocked by " + _number(app, second) + ";" in _close(
        client, agent, blocked).json["error"]["message"]
    # canceling counts as done: the last prerequisite is out of the way
    assert client.patch(f"{TASKS}/{second}", headers=agent,
                        json={"state": "Canceled"}).status_code == 200
    assert _unblocked(app) == [(blocked, {"assigned_to_id": owner,
                                          "number": _number(app, blocked),
                                          "unblocked_by": _number(app, second)})]
    assert _close(client, agent, blocked).json["state"] == "Closed"


def test_prerequisites_are_changed_and_cleared_through_the_api(
        client, agent, case, new_task):
    first, second, task = (new_task(case, s) for s in ("One", "Two", "Three"))
    path = f"{TASKS}/{task}"
    assert client.patch(path, headers=agent, json={"prerequisite_ids": [second, first]}
                        ).json["prerequisite_ids"] == [first, second]
    assert client.patch(path, headers=agent, json={"prerequisite_ids": []}
                        ).json["prerequisite_ids"] == []
    assert _close(client, agent, task).status_code == 200


def test_bad_prerequisites_are_refused_by_field(app, client, agent, account, case, new_case,
                                                 new_task):
    first, task = new_task(case, "One"), new_task(case, "Two")
    elsewhere = new_task(new_case(account), "Other case")
    assert client.patch(f"{TASKS}/{task}", headers=agent,
                        json={"prerequisite_ids": [first]}).status_code == 200
    for ids, message in (
            ([task], f"{_number(app, task)} cannot be its own prerequisite."),
            ([elsewhere], f"{_number(app, elsewhere)} is a task of another case."),
            ([999999], "Invalid prerequisite_ids. No such record: 999999."),
    ):
        response = client.patch(f"{TASKS}/{task}", headers=agent, json={"prerequisite_ids": ids})
        assert response.status_code == 422, ids
        assert response.json["error"]["message"] == message
        assert "prerequisite_ids" in response.json["error"]["fields"]
    circle = client.patch(f"{TASKS}/{first}", headers=agent, json={"prerequisite_ids": [task]})
    assert circle.status_code == 422 and "circle" in circle.json["error"]["message"]
    # nothing was lost
    assert client.get(f"{TASKS}/{task}", headers=agent).json["prerequisite_ids"] == [first]
    assert client.get(f"{TASKS}/{first}", headers=agent).json["prerequisite_ids"] == []


def test_another_tenants_task_is_no_prerequisite(client, new_task, new_case, make_domain,
                                                 make_account, make_user, api_headers):
    ours, theirs = make_domain("ours"), make_domain("theirs")
    foreign = new_task(new_case(make_account("Elsewhere", domain=theirs)), "X")
    task = new_task(new_case(make_account("Ours", domain=ours)), "Mine")
    agent = api_headers(make_user("onboarding_agent", domain=ours))
    response = client.patch(f"{TASKS}/{task}", headers=agent,
                            json={"prerequisite_ids": [foreign]})
    assert response.status_code == 422
    assert response.json["error"]["message"] == (
        f"Invalid prerequisite_ids. No such record: {foreign}.")


def test_readers_cannot_change_prerequisites(app, client, case, new_task, make_user,
                                             api_headers):
    from onward import SYSTEM, acting_as
    from onward.core.roles import save_role

    with app.app_context(), acting_as(SYSTEM):
        save_role(None, name="task_reader", rights={"onboarding_task": "r",
                                                    "onboarding_case": "r"})
        db.session.commit()
    reader = api_headers(make_user("task_reader"))
    first, task = new_task(case, "One"), new_task(case, "Two")
    response = client.patch(f"{TASKS}/{task}", headers=reader,
                            json={"prerequisite_ids": [first]})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(CaseTask, task).prerequisite_ids == []


def test_the_task_page_shows_what_blocks_it_and_refuses_closing(app, client, login_as, case,
                                                                new_task):
    login_as("onboarding_agent")
    first = new_task(case, "Import contacts")
    task = new_task(case, "Publish", prerequisite_ids=[first])
    page = client.get(f"/onboarding/tasks/{task}").get_data(as_text=True)
    assert 'aria-label="Prerequisites"' in page and "Blocked" in page
    assert _number(app, first) in page and "Import contacts" in page
    response = client.post(f"/onboarding/tasks/{task}", data={
        "state": "Closed", "progress": "Finished", "close_notes": "done"})
    assert response.status_code == 422
    assert f'<p class="field-error">Blocked by {_number(app, first)}.</p>' in response.text
    with app.app_context():
        assert db.session.get(CaseTask, task).state == "Open"
    assert client.get(f"/onboarding/tasks/{first}").text.count("Prerequisites") == 0
