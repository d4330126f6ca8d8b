"""A task's journal: additional comments reach customers, work notes never do; in the API,
the agent's task page and the portal's task page."""

import pytest
from csp_check import assert_csp_safe

from onward import db
from onward.core.models import JournalEntry

pytestmark = pytest.mark.onward_config(ONBOARDING_AUTO_CASE=False)
TASKS = "/api/v1/onboarding/tasks"


@pytest.fixture
def world(make_account, make_user, new_case, new_task):
    """A customer's visible and hidden task, a manager, and another account's task."""
    home, other = make_account("Genixify"), make_account("Other")
    contact = make_user("customer", account=home, name="Pat Contact")
    case = new_case(home, contact_id=contact)
    other_case = new_case(other)
    return {
        "home": home, "contact": contact, "case": case,
        "manager": make_user("customer_case_manager", account=home),
        "colleague": make_user("customer", account=home),
        "outsider": make_user("customer_case_manager", account=other),
        "agent": make_user("onboarding_agent", name="Alex Agent"),
        "visible": new_task(case, "Send contacts", contact_id=contact, visible_to_customer=True),
        "hidden": new_task(case, "Internal check", contact_id=contact),
        "foreign": new_task(other_case, "Not yours", visible_to_customer=True),
    }


@pytest.fixture
def headers(api_headers, world):
    """API headers by the world's user name."""
    return lambda who: api_headers(world[who])


def _post(client, headers, task, path, text):
    return client.post(f"{TASKS}/{task}/{path}", headers=headers, json={"text": text})


def _bodies(client, headers, task, path):
    response = client.get(f"{TASKS}/{task}/{path}", headers=headers)
    assert response.status_code == 200, response.json
    return [item["body"] for item in response.json["items"]]


def test_agents_write_and_read_both_kinds_newest_first(client, world, headers):
    agent, task = headers("agent"), world["visible"]
    created = _post(client, agent, task, "comments", "  Please send the contacts.  ")
    assert created.status_code == 201
    assert (created.json["kind"], created.json["body"], created.json["author"]) == (
        "comments", "Please send the contacts.", "Alex Agent")
    assert created.json["created_at"]
    assert _post(client, agent, task, "work-notes", "Chased by phone").status_code == 201
    assert _post(client, agent, task, "comments", "Reminder").status_code == 201
    assert _bodies(client, agent, task, "comments") == ["Reminder", "Please send the contacts."]
    assert _bodies(client, agent, task, "work-notes") == ["Chased by phone"]


def test_customers_read_and_add_comments_only(client, world, headers):
    agent, customer, task = headers("agent"), headers("contact"), world["visible"]
    _post(client, agent, task, "work-notes", "Secret: customer is slow")
    _post(client, agent, task, "comments", "Please send the contacts.")
    assert _bodies(client, customer, task, "comments") == ["Please send the contacts."]
    added = _post(client, customer, task, "comments", "Sent them today")
    assert added.status_code == 201 and added.json["author"] == "Pat Contact"
    for response in (client.get(f"{TASKS}/{task}/work-notes", headers=customer),
                     _post(client, customer, task, "work-notes", "sneaky")):
        assert response.status_code == 403
        assert "Secret" not in response.get_data(as_text=True)
    assert _bodies(client, agent, task, "work-notes") == ["Secret: customer is slow"]
    assert _bodies(client, headers("manager"), task, "comments")[0] == "Sent them today"
    assert _post(client, headers("manager"), task, "comments", "Seen").status_code == 201


@pytest.mark.parametrize(("who", "task"), [("contact", "hidden"), ("colleague", "visible"),
                                       ("manager", "hidden"), ("outsider", "visible"),
                                       ("contact", "foreign")])
def test_tasks_a_customer_may_not_read_are_not_found(client, world, headers, who, task):
    task_id = world[task]
    for path in ("comments", "work-notes"):
        assert client.get(f"{TASKS}/{task_id}/{path}", headers=headers(who)).status_code == 404
        assert _post(client, headers(who), task_id, path, "hello").status_code == 404


def test_another_tenants_agent_gets_not_found(client, world, make_domain, make_user,
                                              api_headers):
    stranger = api_headers(make_user("onboarding_agent", domain=make_domain("elsewhere")))
    for path in ("comments", "work-notes"):
        task = world["visible"]
        assert client.get(f"{TASKS}/{task}/{path}", headers=stranger).status_code == 404
        assert _post(client, stranger, task, path, "hello").status_code == 404


@pytest.mark.parametrize("body", [{"text": "   "}, {"text": ""}, {}])
def test_empty_text_is_refused_with_a_message(app, client, world, headers, body):
    for who, path in (("agent", "work-notes"), ("contact", "comments")):
        response = client.post(f"{TASKS}/{world['visible']}/{path}", headers=headers(who),
                               json=body)
        assert response.status_code == 422
        assert "text" in response.json["error"]["fields"]
    with app.app_context():
        assert db.session.query(JournalEntry).count() == 0


def test_the_agents_task_page_shows_the_journal_and_adds_to_it(client, login_as, world):
    login_as(user=world["agent"])
    task = world["visible"]
    page = f"/onboarding/tasks/{task}"
    action = f"/onboarding/tasks/{task}/journal"
    added = client.post(action, data={"kind": "work_notes", "text": "Internal thought"})
    assert added.status_code == 302 and added.location.endswith(page)
    client.post(action, data={"kind": "comments", "text": "Hello customer"})
    text = client.get(page).get_data(as_text=True)
    assert_csp_safe(text, "task page")
    assert "Journal" in text and f'action="{action}"' in text
    assert text.index("Hello customer") < text.index("Internal thought")
    assert "Work note</span>" in text and "Additional comment</span>" in text
    refused = client.post(action, data={"kind": "comments", "text": " "}, follow_redirects=True)
    assert "Write the additional comment first; it is empty." in refused.get_data(as_text=True)
    wrong = client.post(action, data={"kind": "gossip", "text": "x"}, follow_redirects=True)
    assert "Unknown journal kind" in wrong.get_data(as_text=True)


def test_customers_cannot_use_the_agents_journal_form(client, login_as, world):
    login_as(user=world["contact"])
    response = client.post(f"/onboarding/tasks/{world['visible']}/journal",
                           data={"kind": "comments", "text": "hi"})
    assert response.status_code == 403


def test_the_portal_task_page_shows_comments_never_work_notes(client, login_as, world,
                                                              headers):
    task = world["visible"]
    _post(client, headers("agent"), task, "work-notes", "Secret: customer is slow")
    _post(client, headers("agent"), task, "comments", "Please send the contacts.")
    login_as(user=world["contact"])
    page = f"/portal/tasks/{task}"
    text = client.get(page).get_data(as_text=True)
    assert_csp_safe(text, "portal task page")
    assert "Please send the contacts." in text and "Alex Agent" in text
    assert "Secret" not in text and "Work note" not in text
    added = client.post(f"{page}/comments", data={"text": "Sent them"})
    assert added.status_code == 302 and added.location.endswith(page)
    text = client.get(page).get_data(as_text=True)
    assert text.index("Sent them") < text.index("Please send the contacts.")
    empty = client.post(f"{page}/comments", data={"text": ""}, follow_redirects=True)
    assert "Write the additional comment first; it is empty." in empty.get_data(as_text=True)
    hidden = world["hidden"]
    assert client.post(f"/portal/tasks/{hidden}/comments",
                       data={"text": "x"}).status_code == 404
