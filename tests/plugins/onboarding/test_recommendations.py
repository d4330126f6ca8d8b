"""Recommended actions: the data file, each kind, walking a tree, applying a recommendation."""

import re
import textwrap

import pytest

from onward import SYSTEM, StartupError, User, acting_as, db
from onward.plugins.onboarding import recommendations, teams
from onward.plugins.onboarding.models import CaseTask, OnboardingCase

API = "/api/v1/onboarding"
DATA_IMPORT = ["data_import_guide", "data_import_assignee", "troubleshoot_data_import"]


# --- the data file ----------------------------------------------------------------------


def test_the_shipped_file_holds_the_seeds_actions():
    actions = recommendations.load()
    assert {key: action.kind for key, action in actions.items()} == {
        "data_import_guide": "guidance", "data_import_assignee": "field",
        "troubleshoot_data_import": "decision_tree",
        "install_service_exchange": "guidance", "troubleshoot_service_exchange": "decision_tree",
        "service_exchange_assignee": "field", "service_exchange_contact": "field"}
    tree = actions["troubleshoot_data_import"].data
    assert tree["nodes"][tree["start"]]["question"] == \
        "Are you facing issues while importing data?"


GOOD = """\
  - key: guide
    kind: guidance
    title: A guide
    applies_to: {task_types: [training]}
    text: Do this.
"""


@pytest.mark.parametrize(("entry", "message"), [
    ("""\
  - key: bad_kind
    kind: recipe
    title: Soup
    applies_to: {task_types: [training]}
    text: Stir.
""", "action 2 ('bad_kind')"),
    ("""\
  - key: no_text
    kind: guidance
    title: Empty
    applies_to: {task_types: [training]}
""", "action 2 ('no_text')"),
    ("""\
  - key: wrong_type
    kind: guidance
    title: Wrong
    applies_to: {task_types: [cooking]}
    text: x
""", "'cooking' is not one of"),
    ("""\
  - key: dangling
    kind: decision_tree
    title: Dangling
    applies_to: {subjects: ["*"]}
    start: first
    nodes:
      first:
        question: Ready?
        options: [{key: "yes", label: "Yes", next: second}]
""", "action 2 ('dangling'): option 'yes' of 'first' leads to unknown 'second'"),
    ("""\
  - key: bad_start
    kind: decision_tree
    title: No start
    applies_to: {subjects: ["*"]}
    start: nowhere
    nodes:
      first:
        question: Ready?
        options: [{key: "yes", label: "Yes", advice: Go.}]
""", "start 'nowhere' is no question"),
    ("""\
  - key: twice
    kind: decision_tree
    title: Twice
    applies_to: {subjects: ["*"]}
    start: first
    nodes:
      first:
        question: Ready?
        options: [{key: "yes", label: "Yes", advice: Go.}, {key: "yes", label: "Y", advice: Go.}]
""", "repeats an option key"),
    (GOOD, "action 2 ('guide'): the key is used twice"),
])
def test_a_bad_entry_stops_start_up_naming_it(tmp_path, entry, message):
    path = tmp_path / "actions.yaml"
    path.write_text("actions:\n" + GOOD + entry)
    with pytest.raises(StartupError, match=re.escape(message)):
        recommendations.load(path)


def test_a_file_that_is_no_list_of_actions_is_refused(tmp_path):
    path = tmp_path / "actions.yaml"
    path.write_text(textwrap.dedent("""\
        actions: []
        extra: 1
    """))
    with pytest.raises(StartupError, match=r"actions\.yaml"):
        recommendations.load(path)


def test_the_app_loads_the_actions_at_start_up(app):
    assert set(DATA_IMPORT) <= set(app.extensions[recommendations.EXTENSION])


# --- what a task gets -------------------------------------------------------------------


@pytest.fixture
def import_task(new_task, case_id):
    return new_task(case_id, "Import customer contacts", task_type="data_capture")


@pytest.fixture
def install_task(new_task, case_id):
    return new_task(case_id, "Install the Service Exchange integration for the consumer",
                    task_type="development")


