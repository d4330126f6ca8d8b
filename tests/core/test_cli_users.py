"""``onward users``, ``tokens`` and ``roles``: the same services as the UI, run as the system."""

from sqlalchemy import select

from onward.core.db import db
from onward.core.models import ApiToken, User
from onward.core.passwords import verify_password
from onward.core.testing import TEST_PASSWORD

from .cli_helpers import count, fails, ok, parse_json


def _user(app, email):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        return user and {
            "id": user.id, "roles": [role.name for role in user.roles], "active": user.active,
            "account": user.account.name if user.account else None, "domain": user.domain.name,
            "hash": user.password_hash, "epoch": user.session_epoch,
        }


def test_create_generates_a_password_shown_once_on_the_last_line(app, runner):
    output = ok(runner.invoke(["users", "create", "Ops@Example.com", "--role", "admin",
                               "--name", "Olga Ops"]))
    password = output.splitlines()[-1]
    user = _user(app, "ops@example.com")
    assert user["roles"] == ["admin"]
    assert verify_password(user["hash"], password)
    assert "internal user ops@example.com" in output
    assert len(password) >= 20


def test_create_reads_the_password_from_stdin(app, runner):
    output = ok(runner.invoke(["users", "create", "sam@example.com", "--password-stdin"],
                              input=TEST_PASSWORD + "\n"))
    assert TEST_PASSWORD not in output
    assert verify_password(_user(app, "sam@example.com")["hash"], TEST_PASSWORD)


def test_create_customer_user_in_an_account_of_a_domain(app, runner, make_domain, make_account):
    tenant = make_domain("tenant-x")
    make_account("Acme", domain=tenant)
    make_account("Acme")  # the same name in the top domain
    fails(runner.invoke(["users", "create", "c@acme.example", "--account", "Acme"]),
          "Several accounts are named 'Acme'")
    ok(runner.invoke(["users", "create", "c@acme.example", "--account", "Acme",
                      "--domain", "tenant-x", "--role", "exemplar_customer"]))
    user = _user(app, "c@acme.example")
    assert (user["account"], user["domain"], user["roles"]) == ("Acme", "tenant-x",
                                                                 ["exemplar_customer"])


def test_create_refuses_bad_input_and_creates_nothing(app, runner, make_user):
    make_user(email="taken@example.com")
    before = count(app, User)
    fails(runner.invoke(["users", "create", "new@example.com", "--role", "admin",
                         "--role", "wizard"]), "Unknown role 'wizard'.")
    fails(runner.invoke(["users", "create", "taken@example.com"]),
          "A user with email taken@example.com exists already.")
    fails(runner.invoke(["users", "create", "new@example.com", "--account", "Nowhere Inc"]),
          "No account named 'Nowhere Inc'.")
    fails(runner.invoke(["users", "create", "new@example.com", "--domain", "nowhere"]),
          "No domain named 'nowhere'.")
    fails(runner.invoke(["users", "create", "new@example.com", "--password-stdin"],
                        input="short\n"), "Use at least 12 characters.")
    fails(runner.invoke(["users", "create", "new@example.com", "--password-stdin"], input=""),
          "No password on standard input.")
    fails(runner.invoke(["users", "create", "new@example.com", "--role", "exemplar_customer"]),
          "Role 'exemplar_customer' is for customer users only.")
    fails(runner.invoke(["users", "create", "not-an-email"]), "is not a valid email address")
    assert count(app, User) == before


def test_list_as_json_with_search_and_account_filter(runner, make_user, make_account):
    account = make_account("Globex")
    make_user("admin", email="alice@example.com", name="Alice")
    make_user(email="bob@globex.example", account=account)
    users = parse_json(runner.invoke(["users", "list", "--json"]))
    assert [user["email"] for user in users] == ["alice@example.com", "bob@globex.example"]
    assert users[0]["roles"] == ["admin"]
    assert users[0]["account"] is None
    found = parse_json(runner.invoke(["users", "list", "--json", "--q", "ALI"]))
    assert [user["email"] for user in found] == ["alice@example.com"]
    of_globex = parse_json(runner.invoke(["users", "list", "--json", "--account", "globex"]))
    assert [user["email"] for user in of_globex] == ["bob@globex.example"]
    assert "alice@example.com" in ok(runner.invoke(["users", "list"]))
    fails(runner.invoke(["users", "list", "--account", "Initech"]), "No account named 'Initech'.")


def test_list_fetches_every_page(runner, make_user):
    for number in range(5):
        make_user(email=f"user{number}@example.com")
    users = parse_json(runner.invoke(["users", "list", "--json"]))
    assert len(users) == 5


