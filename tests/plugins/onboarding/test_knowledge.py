"""Knowledge articles: the API, who may read them, links to tasks, auto-attach, tenants."""

import pytest
from sqlalchemy import func, select

from onward import SYSTEM, acting_as, db
from onward.plugins.onboarding.knowledge import OnboardingTaskArticle, text_blocks

API = "/api/v1/onboarding"


@pytest.fixture
def new_article(app):
    """Write an article as the system in ``domain`` (default: the top domain); its id."""
    from onward.core.tenancy import default_domain
    from onward.plugins.onboarding.knowledge_services import create_article

    def make(title="Importing data", domain=None, **fields) -> int:
        with app.app_context(), acting_as(SYSTEM):
            article = create_article({"title": title, "body": "Read me.",
                                      "domain_id": domain or default_domain().id, **fields})
            db.session.commit()
            return article.id

    return make


def _attached(app, task_id: int) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(select(OnboardingTaskArticle.article_id).where(
            OnboardingTaskArticle.task_id == task_id)))


# --- the body ---------------------------------------------------------------------------


def test_a_body_is_paragraphs_and_simple_lists():
    body = "First line\nsame paragraph.\n\n- one\n- two\n  continued\n\n1. first\n2) second"
    assert text_blocks(body) == [("p", ["First line same paragraph."]),
                                 ("ul", ["one", "two continued"]),
                                 ("ol", ["first", "second"])]
    assert text_blocks("") == []


# --- the API ----------------------------------------------------------------------------


def test_agents_write_read_and_delete_articles(client, agent):
    made = client.post(f"{API}/articles", headers=agent, json={
        "title": "How to import", "body": "Step one.", "task_type": "data_capture",
        "subject_pattern": "import *", "cannot_read": ["customer"]})
    assert made.status_code == 201, made.json
    article = made.json
    assert article["number"].startswith("KB") and article["cannot_read"] == ["customer"]
    assert article["customer_readable"] is False
    url = f"{API}/articles/{article['id']}"
    changed = client.patch(url, headers=agent, json={"title": "How to import data",
                                                     "cannot_read": []})
    assert changed.status_code == 200 and changed.json["cannot_read"] == []
    listed = client.get(f"{API}/articles?q=import+data", headers=agent).json
    assert [item["id"] for item in listed["items"]] == [article["id"]]
    assert client.delete(url, headers=agent).status_code == 204
    assert client.get(url, headers=agent).status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"title": "x", "task_type": "cooking"}, "task_type"),
    ({"title": "x", "cannot_read": ["no_such_role"]}, "cannot_read"),
    ({"title": "x", "cannot_read": ["admin"]}, "cannot_read"),
    ({"title": ""}, "title"),
    ({"body": "no title"}, "title"),
])
def test_a_bad_article_is_refused_naming_the_field(client, agent, body, field):
    answer = client.post(f"{API}/articles", headers=agent, json=body)
    assert answer.status_code == 422
    assert field in answer.json["error"]["fields"]


def test_customers_may_not_write_articles(client, make_account, make_user, api_headers,
                                          new_article):
    customer = api_headers(make_user("customer_admin", account=make_account("Home")))
    assert client.post(f"{API}/articles", headers=customer,
                       json={"title": "Mine"}).status_code == 403


def test_attach_list_and_detach_through_the_api(client, agent, case_id, new_task,
                                                new_article):
    task = new_task(case_id, "Plan training", task_type="training")
    article = new_article()
    url = f"{API}/tasks/{task}/articles"
    assert client.get(url, headers=agent).json == {"items": []}
    attached = client.post(url, headers=agent, json={"article_id": article})
    assert attached.status_code == 201 and attached.json["id"] == article
    assert client.post(url, headers=agent, json={"article_id": article}).status_code == 409
    assert [a["id"] for a in client.get(url, headers=agent).json["items"]] == [article]
    assert client.delete(f"{url}/{article}", headers=agent).status_code == 204
    again = client.delete(f"{url}/{article}", headers=agent)
    assert again.status_code == 422 and "not attached" in again.json["error"]["message"]
    missing = client.post(url, headers=agent, json={"article_id": 999})
    assert missing.status_code == 422 and "article_id" in missing.json["error"]["fields"]


