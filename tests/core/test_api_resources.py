"""CRUD of core's API resources as an admin with a Bearer token."""

import pytest

from onward.core.db import db
from onward.core.models import ApiToken, Role, User

SECRET_FIELDS = {"password_hash", "totp_secret", "totp_last_step", "password", "token_hash"}


@pytest.fixture
def admin(make_user, api_headers):
    """Headers of an admin in the top domain."""
    return api_headers(make_user("admin", email="root@example.com"))


def test_users_crud(app, client, admin, make_account):
    account = make_account("Acme")
    response = client.post("/api/v1/users", headers=admin, json={
        "email": "Ada@Example.com", "name": "Ada", "roles": ["admin"],
        "password": "a long and unusual passphrase",
    })
    assert response.status_code == 201, response.json
    ada = response.json
    assert ada["email"] == "ada@example.com"
    assert ada["roles"] == ["admin"]
    assert ada["active"] is True
    assert ada["totp_enabled"] is False
    assert ada["account_id"] is None
    assert ada["last_sign_in_at"] is None
    assert ada["created_at"]
    assert not SECRET_FIELDS & set(ada)

    customer = client.post("/api/v1/users", headers=admin, json={
        "email": "bob@acme.example", "account_id": account,
    }).json
    assert customer["account_id"] == account
    with app.app_context():
        assert db.session.get(User, customer["id"]).password_hash == ""

    assert client.get(f"/api/v1/users/{ada['id']}", headers=admin).json == ada
    listed = client.get("/api/v1/users", headers=admin).json
    assert {"ada@example.com", "bob@acme.example", "root@example.com"} == {
        user["email"] for user in listed["items"]
    }
    assert all(not SECRET_FIELDS & set(user) for user in listed["items"])

    changed = client.patch(f"/api/v1/users/{ada['id']}", headers=admin,
                           json={"name": "Ada L.", "email": "ada@lovelace.example", "roles": []})
    assert changed.status_code == 200
    assert (changed.json["name"], changed.json["email"], changed.json["roles"]) == (
        "Ada L.", "ada@lovelace.example", [])

    assert client.delete(f"/api/v1/users/{ada['id']}", headers=admin).status_code == 405


