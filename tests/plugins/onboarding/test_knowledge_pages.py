"""Knowledge in the pages: the task page's panel, the tree walk, articles, the portal."""

import pytest
from csp_check import assert_csp_safe
from sqlalchemy import select

from onward import SYSTEM, User, acting_as, db
from onward.plugins.onboarding import teams
from onward.plugins.onboarding.knowledge import OnboardingArticle, OnboardingTaskArticle
from onward.plugins.onboarding.models import CaseTask, OnboardingCase


@pytest.fixture
def new_article(app):
    """Write an article as the system in the top domain; its id."""
    from onward.core.tenancy import default_domain
    from onward.plugins.onboarding.knowledge_services import create_article

    def make(title="Importing data", **fields) -> int:
        with app.app_context(), acting_as(SYSTEM):
            article = create_article({"title": title, "domain_id": default_domain().id,
                                      **fields})
            db.session.commit()
            return article.id

    return make


@pytest.fixture
def import_task(new_task, case_id, new_article):
    """A data import task that got an article by itself."""
    new_article("How to complete the Data Import Task", body="Step one.",
                task_type="data_capture", subject_pattern="import *")
    return new_task(case_id, "Import customer contacts", task_type="data_capture")


def test_the_task_page_shows_the_cards_and_related_knowledge(client, login_as, import_task):
    login_as("onboarding_agent")
    page = client.get(f"/onboarding/tasks/{import_task}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for shown in ("Recommended actions", "Data Import Task Guide", "Guidance",
                  "Troubleshoot Data Import Failure",
                  "Are you facing issues while importing data?", "Assigned to",
                  "Nobody to recommend yet", "Related knowledge",
                  "How to complete the Data Import Task"):
        assert shown in text, shown
    assert f"/onboarding/tasks/{import_task}/troubleshoot/troubleshoot_data_import" in text
    assert_csp_safe(text, "task page")


def test_walking_the_tree_on_its_page(client, login_as, import_task):
    login_as("onboarding_agent")
    url = f"/onboarding/tasks/{import_task}/troubleshoot/troubleshoot_data_import"
    first = client.get(url).get_data(as_text=True)
    assert "Are you facing issues while importing data?" in first
    assert 'name="answer" value="yes"' in first and "Start over" not in first
    second = client.get(f"{url}?answer=yes").get_data(as_text=True)
    assert "Which issue do you see?" in second
    assert '<input type="hidden" name="answer" value="yes">' in second
    assert "Start over" in second and f'href="{url}"' in second
    done = client.get(f"{url}?answer=yes&answer=duplicates")
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and "Restart" in text and "End troubleshooting" in text
    assert f'href="{url}?answer=yes"' in text  # back
    assert_csp_safe(text, "decision tree page")
    assert client.get(f"{url}?answer=maybe").status_code == 422


def test_one_click_applies_the_assignee(client, login_as, app, case_id, make_user,
                                        import_task):
    admin = make_user("onboarding_agent", name="Ada Admin")
    with app.app_context(), acting_as(SYSTEM):
        case = db.session.get(OnboardingCase, case_id)
        teams.add_account_member(case, db.session.get(User, admin),
                                 ["provider_admin", "trainer"])
        db.session.commit()
    login_as("onboarding_agent")
    text = client.get(f"/onboarding/tasks/{import_task}").get_data(as_text=True)
    assert "Ada Admin" in text and ">Assign<" in text
    url = f"/onboarding/tasks/{import_task}/recommendations/data_import_assignee/apply"
    assert client.post(url).status_code == 302
    with app.app_context():
        assert db.session.get(CaseTask, import_task).assigned_to_id == admin
    text = client.get(f"/onboarding/tasks/{import_task}").get_data(as_text=True)
    assert "Applied" in text
    refused = client.post(url, follow_redirects=True).get_data(as_text=True)
    assert "already has the recommended" in refused


def test_attach_and_detach_on_the_task_page(client, login_as, app, import_task, new_article):
    extra = new_article("Data quality checklist")
    login_as("onboarding_agent")
    text = client.get(f"/onboarding/tasks/{import_task}").get_data(as_text=True)
    assert "Data quality checklist" in text  # a choice of the picker
    base = f"/onboarding/tasks/{import_task}/articles"
    assert client.post(base, data={"article_id": extra}).status_code == 302
    with app.app_context():
        linked = set(db.session.scalars(select(OnboardingTaskArticle.article_id).where(
            OnboardingTaskArticle.task_id == import_task)))
    assert extra in linked
    assert client.post(f"{base}/{extra}/detach").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(OnboardingTaskArticle.id).where(
            OnboardingTaskArticle.article_id == extra)) is None


