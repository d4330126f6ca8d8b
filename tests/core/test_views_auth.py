"""Signing in through the web UI: passwords, two-factor, sessions, tokens, CSRF, headers."""

import re

import pyotp
import pytest
from sqlalchemy import select

from onward.core.actor import SYSTEM, acting_as
from onward.core.db import db
from onward.core.models import AuditEntry, User
from onward.core.testing import TEST_PASSWORD
from onward.core.totp import new_recovery_codes

NEW_PASSWORD = "a long and unusual passphrase"


def html(response) -> str:
    return response.get_data(as_text=True)


def sign_in(client, email, password=TEST_PASSWORD, **extra):
    return client.post("/sign-in", data={"email": email, "password": password, **extra})


def signed_in(client) -> bool:
    return client.get("/").status_code == 200


def audit_kinds(app) -> list[str]:
    """The security events of the audit log (not the field changes), oldest first."""
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.kind).where(
            AuditEntry.kind != "change").order_by(AuditEntry.id)))


def csrf_token(page: str) -> str:
    tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', page).group(0)
    return re.search(r'value="([^"]+)"', tag).group(1)


@pytest.fixture
def secret():
    return pyotp.random_base32()


# --- passwords --------------------------------------------------------------------------


def test_wrong_password_is_refused_and_audited(app, client, make_user):
    make_user(email="ada@example.com")
    response = sign_in(client, "ada@example.com", "not the password")
    assert response.status_code == 200
    assert "Wrong email or password." in html(response)
    assert 'value="ada@example.com"' in html(response)  # the email stays typed
    assert not signed_in(client)
    assert audit_kinds(app) == ["sign_in_failed"]
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.kind == "sign_in_failed")).one()
        assert "ada@example.com" in entry.detail


def test_right_password_leads_home_and_sign_out_ends_it(app, client, make_user):
    make_user("exemplar_viewer", email="ada@example.com", name="Ada")
    response = sign_in(client, "ADA@example.com")
    assert response.status_code == 302 and response.location == "/"
    assert "Welcome, Ada" in html(client.get("/"))
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        assert user.last_sign_in_at is not None
    assert client.post("/sign-out").status_code == 302
    assert not signed_in(client)
    assert audit_kinds(app)[-2:] == ["sign_in", "sign_out"]


def test_emails_are_kept_lower_case_however_written(app, client, make_user):
    user = make_user("exemplar_viewer", email=" Ada@Example.COM ")  # written past create_user
    with app.app_context():
        assert db.session.get(User, user).email == "ada@example.com"
    assert sign_in(client, "ada@EXAMPLE.com").status_code == 302 and signed_in(client)


def test_sign_in_follows_next_on_this_site_only(client, make_user):
    make_user(email="ada@example.com")
    response = client.post("/sign-in?next=/profile", data={
        "email": "ada@example.com", "password": TEST_PASSWORD})
    assert response.location == "/profile"
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example/"):
        other = client.application.test_client()
        response = other.post("/sign-in", query_string={"next": target}, data={
            "email": "ada@example.com", "password": TEST_PASSWORD})
        assert response.location == "/", target


def test_a_deactivated_user_cannot_sign_in(app, client, make_user):
    user = make_user(email="ada@example.com")
    with app.app_context():
        db.session.get(User, user).active = False
        db.session.commit()
    assert "Wrong email or password." in html(sign_in(client, "ada@example.com"))
    assert not signed_in(client)


@pytest.mark.onward_config(RATELIMIT_ENABLED=True, SIGN_IN_RATE_LIMIT="3 per minute")
def test_sign_in_is_rate_limited(client, make_user):
    make_user(email="ada@example.com")
    for _attempt in range(3):
        assert sign_in(client, "ada@example.com", "wrong").status_code == 200
    response = sign_in(client, "ada@example.com")
    assert response.status_code == 429
    assert "Too Many Requests" in html(response)
    assert not signed_in(client)


# --- two-factor sign-in -----------------------------------------------------------------