def test_deactivating_a_user_ends_its_tokens(client, admin, make_user, api_headers):
    user = make_user()
    headers = api_headers(user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200

    response = client.patch(f"/api/v1/users/{user}", headers=admin, json={"active": False})
    assert response.json["active"] is False
    assert client.get("/api/v1/me", headers=headers).status_code == 401

    response = client.patch(f"/api/v1/users/{user}", headers=admin, json={"active": True})
    assert response.json["active"] is True
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_roles_crud(app, client, admin):
    response = client.post("/api/v1/roles", headers=admin, json={
        "name": "auditor", "label": "Auditor", "rights": {"core_user": "r", "core_role": "rw"},
    })
    assert response.status_code == 201, response.json
    role = response.json
    assert role["rights"] == {"core_role": "rw", "core_user": "r"}
    assert (role["plugin"], role["external"], role["contains"]) == ("", False, [])

    response = client.post("/api/v1/roles", headers=admin,
                           json={"name": "lead_auditor", "contains": ["auditor"]})
    assert response.json["contains"] == ["auditor"]

    changed = client.patch(f"/api/v1/roles/{role['id']}", headers=admin,
                           json={"label": "Auditor (read only)"}).json
    assert changed["label"] == "Auditor (read only)"
    assert changed["rights"] == role["rights"]  # not sent, so kept
    changed = client.patch(f"/api/v1/roles/{role['id']}", headers=admin,
                           json={"rights": {"core_user": "r"}}).json
    assert changed["rights"] == {"core_user": "r"}
    assert client.get(f"/api/v1/roles/{role['id']}", headers=admin).json == changed

    assert client.delete(f"/api/v1/roles/{role['id']}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/roles/{role['id']}", headers=admin).status_code == 404


def test_declared_roles_cannot_change(app, client, admin):
    with app.app_context():
        admin_role = db.session.scalar(db.select(Role.id).where(Role.name == "admin"))
    for response in (
        client.patch(f"/api/v1/roles/{admin_role}", headers=admin, json={"label": "Boss"}),
        client.delete(f"/api/v1/roles/{admin_role}", headers=admin),
    ):
        assert response.status_code == 409
        assert response.json["error"]["code"] == "conflict"
        assert "declared by plugin 'core'" in response.json["error"]["message"]
    assert client.get(f"/api/v1/roles/{admin_role}", headers=admin).json["label"] == (
        "Administrator")


def test_domains_crud(client, admin):
    top = client.get("/api/v1/domains", headers=admin).json["items"][0]
    response = client.post("/api/v1/domains", headers=admin, json={"name": "acme-msp"})
    assert response.status_code == 201
    msp = response.json
    assert msp["parent_id"] == top["id"]  # the caller's domain by default
    tenant = client.post("/api/v1/domains", headers=admin,
                         json={"name": "tenant", "parent_id": msp["id"]}).json
    assert tenant["parent_id"] == msp["id"]

    renamed = client.patch(f"/api/v1/domains/{tenant['id']}", headers=admin,
                           json={"name": "tenant-1"})
    assert renamed.json["name"] == "tenant-1"
    assert client.get(f"/api/v1/domains/{tenant['id']}", headers=admin).json == renamed.json

    refused = client.delete(f"/api/v1/domains/{msp['id']}", headers=admin)
    assert refused.status_code == 409
    assert "still has domains" in refused.json["error"]["message"]
    assert client.delete(f"/api/v1/domains/{tenant['id']}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/domains/{tenant['id']}", headers=admin).status_code == 404


def test_accounts_crud(client, admin, make_domain, make_user):
    domain = make_domain("tenant")
    response = client.post("/api/v1/accounts", headers=admin,
                           json={"name": "Acme", "domain_id": domain})
    assert response.status_code == 201
    acme = response.json
    assert (acme["name"], acme["domain_id"], acme["active"]) == ("Acme", domain, True)

    changed = client.patch(f"/api/v1/accounts/{acme['id']}", headers=admin,
                           json={"name": "Acme Ltd", "active": False}).json
    assert (changed["name"], changed["active"]) == ("Acme Ltd", False)
    assert client.get(f"/api/v1/accounts/{acme['id']}", headers=admin).json == changed

    make_user(account=acme["id"])
    refused = client.delete(f"/api/v1/accounts/{acme['id']}", headers=admin)
    assert refused.status_code == 409
    other = client.post("/api/v1/accounts", headers=admin, json={"name": "Other"}).json
    assert client.delete(f"/api/v1/accounts/{other['id']}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/accounts/{other['id']}", headers=admin).status_code == 404


def test_tokens_lifecycle(app, client, admin):
    response = client.post("/api/v1/tokens", headers=admin, json={"name": "CI sync"})
    assert response.status_code == 201
    created = response.json
    assert created["token"].startswith("onw_")
    assert created["prefix"] == created["token"][:12]
    assert "token_hash" not in created
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert client.get("/api/v1/me", headers=headers).json["email"] == "root@example.com"

    listed = client.get("/api/v1/tokens", headers=admin).json["items"]
    assert "CI sync" in {token["name"] for token in listed}
    assert all(not {"token", "token_hash"} & set(token) for token in listed)
    shown = client.get(f"/api/v1/tokens/{created['id']}", headers=admin).json
    assert "token" not in shown
    assert shown["active"] is True

    assert client.delete(f"/api/v1/tokens/{created['id']}", headers=admin).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    revoked = client.get(f"/api/v1/tokens/{created['id']}", headers=admin).json
    assert revoked["active"] is False
    assert revoked["revoked_at"]
    with app.app_context():
        assert db.session.get(ApiToken, created["id"]) is not None  # revoked, not deleted


def test_tokens_list_shows_own_tokens_to_users_without_rights(client, admin, make_user,
                                                              make_token):
    user = make_user()
    make_token(user, name="mine")
    headers = {"Authorization": f"Bearer {make_token(user, name='also mine')}"}
    names = {token["name"] for token in client.get("/api/v1/tokens", headers=headers).json["items"]}
    assert names == {"mine", "also mine"}
    admin_names = {t["name"] for t in client.get("/api/v1/tokens", headers=admin).json["items"]}
    assert {"mine", "also mine", "test token"} <= admin_names  # an admin sees its domains'


def test_me(app, client, make_user, api_headers):
    from onward.core.actor import SYSTEM, acting_as
    from onward.core.roles import save_role

    with app.app_context(), acting_as(SYSTEM):
        save_role(None, name="reader", rights={"core_user": "r"})
        save_role(None, name="senior", contains=["reader"])
        db.session.commit()
    user = make_user("senior", email="me@example.com", name="Me")
    body = client.get("/api/v1/me", headers=api_headers(user)).json
    assert (body["id"], body["email"], body["name"]) == (user, "me@example.com", "Me")
    assert body["roles"] == ["senior"]
    assert body["effective_roles"] == ["reader", "senior"]
    assert not SECRET_FIELDS & set(body)
