"""Every onboarding role against cases and tasks, read/create/write, in and out of reach."""

import pytest

#: role -> what it may do with a case (its account's, where it is the contact) and a task
#: (visible to customers, it is the contact), and what it sees of another account's
EXPECTED = {
    "onboarding_agent": {"read case": 200, "create case": 201, "write case": 200,
                         "read task": 200, "create task": 201, "write task": 200},
    "customer": {"read case": 200, "create case": 403, "write case": 403,
                 "read task": 200, "create task": 403, "write task": 200},
    "customer_case_manager": {"read case": 200, "create case": 403, "write case": 403,
                              "read task": 200, "create task": 403, "write task": 200},
    "customer_admin": {"read case": 200, "create case": 403, "write case": 200,
                       "read task": 200, "create task": 403, "write task": 200},
    None: {"read case": 403, "create case": 403, "write case": 403,
           "read task": 403, "create task": 403, "write task": 403},
}


@pytest.mark.parametrize("role", list(EXPECTED), ids=str)
def test_onboarding_access(app, client, role, make_account, make_user, api_headers, new_case,
                           new_task):
    home, away = make_account("Home"), make_account("Away")
    external = role not in ("onboarding_agent", None)
    user = make_user(*(role,) if role else (), account=home if external else None)
    headers = api_headers(user)
    case = new_case(home, contact_id=user if external else None)
    task = new_task(case, visible_to_customer=True, contact_id=user if external else None)
    far_case = new_case(away)
    far_task = new_task(far_case, visible_to_customer=True)
    base = "/api/v1/onboarding"
    got = {
        "read case": client.get(f"{base}/cases/{case}", headers=headers).status_code,
        "create case": client.post(f"{base}/cases", headers=headers,
                                   json={"account_id": home}).status_code,
        "write case": client.patch(f"{base}/cases/{case}", headers=headers,
                                   json={"description": "x"}).status_code,
        "read task": client.get(f"{base}/tasks/{task}", headers=headers).status_code,
        "create task": client.post(f"{base}/tasks", headers=headers,
                                   json={"case_id": case, "subject": "New"}).status_code,
        "write task": client.patch(f"{base}/tasks/{task}", headers=headers,
                                   json={"state": "In Progress"}).status_code,
    }
    assert got == EXPECTED[role]
    if role is None:
        return
    if external:  # another account's records are not there at all
        assert client.get(f"{base}/cases/{far_case}", headers=headers).status_code == 404
        assert client.get(f"{base}/tasks/{far_task}", headers=headers).status_code == 404
    else:
        assert client.get(f"{base}/cases/{far_case}", headers=headers).status_code == 200


def test_a_customer_never_sees_a_task_not_visible_to_customers(client, make_account, make_user,
                                                               api_headers, new_case, new_task):
    home = make_account("Home")
    admin = make_user("customer_admin", account=home)
    case = new_case(home, contact_id=admin)
    hidden = new_task(case, contact_id=admin)
    response = client.get(f"/api/v1/onboarding/tasks/{hidden}", headers=api_headers(admin))
    assert response.status_code == 404


#: role -> what it may do with a guided case of its account it is the customer of (agents:
#: any), read, create, edit, and move through an agent's action or a customer's answer
GUIDED_EXPECTED = {
    "onboarding_agent": {"read": 200, "create": 201, "write": 200, "act": 200, "answer": 403},
    "customer": {"read": 200, "create": 403, "write": 403, "act": 403, "answer": 200},
    "customer_case_manager": {"read": 200, "create": 403, "write": 403, "act": 403,
                              "answer": 200},
    "customer_admin": {"read": 200, "create": 403, "write": 403, "act": 403, "answer": 200},
    None: {"read": 403, "create": 403, "write": 403, "act": 403, "answer": 403},
}


@pytest.mark.parametrize("role", list(GUIDED_EXPECTED), ids=str)
def test_guided_case_access(client, role, make_account, make_user, api_headers,
                            new_guided_case):
    home, away = make_account("Home"), make_account("Away")
    external = role not in ("onboarding_agent", None)
    customer = make_user("customer", account=home)
    user = make_user(*(role,) if role else (), account=home if external else None)
    headers = api_headers(user)
    contact = user if external else customer
    case = new_guided_case(contact, state="Solution proposed", step=9, solution="Plan")
    open_case = new_guided_case(contact, state="Open")
    far_case = new_guided_case(make_user("customer", account=away))
    base = "/api/v1/onboarding/guided-cases"
    got = {
        "read": client.get(f"{base}/{case}", headers=headers).status_code,
        "create": client.post(base, headers=headers, json={"contact_id": contact}).status_code,
        "write": client.patch(f"{base}/{case}", headers=headers,
                              json={"description": "x"}).status_code,
        "act": client.post(f"{base}/{open_case}/forward", headers=headers,
                           json={}).status_code,
        "answer": client.post(f"{base}/{case}/customer-accept", headers=headers).status_code,
    }
    assert got == GUIDED_EXPECTED[role]
    far = client.get(f"{base}/{far_case}", headers=headers).status_code
    assert far == {"onboarding_agent": 200, None: 403}.get(role, 404)
