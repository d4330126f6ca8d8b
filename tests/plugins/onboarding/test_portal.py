"""The customer portal: My lists, the case page and the task page."""

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
