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