def test_admin_without_totp_must_set_it_up(app, client, make_user):
    make_user("admin", email="root@example.com")
    response = sign_in(client, "root@example.com")
    assert response.location == "/sign-in/two-factor/set-up"
    assert not signed_in(client)  # no session before the second factor

    page = html(client.get("/sign-in/two-factor/set-up"))
    assert 'src="data:image/svg+xml' in page
    secret = re.search(r'data-testid="totp-secret"[^>]*>([A-Z2-7]+)<', page).group(1)
    wrong = client.post("/sign-in/two-factor/set-up", data={"code": "000000"})
    assert "does not match" in html(wrong)
    assert not signed_in(client)

    response = client.post("/sign-in/two-factor/set-up", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", html(response))
    assert len(codes) == 10
    assert signed_in(client)
    with app.app_context():
        assert db.session.scalars(select(User)).one().totp_secret == secret


def test_user_with_totp_must_enter_a_code(client, make_user, secret):
    make_user(email="ada@example.com", totp_secret=secret)
    response = sign_in(client, "ada@example.com")
    assert response.location == "/sign-in/two-factor"
    assert not signed_in(client)
    assert "That code is not valid" in html(client.post("/sign-in/two-factor",
                                                         data={"code": "123456"}))
    assert not signed_in(client)
    response = client.post("/sign-in/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302 and response.location == "/"
    assert signed_in(client)


def test_a_used_totp_code_cannot_be_replayed(app, client, make_user, secret):
    make_user(email="ada@example.com", totp_secret=secret)
    code = pyotp.TOTP(secret).now()
    sign_in(client, "ada@example.com")
    assert client.post("/sign-in/two-factor", data={"code": code}).status_code == 302

    thief = app.test_client()
    sign_in(thief, "ada@example.com")
    response = thief.post("/sign-in/two-factor", data={"code": code})
    assert response.status_code == 200 and "That code is not valid" in html(response)
    assert not signed_in(thief)


def test_a_recovery_code_works_once(app, client, make_user, secret):
    user = make_user(email="ada@example.com", totp_secret=secret)
    with app.app_context(), acting_as(SYSTEM):
        codes = new_recovery_codes(db.session.get(User, user))
        db.session.commit()

    sign_in(client, "ada@example.com")
    assert client.post("/sign-in/two-factor", data={"code": codes[0]}).status_code == 302
    assert signed_in(client)

    again = app.test_client()
    sign_in(again, "ada@example.com")
    assert "That code is not valid" in html(again.post("/sign-in/two-factor",
                                                        data={"code": codes[0]}))
    assert not signed_in(again)
    assert again.post("/sign-in/two-factor", data={"code": codes[1]}).status_code == 302


def test_profile_turns_two_factor_on_and_off(app, client, login_as):
    login_as("exemplar_viewer")
    page = html(client.post("/profile/two-factor", data={"action": "start"}))
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)
    response = client.post("/profile/two-factor", data={
        "action": "confirm", "totp-code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200 and "Your recovery codes" in html(response)
    assert "10 recovery codes left" in html(client.get("/profile"))
    response = client.post("/profile/two-factor", data={"action": "disable"},
                           follow_redirects=True)
    assert "Two-factor sign-in is off." in html(response)
    assert 'value="start"' in html(response)
    with app.app_context():
        assert db.session.scalars(select(User)).one().totp_secret is None


def test_administrators_cannot_turn_two_factor_off(app, client, login_as):
    user = login_as("admin", totp_secret=pyotp.random_base32())
    response = client.post("/profile/two-factor", data={"action": "disable"},
                           follow_redirects=True)
    assert "Administrators must keep two-factor sign-in on." in html(response)
    with app.app_context():
        assert db.session.get(User, user).totp_secret is not None


# --- sessions ---------------------------------------------------------------------------


def test_password_change_ends_other_sessions_and_keeps_this_one(app, client, make_user):
    make_user("exemplar_viewer", email="ada@example.com")
    sign_in(client, "ada@example.com")
    laptop = app.test_client()
    sign_in(laptop, "ada@example.com")
    assert signed_in(client) and signed_in(laptop)

    wrong = client.post("/profile/password", data={
        "pw-current": "not it", "pw-password": NEW_PASSWORD, "pw-confirm": NEW_PASSWORD})
    assert wrong.status_code == 422 and "This is not your current password." in html(wrong)
    weak = client.post("/profile/password", data={
        "pw-current": TEST_PASSWORD, "pw-password": "password", "pw-confirm": "password"})
    assert weak.status_code == 422 and "Use at least 12 characters." in html(weak)
    assert signed_in(laptop)

    response = client.post("/profile/password", data={
        "pw-current": TEST_PASSWORD, "pw-password": NEW_PASSWORD, "pw-confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert signed_in(client)
    assert not signed_in(laptop)
    fresh = app.test_client()
    sign_in(fresh, "ada@example.com", NEW_PASSWORD)
    assert signed_in(fresh)


def test_sign_out_everywhere_ends_every_session(app, client, make_user):
    make_user(email="ada@example.com")
    sign_in(client, "ada@example.com")
    phone = app.test_client()
    sign_in(phone, "ada@example.com")
    response = client.post("/profile/sign-out-everywhere")
    assert response.status_code == 302 and response.location == "/sign-in"
    assert not signed_in(client)
    assert not signed_in(phone)


def test_pages_need_a_session(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.location == "/sign-in?next=/admin/users"


# --- API tokens -------------------------------------------------------------------------


def test_tokens_are_shown_once_and_can_be_revoked(app, client, login_as):
    login_as("exemplar_viewer")
    assert client.post("/profile/tokens", data={"token-name": ""}).status_code == 422
    response = client.post("/profile/tokens", data={"token-name": "CI sync"})
    assert response.status_code == 200
    text = re.search(r'data-testid="new-token"[^>]*>(onw_[^<]+)<', html(response)).group(1)
    headers = {"Authorization": f"Bearer {text}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200

    page = html(client.get("/profile"))
    assert "CI sync" in page and text not in page and text[:12] in page
    token_id = re.search(r'/profile/tokens/(\d+)/revoke', page).group(1)
    assert client.post(f"/profile/tokens/{token_id}/revoke").status_code == 302
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert "Revoked" in html(client.get("/profile"))


def test_someone_elses_token_cannot_be_revoked(client, login_as, make_user, make_token, app):
    other = make_user()
    make_token(other)
    login_as("exemplar_viewer")
    with app.app_context():
        from onward.core.models import ApiToken

        token_id = db.session.scalars(select(ApiToken.id)).one()
    assert client.post(f"/profile/tokens/{token_id}/revoke").status_code == 404


# --- CSRF and headers -------------------------------------------------------------------


@pytest.mark.onward_config(WTF_CSRF_ENABLED=True)
def test_forms_need_their_csrf_token(app, client, login_as):
    login_as("admin")
    refused = client.post("/admin/domains/new", data={"name": "no-token", "parent": 1})
    assert refused.status_code == 400
    assert "The form expired" in html(refused)
    token = csrf_token(html(client.get("/admin/domains/new")))
    response = client.post("/admin/domains/new", data={
        "name": "with-token", "parent": 1, "csrf_token": token})
    assert response.status_code == 302
    # the one-button forms (sign out) carry it too
    token = csrf_token(html(client.get("/")))
    assert client.post("/sign-out").status_code == 400
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302


@pytest.mark.onward_config(WTF_CSRF_ENABLED=True)
def test_sign_in_needs_its_csrf_token(client, make_user):
    make_user(email="ada@example.com")
    assert sign_in(client, "ada@example.com").status_code == 400
    token = csrf_token(html(client.get("/sign-in")))
    assert sign_in(client, "ada@example.com", csrf_token=token).status_code == 302


def test_security_headers(client):
    response = client.get("/sign-in")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
