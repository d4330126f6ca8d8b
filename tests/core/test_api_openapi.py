"""The OpenAPI document at /api/openapi.json: valid OpenAPI 3, and every endpoint in it."""

import re

import pytest
from openapi_spec_validator import validate

ERROR_REF = {"$ref": "#/components/schemas/Error"}


@pytest.fixture
def spec(client):
    response = client.get("/api/openapi.json")  # public: clients read it before they sign in
    assert response.status_code == 200
    return response.json


def api_operations(app, blueprint: str = "") -> set[tuple[str, str]]:
    """(OpenAPI path, method) of every API route the app serves (of ``blueprint`` if given)."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint.startswith(blueprint):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            found |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def test_spec_is_valid_openapi_3(spec):
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http",
                                                               "scheme": "bearer"}


def test_every_endpoint_is_documented(app, spec):
    operations = api_operations(app)
    assert {path for path, _method in operations} >= {
        "/api/v1/users", "/api/v1/users/{record_id}", "/api/v1/me", "/api/v1/roles",
        "/api/v1/roles/{record_id}", "/api/v1/domains", "/api/v1/domains/{record_id}",
        "/api/v1/accounts", "/api/v1/accounts/{record_id}", "/api/v1/tokens",
        "/api/v1/tokens/{record_id}",
    }
    documented = {(path, method) for path, item in spec["paths"].items() for method in item
                  if method != "parameters"}
    assert documented == operations
    for path, method in api_operations(app, "core_api."):
        operation = spec["paths"][path][method]
        assert operation["summary"], (path, method)
        assert "401" in operation["responses"], (path, method)
        success = [code for code in operation["responses"] if code.startswith("2")]
        assert success, (path, method)


def test_errors_are_documented_in_the_error_shape(spec):
    responses = spec["components"]["responses"]
    for name in ("UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "CONFLICT", "DEFAULT_ERROR"):
        assert responses[name]["content"]["application/json"]["schema"] == ERROR_REF
    detail = spec["components"]["schemas"]["ErrorDetail"]["properties"]
    assert set(detail) == {"code", "message", "fields"}
    users = spec["paths"]["/api/v1/users"]
    assert set(users["post"]["responses"]) >= {"201", "401", "403", "409", "422"}
    assert set(spec["paths"]["/api/v1/users/{record_id}"]["get"]["responses"]) >= {"200", "404"}


def test_lists_document_their_arguments_and_page(spec):
    operation = spec["paths"]["/api/v1/users"]["get"]
    parameters = {param["name"]: param for param in operation["parameters"]}
    assert set(parameters) == {"q", "sort", "page", "page_size", "active", "account_id",
                               "domain_id"}
    assert all(param["in"] == "query" for param in parameters.values())
    assert parameters["active"]["schema"]["type"] == "boolean"
    assert "last_sign_in_at" in parameters["sort"]["description"]
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert page == {"$ref": "#/components/schemas/UserPage"}
    assert set(spec["components"]["schemas"]["UserPage"]["properties"]) == {"items", "meta"}


def test_schemas_never_expose_secrets(spec):
    schemas = spec["components"]["schemas"]
    for name in ("User", "Me", "UserCreate", "UserUpdate", "Token", "TokenCreated"):
        assert not {"password_hash", "totp_secret", "totp_last_step", "token_hash"} & set(
            schemas[name]["properties"]), name
    assert schemas["UserCreate"]["properties"]["password"]["writeOnly"] is True
    assert schemas["User"]["properties"]["roles"]["items"] == {"type": "string"}
    assert "token" in schemas["TokenCreated"]["properties"]
    assert "token" not in schemas["Token"]["properties"]
