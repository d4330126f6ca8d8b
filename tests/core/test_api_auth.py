"""API authentication: Bearer tokens, and session cookies that need the CSRF token."""

import pytest
from flask import session
from flask_wtf.csrf import generate_csrf

from onward.core.db import db
from onward.core.models import ApiToken


def csrf_token_for(app, client) -> str:
    """A CSRF token valid for ``client``'s session (what a page would embed)."""
    with app.test_request_context():
        token = generate_csrf()
        raw = session["csrf_token"]
    with client.session_transaction() as client_session:
        client_session["csrf_token"] = raw
    return token


def tokens_named(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(
            db.select(db.func.count(ApiToken.id)).where(ApiToken.name == name))


@pytest.mark.onward_config(WTF_CSRF_ENABLED=True)
def test_cookie_json_post_needs_the_csrf_header(app, client, login_as):
    login_as(email="cookie@example.com")
    assert client.get("/api/v1/me").json["email"] == "cookie@example.com"  # GET needs none

    refused = client.post("/api/v1/tokens", json={"name": "no csrf"})
    assert refused.status_code == 400
    assert refused.json["error"]["code"] == "csrf_failed"
    refused = client.post("/api/v1/tokens", json={"name": "no csrf"},
                          headers={"X-CSRFToken": "forged"})
    assert refused.status_code == 400
    assert tokens_named(app, "no csrf") == 0

    token = csrf_token_for(app, client)
    accepted = client.post("/api/v1/tokens", json={"name": "with csrf"},
                           headers={"X-CSRFToken": token})
    assert accepted.status_code == 201, accepted.json
    assert tokens_named(app, "with csrf") == 1


@pytest.mark.onward_config(WTF_CSRF_ENABLED=True)
def test_bearer_needs_no_csrf_and_sets_no_cookie(app, client, make_user, api_headers):
    headers = api_headers(make_user("admin"))
    created = client.post("/api/v1/domains", headers=headers, json={"name": "by-token"})
    assert created.status_code == 201
    assert "Set-Cookie" not in created.headers
    read = client.get("/api/v1/me", headers=headers)
    assert read.status_code == 200
    assert "Set-Cookie" not in read.headers
    assert client.get_cookie(app.config["SESSION_COOKIE_NAME"]) is None


def test_bearer_wins_over_session_cookie(client, login_as, make_user, api_headers):
    login_as(email="cookie@example.com")
    token_headers = api_headers(make_user(email="token@example.com"))
    assert client.get("/api/v1/me").json["email"] == "cookie@example.com"
    assert client.get("/api/v1/me", headers=token_headers).json["email"] == "token@example.com"

    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer onw_wrong"})
    assert bad.status_code == 401  # a bad token never falls back to the cookie
    assert bad.json["error"]["message"] == "Invalid API token."