# --- who may read -----------------------------------------------------------------------


def test_cannot_read_roles_shut_their_holders_out(client, agent, new_article, make_user,
                                                  api_headers, case_id, new_task):
    shut = new_article("Internal only", cannot_read=["onboarding_agent"])
    open_ = new_article("For everyone")
    assert client.get(f"{API}/articles/{shut}", headers=agent).status_code == 404
    listed = {a["id"] for a in client.get(f"{API}/articles", headers=agent).json["items"]}
    assert listed == {open_}
    task = new_task(case_id, "Plan training", task_type="training")
    refused = client.post(f"{API}/tasks/{task}/articles", headers=agent,
                          json={"article_id": shut})
    assert refused.status_code == 422
    admin = api_headers(make_user("admin"))
    assert client.get(f"{API}/articles/{shut}", headers=admin).status_code == 200


@pytest.fixture
def shared(make_account, make_user, new_case, new_task, new_article, app):
    """A customer's account with a case, a visible and a hidden task, and articles."""
    home = make_account("Home")
    contact = make_user("customer", account=home)
    manager = make_user("customer_case_manager", account=home)
    case = new_case(home, contact_id=contact)
    visible = new_task(case, "Send contacts", task_type="training", contact_id=contact,
                       visible_to_customer=True)
    hidden = new_task(case, "Internal check", task_type="training", contact_id=contact)
    articles = {
        "shared": new_article("Shared guide", customer_readable=True),
        "internal": new_article("Internal guide"),
        "on_hidden": new_article("Guide on a hidden task", customer_readable=True),
        "not_for_managers": new_article("Not for managers", customer_readable=True,
                                        cannot_read=["customer_case_manager"]),
        "not_attached": new_article("Never shared", customer_readable=True),
    }
    from onward.plugins.onboarding.knowledge import OnboardingArticle
    from onward.plugins.onboarding.knowledge_services import attach
    from onward.plugins.onboarding.models import CaseTask

    with app.app_context(), acting_as(SYSTEM):
        for name, task in (("shared", visible), ("internal", visible),
                           ("on_hidden", hidden), ("not_for_managers", visible)):
            attach(db.session.get(CaseTask, task), db.session.get(OnboardingArticle,
                                                                  articles[name]))
        db.session.commit()
    return {"account": home, "contact": contact, "manager": manager, "case": case,
            "task": visible, **articles}


def test_customers_read_only_articles_shared_with_them(client, api_headers, shared):
    headers = api_headers(shared["contact"])
    listed = client.get(f"{API}/articles", headers=headers).json["items"]
    assert {a["id"] for a in listed} == {shared["shared"], shared["not_for_managers"]}
    one = client.get(f"{API}/articles/{shared['shared']}", headers=headers).json
    assert set(one) == {"id", "number", "title", "body"}
    for name in ("internal", "on_hidden", "not_attached"):
        assert client.get(f"{API}/articles/{shared[name]}", headers=headers).status_code == 404
    task_articles = client.get(f"{API}/tasks/{shared['task']}/articles", headers=headers).json
    assert {a["id"] for a in task_articles["items"]} == {shared["shared"],
                                                         shared["not_for_managers"]}


def test_a_cannot_read_role_reaches_the_roles_that_contain_it(client, api_headers, shared):
    headers = api_headers(shared["manager"])
    listed = client.get(f"{API}/articles", headers=headers).json["items"]
    assert {a["id"] for a in listed} == {shared["shared"]}
    assert client.get(f"{API}/articles/{shared['not_for_managers']}",
                      headers=headers).status_code == 404


def test_another_accounts_customer_reads_none_of_them(client, api_headers, make_account,
                                                      make_user, shared):
    other = api_headers(make_user("customer_admin", account=make_account("Other")))
    assert client.get(f"{API}/articles", headers=other).json["items"] == []
    assert client.get(f"{API}/articles/{shared['shared']}", headers=other).status_code == 404


# --- auto-attach ------------------------------------------------------------------------