def test_a_data_import_task_gets_the_three_kinds(client, agent, import_task, new_task,
                                                 case_id, app):
    from onward.plugins.onboarding.knowledge_demo import load_articles

    with app.app_context(), acting_as(SYSTEM):
        load_articles()
        db.session.commit()
    cards = client.get(f"{API}/tasks/{import_task}/recommended-actions", headers=agent).json
    by_key = {card["key"]: card for card in cards["items"]}
    assert list(by_key) == DATA_IMPORT
    guide = by_key["data_import_guide"]
    assert guide["kind"] == "guidance" and guide["article"]["title"] == \
        "How to complete the Data Import Task"
    tree = by_key["troubleshoot_data_import"]["step"]
    assert tree["question"] == "Are you facing issues while importing data?"
    assert [o["key"] for o in tree["options"]] == ["yes", "no"]
    assert by_key["data_import_assignee"]["field"] == "assigned_to_id"
    other = new_task(case_id, "Plan training", task_type="training")
    assert client.get(f"{API}/tasks/{other}/recommended-actions",
                      headers=agent).json == {"items": []}


def test_the_service_exchange_tasks_get_theirs(client, agent, install_task, new_task,
                                               case_id):
    keys = [card["key"] for card in client.get(
        f"{API}/tasks/{install_task}/recommended-actions", headers=agent).json["items"]]
    assert keys == ["install_service_exchange", "troubleshoot_service_exchange",
                    "service_exchange_assignee", "service_exchange_contact"]
    registration = new_task(case_id, "Consumer registration and configuration",
                            task_type="development")
    keys = [card["key"] for card in client.get(
        f"{API}/tasks/{registration}/recommended-actions", headers=agent).json["items"]]
    assert keys == ["troubleshoot_service_exchange", "service_exchange_assignee"]


def test_customers_get_no_recommended_actions(client, make_account, make_user, api_headers,
                                              new_case, new_task):
    home = make_account("Home")
    me = make_user("customer", account=home)
    task = new_task(new_case(home), "Import contacts", task_type="data_capture",
                    contact_id=me, visible_to_customer=True)
    headers = api_headers(me)
    assert client.get(f"{API}/tasks/{task}", headers=headers).status_code == 200
    for answer in (
        client.get(f"{API}/tasks/{task}/recommended-actions", headers=headers),
        client.get(f"{API}/tasks/{task}/recommended-actions/troubleshoot_data_import/walk",
                   headers=headers),
        client.post(f"{API}/tasks/{task}/recommended-actions/data_import_assignee/apply",
                    headers=headers),
    ):
        assert answer.status_code == 403


# --- walking a decision tree ------------------------------------------------------------


def _walk(client, headers, task, *answers, key="troubleshoot_data_import"):
    query = "&".join(f"answer={a}" for a in answers)
    return client.get(f"{API}/tasks/{task}/recommended-actions/{key}/walk?{query}",
                      headers=headers)


def test_walking_the_data_import_tree(client, agent, import_task):
    first = _walk(client, agent, import_task).json
    assert first["question"] == "Are you facing issues while importing data?"
    assert first["done"] is False and first["answers"] == []
    second = _walk(client, agent, import_task, "yes").json
    assert second["question"] == "Which issue do you see?"
    assert "rows_need_attention" in [o["key"] for o in second["options"]]
    advice = _walk(client, agent, import_task, "yes", "rows_need_attention").json
    assert advice["done"] is True and advice["question"] is None
    assert "return to Yet to validate" in advice["advice"]
    assert advice["trail"] == [
        {"question": "Are you facing issues while importing data?", "answer": "Yes"},
        {"question": "Which issue do you see?", "answer": "Rows need attention after validation"}]
    assert _walk(client, agent, import_task, "no").json["done"] is True


def test_the_service_exchange_tree_asks_for_the_version(client, agent, install_task):
    key = "troubleshoot_service_exchange"
    version = _walk(client, agent, install_task, "yes", "auth_failed", key=key).json
    assert version["question"] == "Is your Service Exchange version 1.0.4 or later?"
    older = _walk(client, agent, install_task, "yes", "auth_failed", "no", key=key).json
    assert older["done"] and "Contact customer support" in older["advice"]
    newer = _walk(client, agent, install_task, "yes", "auth_failed", "yes", key=key).json
    assert newer["done"] and "registration key" in newer["advice"]


