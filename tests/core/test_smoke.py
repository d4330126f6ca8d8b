from onward.core.db import db
from onward.core.models import Role


def test_app_has_admin_role(app):
    with app.app_context():
        assert db.session.scalar(db.select(Role.name).where(Role.name == "admin")) == "admin"


def test_sign_in_page(client):
    response = client.get("/sign-in")
    assert response.status_code == 200
    assert b"Sign in" in response.data


def test_login_as(client, login_as):
    login_as("admin", name="Ada")
    response = client.get("/")
    assert response.status_code == 200
    assert b"Welcome, Ada" in response.data
