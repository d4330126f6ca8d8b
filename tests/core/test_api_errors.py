"""Every API error comes out as {"error": {"code", "message", "fields"}}, nothing lost."""

import pytest

from onward.core.access import get_or_404
from onward.core.actor import SYSTEM, acting_as
from onward.core.db import db
from onward.core.errors import NotFound
from onward.core.models import Domain, User
from onward.core.roles import save_role
from onward.core.users import deactivate


@pytest.fixture
def admin(make_user, api_headers):
    """Headers of an admin in the top domain."""
    return api_headers(make_user("admin"))


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.json
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(model.id)))


# --- 401 --------------------------------------------------------------------------------


def test_401_without_token(client):
    for response in (client.get("/api/v1/users"), client.get("/api/v1/me"),
                     client.post("/api/v1/domains", json={"name": "x"})):
        error = error_of(response, 401, "unauthenticated")
        assert error["message"] == "Sign in first."
        assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Bearer onw_not-a-real-token", "Bearer nonsense", "Bearer "])
def test_401_with_bad_token(client, header):
    error_of(client.get("/api/v1/me", headers={"Authorization": header}), 401, "unauthenticated")


def test_401_with_bad_token_names_the_token(client):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer onw_wrong"})
    assert error_of(response, 401, "unauthenticated")["message"] == "Invalid API token."


def test_401_with_revoked_token(client, make_user, api_headers):
    headers = api_headers(make_user())
    tokens = client.get("/api/v1/tokens", headers=headers).json["items"]
    assert client.delete(f"/api/v1/tokens/{tokens[0]['id']}", headers=headers).status_code == 204
    error_of(client.get("/api/v1/me", headers=headers), 401, "unauthenticated")


def test_401_with_token_of_deactivated_user(app, client, make_user, api_headers):
    user = make_user()
    headers = api_headers(user)
    with app.app_context(), acting_as(SYSTEM):
        deactivate(db.session.get(User, user))
        db.session.commit()
    error_of(client.get("/api/v1/me", headers=headers), 401, "unauthenticated")


# --- 403 and 404 ------------------------------------------------------------------------


def test_403_without_the_right(app, client, make_user, api_headers):
    with app.app_context(), acting_as(SYSTEM):
        save_role(None, name="user_reader", rights={"core_user": "r"})
        db.session.commit()
    headers = api_headers(make_user("user_reader"))
    assert client.get("/api/v1/users", headers=headers).status_code == 200
    error = error_of(client.post("/api/v1/users", headers=headers, json={"email": "x@example.com"}),
                     403, "forbidden")
    assert "create" in error["message"]
    error_of(client.get("/api/v1/domains", headers=headers), 403, "forbidden")
    assert count(app, User) == 1


def test_404_for_another_tenants_records(app, client, make_domain, make_account, make_user,
                                         api_headers):
    mine, theirs = make_domain("tenant-mine"), make_domain("tenant-theirs")
    headers = api_headers(make_user("admin", domain=mine))
    secret_account = make_account("Their Secret Account", domain=theirs)
    secret_user = make_user(email="secret@theirs.example", domain=theirs)
    for path in (f"/api/v1/domains/{theirs}", f"/api/v1/accounts/{secret_account}",
                 f"/api/v1/users/{secret_user}"):
        for response in (client.get(path, headers=headers),
                         client.patch(path, headers=headers, json={"name": "Mine now"})):
            error_of(response, 404, "not_found")
            text = response.get_data(as_text=True)
            for leak in ("Secret", "secret@", "theirs"):
                assert leak not in text
    error_of(client.delete(f"/api/v1/accounts/{secret_account}", headers=headers), 404,
             "not_found")
    listed = client.get("/api/v1/accounts", headers=headers).json
    assert listed == {"items": [], "meta": {"page": 1, "page_size": 25, "total": 0, "pages": 1}}
    with app.app_context():
        assert db.session.get(Domain, theirs).name == "tenant-theirs"  # nothing changed


def test_404_for_body_references_is_a_field_error(client, make_domain, make_account, make_user,
                                                   api_headers):
    mine, theirs = make_domain("tenant-mine"), make_domain("tenant-theirs")
    headers = api_headers(make_user("admin", domain=mine))
    account = make_account("Theirs", domain=theirs)
    error = error_of(client.post("/api/v1/users", headers=headers,
                                 json={"email": "x@example.com", "account_id": account}),
                     422, "validation_failed")
    assert list(error["fields"]) == ["account_id"]
    error = error_of(client.post("/api/v1/accounts", headers=headers,
                                 json={"name": "Sneaky", "domain_id": theirs}),
                     422, "validation_failed")
    assert list(error["fields"]) == ["domain_id"]


