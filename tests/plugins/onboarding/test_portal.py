"""The customer portal: My lists, the case page and the task page."""

import datetime as dt

import pytest
from csp_check import assert_csp_safe

PORTAL = "/portal"


def test_customer_sees_own_cases_and_visible_tasks(client, login_as, make_user, make_account,
                                                    new_case, new_task):
    account = make_account("Genixify")
    me = make_user("customer", account=account)
    case = new_case(account, contact_id=me, short_description="Our go-live")
    shown = new_task(case, "Send contacts", contact_id=me, visible_to_customer=True)
    hidden = new_task(case, "Internal check", contact_id=me, visible_to_customer=False)
    other = new_case(make_account("Other"), short_description="Not yours")
    login_as(user=me)
    page = client.get(PORTAL)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Our go-live" in text and "Send contacts" in text
    assert "Internal check" not in text and "All onboarding cases" not in text
    case_page = client.get(f"{PORTAL}/cases/{case}").get_data(as_text=True)
    assert "Genixify" in case_page and "Internal check" not in case_page
    assert client.get(f"{PORTAL}/tasks/{shown}").status_code == 200
    assert client.get(f"{PORTAL}/tasks/{hidden}").status_code == 404
    assert client.get(f"{PORTAL}/cases/{other}").status_code == 404
    assert client.get("/onboarding/cases").status_code == 403


def test_agent_sees_all_cases(client, login_as, make_account, new_case):
    new_case(make_account("Genixify"), short_description="Agent case")
    login_as("onboarding_agent")
    text = client.get(PORTAL).get_data(as_text=True)
    assert "All onboarding cases" in text and "Agent case" in text


def test_customers_find_the_portal_in_their_navigation(client, make_account, make_user,
                                                      login_as):
    login_as(user=make_user("customer", account=make_account("Home")))
    page = client.get("/portal").get_data(as_text=True)
    assert 'href="/portal"' in page
    assert 'href="/onboarding/cases"' not in page


def test_roles_containing_case_manager_see_all_cases(client, make_account, make_user,
                                                    login_as, new_case):
    home = make_account("Home")
    admin = make_user("customer_admin", account=home)  # contains customer_case_manager
    new_case(home, short_description="Colleague's case")
    login_as(user=admin)
    text = client.get("/portal").get_data(as_text=True)
    assert "All onboarding cases" in text and "Colleague&#39;s case" in text


# --- per role, tenant separation, hidden fields, CSP -----------------------------------


@pytest.fixture
def portal(make_account, make_user, new_case, new_task):
    """An account with a customer's case and a colleague's, and another account's case."""
    home, other = make_account("Genixify"), make_account("Other")
    me, colleague = make_user("customer", account=home), make_user("customer", account=home)
    agent = make_user("onboarding_agent")
    go_live = dt.date.today() + dt.timedelta(days=12)
    mine = new_case(home, contact_id=me, short_description="Our go-live", go_live_date=go_live,
                    assigned_to_id=agent)
    theirs = new_case(home, contact_id=colleague, short_description="Colleague go-live")
    foreign = new_case(other, short_description="Other account's case")
    return {
        "home": home, "me": me, "agent": agent, "mine": mine, "theirs": theirs,
        "foreign": foreign,
        "my_task": new_task(mine, "Send contacts", contact_id=me, visible_to_customer=True,
                            due_date=go_live, close_notes="SECRET-CLOSE-NOTE",
                            assigned_to_id=agent),
        "hidden": new_task(mine, "Internal check", contact_id=me),
        "their_task": new_task(theirs, "Colleague's task", contact_id=colleague,
                               visible_to_customer=True),
        "foreign_task": new_task(foreign, "Other account's task", visible_to_customer=True),
    }


def _pages(portal, *cases):
    return [PORTAL, *(f"{PORTAL}/cases/{portal[c]}" for c in cases)]


def _csp_safe(client, urls):
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_csp_safe(response.get_data(as_text=True), url)


