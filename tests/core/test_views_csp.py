"""Every page obeys the Content-Security-Policy: no inline script, style or handlers."""


import pytest
from csp_check import assert_csp_safe
from sqlalchemy import select

from onward.core.db import db
from onward.core.models import Role


def test_the_checks_catch_violations():
    for bad in ['<script>alert(1)</script>', '<div style="color:red">', '<style>p{}</style>',
                '<a onclick="x()">', '<a href="javascript:x()">',
                '<link rel="stylesheet" href="https://cdn.example/x.css">']:
        with pytest.raises(AssertionError):
            assert_csp_safe(bad, "sample")
    assert_csp_safe('<script src="/static/core/onward.js" defer></script>', "sample")


@pytest.fixture
def records(app, make_domain, make_account, make_user):
    """One of each record, so every page has something to show."""
    tenant = make_domain("tenant-a")
    account = make_account("Acme", domain=tenant)
    contact = make_user("exemplar_customer", account=account, email="bob@acme.example")
    with app.app_context():
        role = db.session.scalar(select(Role.id).where(Role.name == "exemplar_viewer"))
    return {"domain": tenant, "account": account, "user": contact, "role": role}


def test_every_admin_page_is_csp_safe(app, client, login_as, records):
    admin = login_as("admin", name="Root")
    client.post("/admin/roles/new", data={"name": "custom", "new_table": "core_user",
                                          "new_rights": ["r"]})
    with app.app_context():
        custom = db.session.scalar(select(Role.id).where(Role.name == "custom"))
    pages = [
        "/", "/profile", "/admin/plugins", "/admin/audit", "/admin/audit?kind=change",
        "/admin/users", "/admin/users?q=nobody", "/admin/users/new", f"/admin/users/{admin}",
        f"/admin/users/{records['user']}", "/admin/roles", "/admin/roles/new",
        f"/admin/roles/{records['role']}", f"/admin/roles/{custom}", "/admin/domains",
        "/admin/domains/new", f"/admin/domains/{records['domain']}", "/admin/accounts",
        "/admin/accounts?active=false", "/admin/accounts/new",
        f"/admin/accounts/{records['account']}", "/admin/users/999999",
        "/admin/users?page=zero",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code in (200, 404, 422), url
        assert_csp_safe(response.get_data(as_text=True), url)
    forms = {
        "/admin/users/new": {"kind": "customer", "email": "x"},
        f"/admin/users/{records['user']}": {"email": ""},
        f"/admin/users/{records['user']}/password": {"pw-password": "x", "pw-confirm": "y"},
        "/admin/roles/new": {"name": "Bad", "new_table": "Bad Table", "new_rights": ["r"]},
        "/admin/domains/new": {"name": ""},
        "/admin/accounts/new": {"name": ""},
        "/profile/password": {"pw-current": "x"},
        "/profile/tokens": {"token-name": "CI"},
        "/profile/two-factor": {"action": "start"},
    }
    for url, data in forms.items():
        response = client.post(url, data=data)
        assert_csp_safe(response.get_data(as_text=True), f"POST {url}")


def test_sign_in_pages_are_csp_safe(client, make_user):
    make_user("admin", email="root@example.com")
    assert_csp_safe(client.get("/sign-in").get_data(as_text=True), "/sign-in")
    wrong = client.post("/sign-in", data={"email": "root@example.com", "password": "x"})
    assert_csp_safe(wrong.get_data(as_text=True), "wrong password")
    client.post("/sign-in", data={"email": "root@example.com",
                                  "password": "correct horse battery staple"})
    enrol = client.get("/sign-in/two-factor/set-up")
    assert enrol.status_code == 200
    assert_csp_safe(enrol.get_data(as_text=True), "two-factor set-up")


def test_two_factor_and_customer_pages_are_csp_safe(client, login_as, make_user, make_account):
    make_user(email="ada@example.com", totp_secret="JBSWY3DPEHPK3PXP")
    client.post("/sign-in", data={"email": "ada@example.com",
                                  "password": "correct horse battery staple"})
    page = client.get("/sign-in/two-factor")
    assert page.status_code == 200
    assert_csp_safe(page.get_data(as_text=True), "two-factor")
    login_as("exemplar_customer", account=make_account("Acme"))
    for url in ("/", "/profile", "/admin/roles"):
        assert_csp_safe(client.get(url).get_data(as_text=True), f"customer {url}")
