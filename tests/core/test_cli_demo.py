"""``onward demo``: core's and plugins' demo data, idempotent, with sign-ins that work."""

import pyotp
import pytest
from sqlalchemy import select

from onward.core.db import db
from onward.core.demo import DEMO_PASSWORD, demo_sign_ins
from onward.core.models import Account, Domain, User
from onward.core.passwords import password_problems

from .cli_helpers import count, ok


@pytest.fixture
def demo(runner):
    """Load the demo data once; returns the command's output."""
    return ok(runner.invoke(["demo"]))


def test_second_run_adds_nothing(app, runner, demo, exemplar):
    models = (Domain, Account, User, exemplar.ExemplarThing)
    before = {model: count(app, model) for model in models}
    assert before[exemplar.ExemplarThing] == 1  # core's accounts were there for the exemplar
    output = ok(runner.invoke(["demo"]))
    assert {model: count(app, model) for model in models} == before
    assert "admin@example.com" in output


def test_output_has_the_sign_ins_the_secret_and_the_address(demo):
    for sign_in in demo_sign_ins():
        assert sign_in.email in demo
    assert DEMO_PASSWORD in demo
    admin = next(sign_in for sign_in in demo_sign_ins() if sign_in.totp_secret)
    assert admin.email == "admin@example.com"
    assert admin.totp_secret in demo
    assert "otpauth://totp/" in demo
    assert "http://127.0.0.1:5000/" in demo


def test_demo_records(app, demo):
    with app.app_context():
        tenant = db.session.scalar(select(Domain).where(Domain.name == "acme-msp"))
        assert tenant.parent.parent_id is None
        accounts = {a.name: a.domain.name for a in db.session.scalars(select(Account))}
        assert accounts == {"Northwind Traders": "global", "Contoso Ltd": "global",
                            "Fabrikam Inc": "acme-msp"}
        users = {u.email: u for u in db.session.scalars(select(User))}
        assert [r.name for r in users["admin@example.com"].roles] == ["admin"]
        assert users["agent@example.com"].roles == []
        assert not users["agent@example.com"].is_customer
        assert users["contact@northwind.example"].account.name == "Northwind Traders"
        assert users["contact@northwind.example"].roles == []
        assert password_problems(DEMO_PASSWORD) == []


def _sign_in(client, email):
    return client.post("/sign-in", data={"email": email, "password": DEMO_PASSWORD})


def test_customer_signs_in_with_the_demo_password(client, demo):
    response = _sign_in(client, "contact@northwind.example")
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_admin_signs_in_with_the_demo_totp_secret(client, demo):
    admin = next(sign_in for sign_in in demo_sign_ins() if sign_in.totp_secret)
    response = _sign_in(client, admin.email)
    assert response.headers["Location"].endswith("/sign-in/two-factor")
    code = pyotp.TOTP(admin.totp_secret).now()
    response = client.post("/sign-in/two-factor", data={"code": code})
    assert response.status_code == 302
    assert not response.headers["Location"].endswith("/sign-in/two-factor")
    assert client.get("/api/v1/me").get_json()["email"] == admin.email