def test_list_prints_names_as_text_not_markup(runner, make_user):
    make_user(email="m@example.com", name="[bold]Mallory[/bold]")
    assert "[bold]Mallory[/bold]" in ok(runner.invoke(["users", "list"]))


def test_set_roles_replaces_them(app, runner, make_user):
    make_user("admin", email="r@example.com")
    ok(runner.invoke(["users", "set-roles", "r@example.com", "exemplar_editor",
                      "exemplar_viewer"]))
    assert _user(app, "r@example.com")["roles"] == ["exemplar_editor", "exemplar_viewer"]
    fails(runner.invoke(["users", "set-roles", "r@example.com", "ghost"]), "Unknown role 'ghost'.")
    assert _user(app, "r@example.com")["roles"] == ["exemplar_editor", "exemplar_viewer"]
    ok(runner.invoke(["users", "set-roles", "r@example.com"]))
    assert _user(app, "r@example.com")["roles"] == []


def test_set_password_ends_sessions(app, runner, make_user):
    make_user(email="p@example.com")
    epoch = _user(app, "p@example.com")["epoch"]
    ok(runner.invoke(["users", "set-password", "p@example.com", "--password-stdin"],
                     input="a brand new passphrase\n"))
    user = _user(app, "p@example.com")
    assert verify_password(user["hash"], "a brand new passphrase")
    assert user["epoch"] == epoch + 1
    generated = ok(runner.invoke(["users", "set-password", "p@example.com"])).splitlines()[-1]
    assert verify_password(_user(app, "p@example.com")["hash"], generated)
    fails(runner.invoke(["users", "set-password", "p@example.com", "--password-stdin"],
                        input="1qaz2wsx3edc\n"), "most common")
    assert verify_password(_user(app, "p@example.com")["hash"], generated)


def test_deactivate_and_reactivate(app, runner, make_user, make_token, client):
    user_id = make_user(email="d@example.com")
    token = make_token(user_id)
    ok(runner.invoke(["users", "deactivate", "d@example.com"]))
    assert _user(app, "d@example.com")["active"] is False
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    ok(runner.invoke(["users", "reactivate", "D@example.com"]))
    assert _user(app, "d@example.com")["active"] is True
    fails(runner.invoke(["users", "reactivate", "x@example.com"]), "No user with email")


def test_token_on_the_last_line_works_until_revoked(app, runner, make_user, client):
    make_user(email="t@example.com")
    output = ok(runner.invoke(["tokens", "create", "t@example.com", "--name", "backup script"]))
    token = output.rstrip("\n").splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["email"] == "t@example.com"

    tokens = parse_json(runner.invoke(["tokens", "list", "t@example.com", "--json"]))
    assert [(t["name"], t["user"], t["active"]) for t in tokens] == [
        ("backup script", "t@example.com", True)]
    assert token.startswith(tokens[0]["prefix"])
    ok(runner.invoke(["tokens", "revoke", str(tokens[0]["id"])]))
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert parse_json(runner.invoke(["tokens", "list", "--json"]))[0]["revoked_at"]


def test_token_errors(app, runner, make_user):
    make_user(email="t@example.com")
    fails(runner.invoke(["tokens", "create", "nobody@example.com"]), "No user with email")
    fails(runner.invoke(["tokens", "create", "t@example.com", "--name", " "]), "Name the token.")
    fails(runner.invoke(["tokens", "revoke", "4242"]), "with id 4242")
    fails(runner.invoke(["tokens", "list", "nobody@example.com"]), "No user with email")
    assert count(app, ApiToken) == 0


def test_tokens_list_filters_by_user(runner, make_user, make_token):
    make_token(make_user(email="one@example.com"))
    make_token(make_user(email="two@example.com"))
    assert len(parse_json(runner.invoke(["tokens", "list", "--json"]))) == 2
    only = parse_json(runner.invoke(["tokens", "list", "two@example.com", "--json"]))
    assert [token["user"] for token in only] == ["two@example.com"]
    assert "two@example.com" in ok(runner.invoke(["tokens", "list"]))


def test_roles_list(runner):
    roles = {role["name"]: role for role in parse_json(runner.invoke(["roles", "list", "--json"]))}
    assert roles["admin"]["rights"] == {"*": "rcwd"}
    assert roles["admin"]["plugin"] == "core"
    assert roles["exemplar_editor"]["contains"] == ["exemplar_viewer"]
    assert roles["exemplar_customer"]["external"] is True
    assert "Administrator" in ok(runner.invoke(["roles", "list"]))