def test_a_bad_walk_is_refused(client, agent, import_task, new_task, case_id):
    bad = _walk(client, agent, import_task, "yes", "burnt_toast")
    assert bad.status_code == 422
    assert "Answer 2 'burnt_toast' is not an option" in bad.json["error"]["message"]
    after = _walk(client, agent, import_task, "no", "yes")
    assert after.status_code == 422 and "after the advice" in after.json["error"]["message"]
    assert _walk(client, agent, import_task, key="no_such_tree").status_code == 404
    assert _walk(client, agent, import_task, key="data_import_guide").status_code == 404
    training = new_task(case_id, "Plan training", task_type="training")
    assert _walk(client, agent, training).status_code == 404


# --- field recommendations --------------------------------------------------------------


@pytest.fixture
def teamed(app, case_id, make_user, make_account):
    """An account team member with two responsibilities (never assigned by itself) and a
    customer point of contact on the case's teams; their ids."""
    admin = make_user("onboarding_agent", name="Ada Admin")
    with app.app_context(), acting_as(SYSTEM):
        case = db.session.get(OnboardingCase, case_id)
        teams.add_account_member(case, db.session.get(User, admin),
                                 ["provider_admin", "developer"])
        teams.add_customer_contact(case, "Pat", "Point", "pat@genixify.example")
        db.session.flush()
        pat = db.session.scalar(db.select(User.id).where(User.email == "pat@genixify.example"))
        teams.set_customer_responsibility(case, db.session.get(User, pat), "point_of_contact")
        db.session.commit()
    return {"admin": admin, "contact": pat}


def _task(app, task_id) -> CaseTask:
    with app.app_context():
        task = db.session.get(CaseTask, task_id)
        return {"assigned_to_id": task.assigned_to_id, "contact_id": task.contact_id}


def test_the_assignee_recommendation_applies_with_one_call(client, agent, app, teamed,
                                                           import_task):
    assert _task(app, import_task)["assigned_to_id"] is None
    card = next(c for c in client.get(f"{API}/tasks/{import_task}/recommended-actions",
                                      headers=agent).json["items"]
                if c["key"] == "data_import_assignee")
    assert card["user"] == {"id": teamed["admin"], "name": "Ada Admin"}
    assert card["applied"] is False
    url = f"{API}/tasks/{import_task}/recommended-actions/data_import_assignee/apply"
    applied = client.post(url, headers=agent)
    assert applied.status_code == 200 and applied.json["assigned_to_id"] == teamed["admin"]
    again = client.post(url, headers=agent)
    assert again.status_code == 409 and "already" in again.json["error"]["message"]


def test_the_contact_recommendation_is_the_point_of_contact(client, agent, app, teamed,
                                                            install_task):
    url = f"{API}/tasks/{install_task}/recommended-actions/service_exchange_contact/apply"
    assert client.post(url, headers=agent).json["contact_id"] == teamed["contact"]
    assert _task(app, install_task)["contact_id"] == teamed["contact"]


def test_nothing_to_recommend_is_a_conflict(client, agent, import_task):
    url = f"{API}/tasks/{import_task}/recommended-actions/data_import_assignee/apply"
    answer = client.post(url, headers=agent)
    assert answer.status_code == 409 and "nobody to recommend" in answer.json["error"]["message"]
    assert client.post(f"{API}/tasks/{import_task}/recommended-actions/"
                       "troubleshoot_data_import/apply", headers=agent).status_code == 404


def test_another_domains_agent_gets_404(client, make_domain, make_user, api_headers,
                                        import_task):
    far = api_headers(make_user("onboarding_agent", domain=make_domain("far")))
    base = f"{API}/tasks/{import_task}/recommended-actions"
    assert client.get(base, headers=far).status_code == 404
    assert client.get(f"{base}/troubleshoot_data_import/walk", headers=far).status_code == 404
    assert client.post(f"{base}/data_import_assignee/apply", headers=far).status_code == 404