def test_numbers_no_database_holds_are_refused_before_any_query(app, client, admin):
    huge = 10**30
    error = error_of(client.post("/api/v1/users", headers=admin,
                                 json={"email": "x@example.com", "account_id": huge}),
                     400, "bad_request")
    assert error["fields"] == {"json": [
        "$.account_id is a number no database stores: NaN, Infinity or a whole number past "
        "64 bits."]}
    error = error_of(client.post("/api/v1/accounts", headers=admin, data='{"name": NaN}',
                                 content_type="application/json"), 400, "bad_request")
    assert error["fields"] == {"json": [
        "$.name is a number no database stores: NaN, Infinity or a whole number past "
        "64 bits."]}
    error = error_of(client.post("/api/v1/accounts", headers=admin,
                                 data="[" * 100_000 + "]" * 100_000,
                                 content_type="application/json"), 400, "bad_request")
    assert error["fields"] == {"json": ["The body nests arrays or objects too deeply."]}
    assert client.get(f"/api/v1/users/{huge}", headers=admin).status_code == 404
    with app.app_context(), acting_as(SYSTEM), pytest.raises(NotFound):
        get_or_404(User, huge)  # what a form's number reaches


def test_unknown_paths_and_methods(client, admin):
    error_of(client.get("/api/v1/users/99999", headers=admin), 404, "not_found")
    error_of(client.get("/api/v1/users/abc", headers=admin), 404, "not_found")
    error_of(client.get("/api/v1/nothing-here", headers=admin), 404, "not_found")
    error_of(client.delete("/api/v1/users/1", headers=admin), 405, "method_not_allowed")


# --- 409 --------------------------------------------------------------------------------


def test_409_duplicates(app, client, admin, make_user):
    make_user(email="taken@example.com")
    error = error_of(client.post("/api/v1/users", headers=admin,
                                 json={"email": "TAKEN@example.com"}), 409, "conflict")
    assert error["fields"] == {"email": ["Taken."]}
    other = client.post("/api/v1/users", headers=admin, json={"email": "free@example.com"}).json
    error_of(client.patch(f"/api/v1/users/{other['id']}", headers=admin,
                          json={"email": "taken@example.com"}), 409, "conflict")

    client.post("/api/v1/domains", headers=admin, json={"name": "acme"})
    error = error_of(client.post("/api/v1/domains", headers=admin, json={"name": "ACME"}),
                     409, "conflict")
    assert "exists already" in error["message"]
    assert count(app, Domain) == 2


# --- 422 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "text"),
    [
        ({"email": "not an email"}, "email", "not a valid email address"),
        ({"email": "weak@example.com", "password": "password"}, "password",
         "most common ones"),
        ({"email": "short@example.com", "password": "x7"}, "password", "at least"),
        ({"email": "r@example.com", "roles": ["wizard"]}, "roles", "Unknown role 'wizard'"),
        ({"email": "f@example.com", "favourite_colour": "red"}, "favourite_colour",
         "Unknown field"),
        ({"name": "No Email"}, "email", "Missing data"),
        ({"email": "t@example.com", "roles": "admin"}, "roles", "Not a valid list"),
        ({"email": "b@example.com", "account_id": 1, "domain_id": 1}, "domain_id", "not both"),
    ],
)
def test_422_invalid_user(app, client, admin, body, field, text):
    error = error_of(client.post("/api/v1/users", headers=admin, json=body), 422,
                     "validation_failed")
    assert error["fields"][field]
    assert text in error["message"]
    assert count(app, User) == 1  # only the admin


def test_422_nested_fields_are_dotted(client, admin):
    error = error_of(client.post("/api/v1/roles", headers=admin,
                                 json={"name": "x", "rights": {"core_user": 5}}),
                     422, "validation_failed")
    assert list(error["fields"]) == ["rights.core_user.value"]
    error = error_of(client.post("/api/v1/roles", headers=admin,
                                 json={"name": "y", "rights": {"core_user": "rx"}}),
                     422, "validation_failed")
    assert "Unknown right letters 'x'" in error["message"]


def test_422_on_patch_with_unknown_field_changes_nothing(client, admin, make_user):
    user = make_user(name="Kept")
    error = error_of(client.patch(f"/api/v1/users/{user}", headers=admin,
                                  json={"name": "Lost", "password_hash": "x"}),
                     422, "validation_failed")
    assert error["fields"] == {"password_hash": ["Unknown field."]}
    assert client.get(f"/api/v1/users/{user}", headers=admin).json["name"] == "Kept"


def test_malformed_json_body(client, admin):
    response = client.post("/api/v1/domains", headers=admin, data="{not json",
                           content_type="application/json")
    error = error_of(response, 400, "bad_request")
    assert error["fields"] == {"json": ["Invalid JSON body."]}
    error = error_of(client.post("/api/v1/domains", headers=admin, json=["a list"]), 422,
                     "validation_failed")
    assert error["fields"] == {"_schema": ["Invalid input type."]}