def test_a_customer_sees_its_cases_and_tasks_as_tables(client, login_as, portal):
    login_as(user=portal["me"])
    text = client.get(PORTAL).get_data(as_text=True)
    assert "My onboarding cases" in text and "My onboarding case tasks" in text
    assert "All onboarding cases" not in text
    assert "<table>" in text and '<span class="badge ">New</span>' in text
    assert "Our go-live" in text and "Send contacts" in text
    assert "Colleague go-live" not in text and "Internal check" not in text
    assert client.get(f"{PORTAL}/cases/{portal['theirs']}").status_code == 404
    assert client.get(f"{PORTAL}/tasks/{portal['their_task']}").status_code == 404
    _csp_safe(client, [*_pages(portal, "mine"), f"{PORTAL}/tasks/{portal['my_task']}"])
    assert client.get(f"{PORTAL}/static/onboarding.css").status_code == 200


def test_the_case_page_has_the_header_and_the_tasks_table(client, login_as, portal):
    login_as(user=portal["me"])
    text = client.get(f"{PORTAL}/cases/{portal['mine']}").get_data(as_text=True)
    go_live = (dt.date.today() + dt.timedelta(days=12)).isoformat()
    assert "Account Genixify" in text and go_live in text and "12 days left" in text
    assert '<span class="badge ">New</span>' in text
    assert "<th scope=\"col\">Due date</th>" in text and "Send contacts" in text
    assert "Internal check" not in text
    assert 'aria-label="Breadcrumb"' in text


@pytest.mark.parametrize("role", ["customer_case_manager", "customer_admin"])
def test_managers_see_every_case_of_their_account_only(client, login_as, make_user,
                                                       api_headers, portal, role):
    manager = make_user(role, account=portal["home"])
    login_as(user=manager)
    text = client.get(PORTAL).get_data(as_text=True)
    assert "All onboarding cases" in text
    assert "Our go-live" in text and "Colleague go-live" in text
    assert "Other account&#39;s case" not in text
    assert client.get(f"{PORTAL}/tasks/{portal['their_task']}").status_code == 200
    for path in (f"cases/{portal['foreign']}", f"tasks/{portal['foreign_task']}",
                 f"tasks/{portal['hidden']}"):
        assert client.get(f"{PORTAL}/{path}").status_code == 404, path
    hidden = client.get(f"/api/v1/onboarding/tasks/{portal['hidden']}",
                        headers=api_headers(manager))
    assert hidden.status_code == 404
    _csp_safe(client, [*_pages(portal, "mine", "theirs"),
                       f"{PORTAL}/tasks/{portal['their_task']}"])


def test_an_agent_sees_all_cases_and_its_own_assignments(client, login_as, portal):
    login_as(user=portal["agent"])
    text = client.get(PORTAL).get_data(as_text=True)
    assert "All onboarding cases" in text and "Other account&#39;s case" in text
    mine = text.split("My onboarding cases", 1)[1]
    assert "Our go-live" in mine and "Colleague go-live" not in mine
    assert "Send contacts" in mine
    _csp_safe(client, [*_pages(portal, "mine", "foreign"),
                       f"{PORTAL}/tasks/{portal['my_task']}"])


def test_another_tenants_case_and_task_are_not_found(client, login_as, make_domain,
                                                     make_account, make_user, new_case,
                                                     new_task):
    elsewhere = make_account("Elsewhere", domain=make_domain("theirs"))
    case = new_case(elsewhere, short_description="Their case")
    task = new_task(case, visible_to_customer=True)
    ours = make_domain("ours")
    for user in (make_user("onboarding_agent", domain=ours),
                 make_user("customer_admin", account=make_account("Ours", domain=ours))):
        login_as(user=user)
        assert client.get(f"{PORTAL}/cases/{case}").status_code == 404
        assert client.get(f"{PORTAL}/tasks/{task}").status_code == 404
        assert "Their case" not in client.get(PORTAL).get_data(as_text=True)


def test_hidden_fields_never_reach_the_page(client, login_as, portal):
    for user in (portal["me"], portal["agent"]):
        login_as(user=user)
        text = client.get(f"{PORTAL}/tasks/{portal['my_task']}").get_data(as_text=True)
        assert "Send contacts" in text and "SECRET-CLOSE-NOTE" not in text
        assert "Additional comments" in text


def test_a_customer_reading_a_hidden_task_gets_not_found(client, login_as, api_headers,
                                                          portal):
    login_as(user=portal["me"])
    assert client.get(f"{PORTAL}/tasks/{portal['hidden']}").status_code == 404
    response = client.get(f"/api/v1/onboarding/tasks/{portal['hidden']}",
                          headers=api_headers(portal["me"]))
    assert response.status_code == 404