def test_new_tasks_get_the_articles_that_apply_to_them(app, case_id, new_task, new_article,
                                                       make_domain):
    by_both = new_article("Import guide", task_type="data_capture", subject_pattern="import *")
    by_type = new_article("Any data capture", task_type="data_capture")
    by_subject = new_article("Anything about contacts", subject_pattern="*CONTACTS*")
    new_article("Attached by hand only")
    new_article("Wrong type", task_type="training", subject_pattern="import *")
    new_article("Another tenant's", domain=make_domain("elsewhere"), task_type="data_capture")
    contacts = new_task(case_id, "Import contacts", task_type="data_capture")
    assert _attached(app, contacts) == {by_both, by_type, by_subject}
    checklist = new_task(case_id, "Check the data", task_type="data_capture")
    assert _attached(app, checklist) == {by_type}
    assert _attached(app, new_task(case_id, "Plan training", task_type="training")) == set()


def test_auto_attach_runs_once_per_task(app, case_id, new_task, new_article):
    from onward.plugins.onboarding.knowledge_services import attach_matching

    new_article("Import guide", task_type="data_capture")
    task = new_task(case_id, "Import contacts", task_type="data_capture")
    with app.app_context():
        assert attach_matching(task) == 0
        db.session.commit()
        count = db.session.scalar(select(func.count(OnboardingTaskArticle.id)))
    assert count == 1


# --- tenants ----------------------------------------------------------------------------


def test_another_domains_agent_gets_404_for_every_article_route(client, make_domain,
                                                                make_user, api_headers,
                                                                new_article, case_id,
                                                                new_task):
    article = new_article()
    task = new_task(case_id, "Plan training", task_type="training")
    far = api_headers(make_user("onboarding_agent", domain=make_domain("far")))
    url = f"{API}/articles/{article}"
    assert client.get(url, headers=far).status_code == 404
    assert client.patch(url, headers=far, json={"title": "Mine"}).status_code == 404
    assert client.delete(url, headers=far).status_code == 404
    assert client.get(f"{API}/articles", headers=far).json["items"] == []
    assert client.post(f"{API}/tasks/{task}/articles", headers=far,
                       json={"article_id": article}).status_code == 404
    assert client.delete(f"{API}/tasks/{task}/articles/{article}",
                         headers=far).status_code == 404


def test_an_article_of_another_domain_cannot_be_attached(client, make_domain, make_user,
                                                         api_headers, new_article,
                                                         make_account, new_case, new_task):
    below = make_domain("below")
    below_agent = api_headers(make_user("onboarding_agent", domain=below))
    own = new_article("Below's own", domain=below)
    top_task = new_task(new_case(make_account("Top customer")), "Plan training",
                        task_type="training")
    below_task = new_task(new_case(make_account("Below customer", domain=below)),
                          "Plan training", task_type="training")
    top_agent = api_headers(make_user("onboarding_agent"))
    refused = client.post(f"{API}/tasks/{top_task}/articles", headers=top_agent,
                          json={"article_id": own})
    assert refused.status_code == 422 and "knowledge base" in refused.json["error"]["message"]
    assert client.post(f"{API}/tasks/{below_task}/articles", headers=below_agent,
                       json={"article_id": own}).status_code == 201


# --- demo content -----------------------------------------------------------------------


def test_demo_ships_the_seeds_knowledge_base_once(app, runner):
    from onward.plugins.onboarding.knowledge import OnboardingArticle
    from onward.plugins.onboarding.knowledge_demo import SHIPPED
    from onward.plugins.onboarding.models import CaseTask

    for _ in range(2):
        assert runner.invoke(["demo"]).exit_code == 0
    with app.app_context():
        titles = list(db.session.scalars(select(OnboardingArticle.title)))
        assert sorted(titles) == sorted(article.title for article in SHIPPED)
        assert len(titles) == 11 and "How to complete the Data Import Task" in titles
        contacts = db.session.scalar(select(CaseTask.id).where(
            CaseTask.subject == "Import customer contacts"))
        attached = set(db.session.scalars(
            select(OnboardingArticle.title).join(
                OnboardingTaskArticle, OnboardingTaskArticle.article_id == OnboardingArticle.id)
            .where(OnboardingTaskArticle.task_id == contacts)))
    assert "How to complete the Data Import Task" in attached
    assert "How to create an Activity Definition" not in attached