def test_the_article_pages(client, login_as, app, new_article):
    article = new_article("Escaping", body="<script>alert(1)</script> first\n\n- one\n- two")
    login_as("onboarding_agent")
    page = client.get(f"/onboarding/articles/{article}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt; first" in text and "<li>one</li>" in text
    assert_csp_safe(text, "article page")
    listed = client.get("/onboarding/articles?q=escap").get_data(as_text=True)
    assert "Escaping" in listed
    assert "Escaping" not in client.get("/onboarding/articles?q=nothing").get_data(
        as_text=True)
    form = client.get("/onboarding/articles/new").get_data(as_text=True)
    assert 'value="customer"' in form and 'value="admin"' not in form  # admins read all
    made = client.post("/onboarding/articles/new", data={
        "title": "New one", "body": "Text", "cannot_read": ["customer"], "task_type": ""})
    assert made.status_code == 302
    with app.app_context():
        new = db.session.scalar(select(OnboardingArticle).where(
            OnboardingArticle.title == "New one"))
        assert new.cannot_read_names == ["customer"] and new.task_type is None
        new_id = new.id
    saved = client.post(f"/onboarding/articles/{new_id}", data={
        "title": "Renamed", "body": "Text", "task_type": "training"})
    assert saved.status_code == 302
    with app.app_context():
        new = db.session.get(OnboardingArticle, new_id)
        assert (new.title, new.task_type, new.cannot_read_names) == ("Renamed", "training", [])
    assert client.post(f"/onboarding/articles/{new_id}/delete").status_code == 302
    assert client.get(f"/onboarding/articles/{new_id}").status_code == 404
    assert client.post("/onboarding/articles/new", data={"title": ""}).status_code == 422


def test_customers_get_no_workspace_knowledge_pages(client, login_as, make_account,
                                                    new_article):
    article = new_article()
    login_as("customer_admin", account=make_account("Home"))
    assert client.get("/onboarding/articles").status_code == 403
    assert client.get(f"/onboarding/articles/{article}").status_code == 403


# --- the portal -------------------------------------------------------------------------


@pytest.fixture
def portal_case(app, make_account, make_user, new_case, new_task, new_article):
    """A case with a visible task holding a shared and an internal article."""
    from onward.plugins.onboarding.knowledge_services import attach

    home = make_account("Home")
    contact = make_user("customer", account=home)
    case = new_case(home, contact_id=contact)
    task = new_task(case, "Send contacts", contact_id=contact, visible_to_customer=True)
    shared = new_article("Shared guide", body="Para one.\n\nPara two.",
                         customer_readable=True)
    internal = new_article("Internal notes")
    with app.app_context(), acting_as(SYSTEM):
        for article in (shared, internal):
            attach(db.session.get(CaseTask, task), db.session.get(OnboardingArticle, article))
        db.session.commit()
    return {"home": home, "contact": contact, "case": case, "shared": shared,
            "internal": internal}


def test_the_portal_case_lists_the_articles_shared_with_the_customer(client, login_as,
                                                                     portal_case):
    login_as(user=portal_case["contact"])
    text = client.get(f"/portal/cases/{portal_case['case']}").get_data(as_text=True)
    assert "Shared guide" in text and "Internal notes" not in text
    assert f"/portal/articles/{portal_case['shared']}" in text
    article = client.get(f"/portal/articles/{portal_case['shared']}")
    body = article.get_data(as_text=True)
    assert article.status_code == 200 and "<p>Para one.</p>" in body
    assert_csp_safe(body, "portal article page")
    assert client.get(f"/portal/articles/{portal_case['internal']}").status_code == 404


def test_a_customer_shut_out_by_role_sees_no_shared_articles(client, login_as, app,
                                                             portal_case, make_user):
    from onward import Role

    with app.app_context():
        article = db.session.get(OnboardingArticle, portal_case["shared"])
        article.cannot_read = list(db.session.scalars(select(Role).where(
            Role.name == "customer")))
        db.session.commit()
    login_as(user=portal_case["contact"])
    text = client.get(f"/portal/cases/{portal_case['case']}").get_data(as_text=True)
    assert "Shared guide" not in text and "No articles are shared yet." in text
    assert client.get(f"/portal/articles/{portal_case['shared']}").status_code == 404


def test_another_accounts_customer_never_reaches_the_article(client, login_as, make_account,
                                                             portal_case):
    login_as("customer_admin", account=make_account("Other"))
    assert client.get(f"/portal/articles/{portal_case['shared']}").status_code == 404
