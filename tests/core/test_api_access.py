"""Customer users read only their account's records, and only the readable fields."""

import pytest

from onward.core.actor import SYSTEM, acting_as
from onward.core.db import db
from onward.core.roles import save_role

USER_FIELDS = {"id", "email", "name", "account_id", "active"}


@pytest.fixture
def customer(app, make_account, make_user, api_headers):
    """A customer user of Acme whose role reads users and accounts; its headers."""
    with app.app_context(), acting_as(SYSTEM):
        save_role(None, name="contact", external=True,
                  rights={"core_user": "r", "core_account": "r"})
        db.session.commit()
    acme, other = make_account("Acme"), make_account("Other Corp")
    make_user(email="colleague@acme.example", account=acme)
    make_user(email="stranger@other.example", account=other)
    make_user(email="staff@example.com")
    user = make_user("contact", email="me@acme.example", account=acme)
    return {"headers": api_headers(user), "acme": acme, "other": other, "user": user}


def test_customer_lists_only_own_accounts_users_with_readable_fields(client, customer):
    body = client.get("/api/v1/users", headers=customer["headers"]).json
    assert {user["email"] for user in body["items"]} == {"colleague@acme.example",
                                                          "me@acme.example"}
    assert body["meta"]["total"] == 2
    for user in body["items"]:
        assert set(user) == USER_FIELDS
        assert user["account_id"] == customer["acme"]


def test_customer_reads_only_own_account(client, customer):
    body = client.get("/api/v1/accounts", headers=customer["headers"]).json
    assert body["items"] == [{"id": customer["acme"], "name": "Acme", "active": True}]
    one = client.get(f"/api/v1/accounts/{customer['acme']}", headers=customer["headers"])
    assert one.json == {"id": customer["acme"], "name": "Acme", "active": True}
    other = client.get(f"/api/v1/accounts/{customer['other']}", headers=customer["headers"])
    assert other.status_code == 404
    assert "Other Corp" not in other.get_data(as_text=True)


def test_customer_gets_readable_fields_of_one_user_and_of_me(client, customer):
    one = client.get(f"/api/v1/users/{customer['user']}", headers=customer["headers"]).json
    assert set(one) == USER_FIELDS
    me = client.get("/api/v1/me", headers=customer["headers"]).json
    assert set(me) == USER_FIELDS | {"effective_roles"}
    assert me["effective_roles"] == ["contact"]


def test_customer_cannot_sort_search_or_filter_by_hidden_fields(client, customer):
    headers = customer["headers"]
    response = client.get("/api/v1/users?sort=last_sign_in_at", headers=headers)
    assert response.status_code == 422
    assert "last_sign_in_at" not in response.json["error"]["fields"]["sort"][0]
    assert client.get("/api/v1/users?domain_id=1", headers=headers).status_code == 422
    assert client.get("/api/v1/users?sort=-email&active=true", headers=headers).status_code == 200


def test_customer_cannot_write_or_see_other_tables(client, customer):
    headers = customer["headers"]
    response = client.patch(f"/api/v1/accounts/{customer['acme']}", headers=headers,
                            json={"name": "Mine"})
    assert response.status_code == 403
    assert client.get("/api/v1/domains", headers=headers).status_code == 403
    assert client.get(f"/api/v1/accounts/{customer['acme']}",
                      headers=headers).json["name"] == "Acme"


def test_customer_manages_its_own_tokens(client, customer):
    headers = customer["headers"]
    created = client.post("/api/v1/tokens", headers=headers, json={"name": "script"})
    assert created.status_code == 201
    assert created.json["token"].startswith("onw_")
    assert created.json["name"] == "script"
    assert not {"user_id", "domain_id"} & set(created.json)  # not readable for customers
    listed = client.get("/api/v1/tokens", headers=headers).json["items"]
    names = {token["name"] for token in listed}
    assert names == {"script", "test token"}
