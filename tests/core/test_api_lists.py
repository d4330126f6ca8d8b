"""The list conventions of the API: pages, sort, search, filters, and their errors."""

import pytest


@pytest.fixture
def admin(make_user, api_headers):
    """Headers of an admin in the top domain."""
    return api_headers(make_user("admin"))


@pytest.fixture
def accounts(make_account, make_domain):
    """Five accounts named a…e; b and d in a second domain. Returns that domain's id."""
    other = make_domain("second")
    for name in "cabed":
        make_account(f"{name}-corp", domain=other if name in "bd" else None)
    return other


def names(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [item["name"] for item in response.json["items"]]


def assert_invalid(response, field: str, text: str) -> None:
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "validation_failed"
    assert text in error["message"]
    assert list(error["fields"]) == [field]


def test_page_two(client, admin, accounts):
    response = client.get("/api/v1/accounts?page=2&page_size=2", headers=admin)
    assert names(response) == ["c-corp", "d-corp"]  # default sort: name
    assert response.json["meta"] == {"page": 2, "page_size": 2, "total": 5, "pages": 3}
    last = client.get("/api/v1/accounts?page=3&page_size=2", headers=admin)
    assert names(last) == ["e-corp"]
    beyond = client.get("/api/v1/accounts?page=9&page_size=2", headers=admin)
    assert names(beyond) == []
    assert beyond.json["meta"]["total"] == 5


@pytest.mark.onward_config(MAX_PAGE_SIZE=3)
def test_page_size_is_capped(client, admin, accounts):
    response = client.get("/api/v1/accounts?page_size=1000", headers=admin)
    assert len(response.json["items"]) == 3
    assert response.json["meta"] == {"page": 1, "page_size": 3, "total": 5, "pages": 2}


def test_sort_search_and_filter(client, admin, accounts):
    assert names(client.get("/api/v1/accounts?sort=-name", headers=admin)) == [
        "e-corp", "d-corp", "c-corp", "b-corp", "a-corp"]
    assert names(client.get("/api/v1/accounts?sort=-created_at,name", headers=admin)) == [
        "d-corp", "e-corp", "b-corp", "a-corp", "c-corp"]
    assert names(client.get("/api/v1/accounts?q=B-CO", headers=admin)) == ["b-corp"]
    assert names(client.get(f"/api/v1/accounts?domain_id={accounts}", headers=admin)) == [
        "b-corp", "d-corp"]
    assert names(client.get(f"/api/v1/accounts?domain_id={accounts}&q=d", headers=admin)) == [
        "d-corp"]


def test_boolean_filter(client, admin, make_user):
    make_user(email="gone@example.com")
    gone = client.get("/api/v1/users?q=gone", headers=admin).json["items"][0]
    client.patch(f"/api/v1/users/{gone['id']}", headers=admin, json={"active": False})
    inactive = client.get("/api/v1/users?active=false", headers=admin).json["items"]
    assert [user["email"] for user in inactive] == ["gone@example.com"]
    active = client.get("/api/v1/users?active=true", headers=admin).json["items"]
    assert "gone@example.com" not in {user["email"] for user in active}


def test_list_argument_errors(client, admin):
    assert_invalid(client.get("/api/v1/accounts?sort=-secret", headers=admin),
                   "sort", "Cannot sort by 'secret'")
    assert_invalid(client.get("/api/v1/accounts?colour=red", headers=admin),
                   "colour", "Unknown filter 'colour'")
    assert_invalid(client.get("/api/v1/accounts?page=0", headers=admin), "page", "Invalid page")
    assert_invalid(client.get("/api/v1/accounts?page_size=many", headers=admin),
                   "page_size", "Invalid page_size")
    assert_invalid(client.get(f"/api/v1/accounts?page={10**23}", headers=admin), "page",
                   "Invalid page")  # no offset beyond the database's integers
    huge_id = client.get(f"/api/v1/accounts?domain_id={10**23}", headers=admin)
    assert huge_id.status_code == 422
    assert "at most 64 bits" in huge_id.json["error"]["message"]
    assert client.get(f"/api/v1/accounts/{10**23}", headers=admin).status_code == 404
