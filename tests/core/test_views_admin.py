"""The admin pages through the web UI: lists, forms, errors, rights and tenants."""

import re

import pytest
from sqlalchemy import select

from onward.core.actor import SYSTEM, acting_as
from onward.core.db import db
from onward.core.lists import USERS
from onward.core.models import Account, AuditEntry, Domain, Role, User
from onward.core.testing import TEST_PASSWORD
from onward.core.views.admin_roles import grid_from_request
from onward.core.views.pages import list_page, url_with

NEW_PASSWORD = "a long and unusual passphrase"


def html(response) -> str:
    return response.get_data(as_text=True)


def checked(page: str, name: str, value: str) -> bool:
    """Whether the page has a ticked checkbox or radio ``name`` with ``value``."""
    for tag in re.findall(r"<input[^>]*>", page):
        if f'name="{name}"' in tag and f'value="{value}"' in tag:
            return re.search(r"\schecked[\s>]", tag) is not None
    raise AssertionError(f"no input {name}={value}")


def record(app, model, **where):
    """The one ``model`` row matching ``where`` (None if there is none), read fresh."""
    with app.app_context():
        stmt = select(model).filter_by(**where)
        found = db.session.scalars(stmt).first()
        if found is not None:
            db.session.expunge(found)
        return found


@pytest.fixture
def admin(login_as):
    return login_as("admin", email="root@example.com", name="Root")


@pytest.fixture
def tenants(make_domain):
    """Two sibling tenants below the top domain."""
    return make_domain("tenant-a"), make_domain("tenant-b")


# --- users ------------------------------------------------------------------------------


def test_users_list_searches_sorts_filters_and_pages(app, client, admin, make_user):
    for number in range(30):
        make_user(email=f"person{number:02d}@example.com", name=f"Person {number:02d}")
    gone = make_user(email="gone@example.com", name="Gone")
    with app.app_context():
        db.session.get(User, gone).active = False
        db.session.commit()

    page = html(client.get("/admin/users?sort=-email"))
    assert "32 users" in page
    assert "Page 1 of 2" in page
    assert page.index("root@example.com") < page.index("person29@example.com")
    assert 'href="/admin/users?sort=-email&amp;page=2"' in page
    assert 'aria-sort="descending"' in page
    assert 'href="/admin/users?sort=email"' in page  # the header toggles the order

    second = html(client.get("/admin/users?sort=-email&page=2"))
    assert "Page 2 of 2" in second and "person00@example.com" in second

    found = html(client.get("/admin/users?q=PERSON 07"))
    assert "person07@example.com" in found and "person08@example.com" not in found
    assert "1 users" in found

    inactive = html(client.get("/admin/users?active=false"))
    assert "gone@example.com" in inactive and "person01@example.com" not in inactive

    nothing = html(client.get("/admin/users?q=nobody-at-all"))
    assert "No matches" in nothing

    assert client.get("/admin/users?sort=password_hash").status_code == 422


def test_list_url_keeps_other_arguments(app):
    with app.test_request_context("/admin/users?q=ann&active=true&page=3"):
        assert url_with(sort="-name", page=None) == "/admin/users?q=ann&active=true&sort=-name"


def test_list_page_takes_extra_conditions(app, make_user):
    make_user(email="kept@example.com")
    make_user(email="dropped@example.com")
    with app.test_request_context("/admin/users"), acting_as(SYSTEM):
        page = list_page(User, USERS, "core/users.html", where=[User.email.like("kept%")])
    assert "kept@example.com" in page and "dropped@example.com" not in page
    assert "1 users" in page


def test_admin_creates_a_staff_user(app, client, admin, tenants):
    tenant_a, _ = tenants
    page = html(client.get("/admin/users/new"))
    assert 'name="kind"' in page and "tenant-a" in page
    response = client.post("/admin/users/new", data={
        "kind": "internal", "email": "Ada@Example.com", "name": "Ada", "domain": tenant_a,
        "roles": ["exemplar_viewer"], "password": NEW_PASSWORD,
    })
    assert response.status_code == 302
    ada = record(app, User, email="ada@example.com")
    assert response.location.endswith(f"/admin/users/{ada.id}")
    assert (ada.name, ada.domain_id, ada.account_id) == ("Ada", tenant_a, None)
    with app.app_context():
        assert [role.name for role in db.session.get(User, ada.id).roles] == ["exemplar_viewer"]
    assert "User ada@example.com is created." in html(client.get(response.location))


def test_admin_creates_a_customer_contact(app, client, admin, make_account):
    acme = make_account("Acme")
    assert checked(html(client.get(f"/admin/users/new?account={acme}")), "kind", "customer")
    response = client.post("/admin/users/new", data={
        "kind": "customer", "email": "bob@acme.example", "account": acme,
        "roles": ["exemplar_customer"],
    })
    assert response.status_code == 302
    bob = record(app, User, email="bob@acme.example")
    assert bob.account_id == acme and bob.password_hash == ""


def test_new_user_errors_keep_what_was_typed(app, client, admin, make_account):
    acme = make_account("Acme")
    # a customer without an account
    response = client.post("/admin/users/new", data={
        "kind": "customer", "email": "bob@acme.example", "name": "Bob Typed"})
    assert response.status_code == 422
    page = html(response)
    assert "Choose the customer&#39;s account." in page
    assert 'value="bob@acme.example"' in page and 'value="Bob Typed"' in page

    # an internal role for a customer: the service's message lands on the roles field
    response = client.post("/admin/users/new", data={
        "kind": "customer", "email": "bob@acme.example", "account": acme,
        "roles": ["exemplar_viewer"]})
    assert response.status_code == 422
    page = html(response)
    assert re.search(r"Role &#39;exemplar_viewer&#39; is for internal users only\.</p>\s*"
                     r"</fieldset>", page)
    assert checked(page, "roles", "exemplar_viewer")

    # a bad email, then a weak password
    top = record(app, Domain, name="global").id
    response = client.post("/admin/users/new", data={
        "kind": "internal", "email": "not-an-email", "domain": top})
    assert response.status_code == 422
    assert "An email address must have an @-sign." in html(response)
    response = client.post("/admin/users/new", data={
        "kind": "internal", "email": "new@example.com", "domain": top, "password": "short"})
    assert response.status_code == 422
    assert "Use at least 12 characters." in html(response)

    # an email that is taken
    response = client.post("/admin/users/new", data={
        "kind": "internal", "email": "ROOT@example.com", "domain": top})
    assert response.status_code == 409
    assert "Taken." in html(response)
    assert record(app, User, email="bob@acme.example") is None


def test_admin_edits_a_user(app, client, admin, make_user):
    ada = make_user("exemplar_viewer", email="ada@example.com", name="Ada")
    page = html(client.get(f"/admin/users/{ada}"))
    assert 'value="ada@example.com"' in page and "Two-factor" in page and "never" in page
    assert checked(page, "roles", "exemplar_viewer")
    assert "exemplar_customer" not in page  # a staff user is offered internal roles only

    response = client.post(f"/admin/users/{ada}", data={
        "email": "ada@lovelace.example", "name": "Ada L.", "roles": ["exemplar_editor"]})
    assert response.status_code == 302
    changed = record(app, User, id=ada)
    assert (changed.email, changed.name) == ("ada@lovelace.example", "Ada L.")
    with app.app_context():
        assert [role.name for role in db.session.get(User, ada).roles] == ["exemplar_editor"]

    history = html(client.get(f"/admin/users/{ada}"))
    assert "History" in history and "ada@example.com" in history and "Ada L." in history


def test_user_edit_errors_keep_what_was_typed(app, client, admin, make_user):
    ada = make_user(email="ada@example.com", name="Ada")
    response = client.post(f"/admin/users/{ada}", data={
        "email": "root@example.com", "name": "Typed name", "roles": ["exemplar_viewer"]})
    assert response.status_code == 409
    page = html(response)
    assert "Taken." in page and 'value="Typed name"' in page
    assert checked(page, "roles", "exemplar_viewer")
    assert record(app, User, id=ada).name == "Ada"  # nothing half-saved


def test_admin_sets_a_password_and_the_users_sessions_end(app, client, admin, make_user):
    ada = make_user("exemplar_viewer", email="ada@example.com", name="Ada")
    other = app.test_client()
    other.post("/sign-in", data={"email": "ada@example.com", "password": TEST_PASSWORD})
    assert other.get("/").status_code == 200

    short = client.post(f"/admin/users/{ada}/password", data={
        "pw-password": "short", "pw-confirm": "short"})
    assert short.status_code == 422
    page = html(short)
    assert "Use at least 12 characters." in page
    # the details form beside it still shows the record, not the password post
    assert 'value="Ada"' in page and checked(page, "roles", "exemplar_viewer")
    differ = client.post(f"/admin/users/{ada}/password", data={
        "pw-password": NEW_PASSWORD, "pw-confirm": NEW_PASSWORD + "!"})
    assert differ.status_code == 422 and "The passwords differ." in html(differ)

    response = client.post(f"/admin/users/{ada}/password", data={
        "pw-password": NEW_PASSWORD, "pw-confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert other.get("/").status_code == 302  # ada was signed out
    assert client.get("/").status_code == 200  # the admin was not
    fresh = app.test_client()
    fresh.post("/sign-in", data={"email": "ada@example.com", "password": NEW_PASSWORD})
    assert fresh.get("/").status_code == 200


def test_deactivating_a_user_ends_its_sessions(app, client, admin, make_user):
    ada = make_user(email="ada@example.com")
    other = app.test_client()
    other.post("/sign-in", data={"email": "ada@example.com", "password": TEST_PASSWORD})
    assert other.get("/").status_code == 200

    response = client.post(f"/admin/users/{ada}/deactivate")
    assert response.status_code == 302
    assert record(app, User, id=ada).active is False
    assert other.get("/").status_code == 302
    page = html(client.get(f"/admin/users/{ada}"))
    assert "is deactivated and signed out" in page and "Reactivate" in page
    again = app.test_client()
    again.post("/sign-in", data={"email": "ada@example.com", "password": TEST_PASSWORD})
    assert again.get("/").status_code == 302

    assert client.post(f"/admin/users/{ada}/reactivate").status_code == 302
    assert record(app, User, id=ada).active is True


# --- roles ------------------------------------------------------------------------------


def test_roles_list_and_declared_role_is_read_only(app, client, admin):
    page = html(client.get("/admin/roles"))
    assert "exemplar_viewer" in page and "Plugin exemplar" in page
    viewer = record(app, Role, name="exemplar_viewer")
    page = html(client.get(f"/admin/roles/{viewer.id}"))
    assert "cannot be edited here" in page and "core_user" in page
    assert 'name="rights_table"' not in page and "Delete role" not in page
    response = client.post(f"/admin/roles/{viewer.id}", data={"name": "hacked"})
    assert response.status_code == 409
    assert "declared by plugin" in html(response)
    assert record(app, Role, id=viewer.id).name == "exemplar_viewer"
    assert client.post(f"/admin/roles/{viewer.id}/delete").status_code == 302
    assert record(app, Role, id=viewer.id) is not None


def test_admin_creates_edits_and_deletes_a_role(app, client, admin):
    page = html(client.get("/admin/roles/new"))
    assert 'name="new_table"' in page and '<option value="core_user">' in page
    response = client.post("/admin/roles/new", data={
        "name": "support_lead", "label": "Support lead", "description": "Leads support.",
        "contains": ["exemplar_viewer"], "new_table": "core_account", "new_rights": ["r", "w"],
    })
    assert response.status_code == 302
    role = record(app, Role, name="support_lead")
    with app.app_context():
        saved = db.session.get(Role, role.id)
        assert {r.table_name: r.letters for r in saved.rights} == {"core_account": "rw"}
        assert [c.name for c in saved.contains] == ["exemplar_viewer"]

    page = html(client.get(f"/admin/roles/{role.id}"))
    assert checked(page, "rights-core_account", "w")
    assert not checked(page, "rights-core_account", "c")
    response = client.post(f"/admin/roles/{role.id}", data={
        "name": "support_lead", "label": "Lead", "rights_table": ["core_account"],
        "rights-core_account": ["r"], "new_table": "*", "new_rights": ["r"],
    })
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(Role, role.id)
        assert {r.table_name: r.letters for r in saved.rights} == {"*": "r", "core_account": "r"}
        assert saved.label == "Lead" and saved.contains == []

    assert client.post(f"/admin/roles/{role.id}/delete").status_code == 302
    assert record(app, Role, id=role.id) is None


def test_role_form_errors_keep_the_grid(app, client, admin):
    response = client.post("/admin/roles/new", data={
        "name": "Bad Name", "label": "Typed", "rights_table": ["core_user"],
        "rights-core_user": ["r", "d"], "new_table": "core_account", "new_rights": ["c"]})
    assert response.status_code == 422
    page = html(response)
    assert "Use lower-case letters, digits and underscores." in page
    assert 'value="Typed"' in page
    assert checked(page, "rights-core_user", "d") and checked(page, "rights-core_account", "c")

    response = client.post("/admin/roles/new", data={
        "name": "good", "new_table": "Not A Table", "new_rights": ["r"]})
    assert response.status_code == 422
    assert "is not a table name" in html(response)

    response = client.post("/admin/roles/new", data={"name": "admin"})
    assert response.status_code == 409
    assert record(app, Role, name="good") is None


def test_grid_from_request_reads_rows_and_the_added_table(app):
    with app.test_request_context(method="POST", data={
        "rights_table": ["a", "b"], "rights-a": ["w", "r"], "new_table": " c ",
        "new_rights": ["d"],
    }):
        from flask import request

        assert grid_from_request(request.form) == {"a": "rw", "b": "", "c": "d"}


# --- domains and accounts ---------------------------------------------------------------


def test_admin_creates_renames_and_deletes_a_domain(app, client, admin, tenants):
    tenant_a, _ = tenants
    page = html(client.get("/admin/domains"))
    assert "global / tenant-a" in page
    response = client.post("/admin/domains/new", data={"name": "team-x", "parent": tenant_a})
    assert response.status_code == 302
    team = record(app, Domain, name="team-x")
    assert team.parent_id == tenant_a
    assert "global / tenant-a / team-x" in html(client.get("/admin/domains"))
    assert "team-x" in html(client.get(f"/admin/domains/{tenant_a}"))  # listed below tenant-a

    duplicate = client.post(f"/admin/domains/{team.id}", data={"name": "tenant-b"})
    assert duplicate.status_code == 409 and 'value="tenant-b"' in html(duplicate)
    empty = client.post(f"/admin/domains/{team.id}", data={"name": ""})
    assert empty.status_code == 422
    assert client.post(f"/admin/domains/{team.id}", data={"name": "team-y"}).status_code == 302
    assert record(app, Domain, id=team.id).name == "team-y"

    refused = client.post(f"/admin/domains/{tenant_a}/delete", follow_redirects=True)
    assert "still has domains" in html(refused)
    assert client.post(f"/admin/domains/{team.id}/delete").status_code == 302
    assert record(app, Domain, id=team.id) is None


def test_admin_manages_accounts(app, client, admin, tenants, make_user):
    tenant_a, _ = tenants
    response = client.post("/admin/accounts/new", data={"name": "Acme", "domain": tenant_a})
    assert response.status_code == 302
    acme = record(app, Account, name="Acme")
    assert acme.domain_id == tenant_a and acme.active
    missing = client.post("/admin/accounts/new", data={"name": "", "domain": tenant_a})
    assert missing.status_code == 422
    twice = client.post("/admin/accounts/new", data={"name": "acme", "domain": tenant_a})
    assert twice.status_code == 409 and "Taken." in html(twice)

    make_user("exemplar_customer", account=acme.id, email="bob@acme.example")
    page = html(client.get(f"/admin/accounts/{acme.id}"))
    assert "bob@acme.example" in page and "tenant-a" in page

    assert client.post(f"/admin/accounts/{acme.id}", data={"name": "Acme Inc"}).status_code == 302
    changed = record(app, Account, id=acme.id)
    assert changed.name == "Acme Inc" and changed.active is False  # the box was unticked
    assert "Acme Inc" in html(client.get("/admin/accounts?active=false"))
    assert "Acme Inc" not in html(client.get("/admin/accounts?active=true"))

    refused = client.post(f"/admin/accounts/{acme.id}/delete", follow_redirects=True)
    assert "still has users" in html(refused)
    empty = record(app, Account, id=make_account_id(client, tenant_a))
    assert client.post(f"/admin/accounts/{empty.id}/delete").status_code == 302
    assert record(app, Account, id=empty.id) is None


def make_account_id(client, domain):
    response = client.post("/admin/accounts/new", data={"name": "Empty Ltd", "domain": domain})
    return int(response.location.rsplit("/", 1)[1])


# --- plugins and audit ------------------------------------------------------------------


def test_plugins_page_lists_loaded_plugins(client, admin):
    page = html(client.get("/admin/plugins"))
    assert "exemplar" in page and "register_roles" in page and "onward" in page


def test_audit_log_filters_by_kind(app, client, admin):
    app.test_client().post("/sign-in", data={"email": "nobody@example.com", "password": "x"})
    assert client.post("/admin/domains/new", data={"name": "audited",
                       "parent": record(app, Domain, name="global").id}).status_code == 302
    page = html(client.get("/admin/audit"))
    assert "nobody@example.com" in page and "core_domain" in page
    failed = html(client.get("/admin/audit?kind=sign_in_failed"))
    assert "nobody@example.com" in failed and "core_domain" not in failed
    domain = record(app, Domain, name="audited")
    history = html(client.get(f"/admin/audit?table_name=core_domain&record_id={domain.id}"))
    assert "created" in history and "Showing the history of" in history


# --- rights and tenants -----------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "/admin/users/new", "/admin/roles/new", "/admin/domains/new", "/admin/accounts/new",
    "/admin/plugins", "/admin/audit",
])
def test_a_viewer_may_not_open_admin_forms(client, login_as, url):
    login_as("exemplar_viewer")
    assert client.get(url).status_code == 403


def test_a_viewer_may_read_but_not_write(app, client, login_as, make_user, make_account):
    login_as("exemplar_viewer")
    ada = make_user(email="ada@example.com", name="Ada")
    acme = make_account("Acme")
    page = html(client.get(f"/admin/users/{ada}"))
    assert "ada@example.com" in page
    assert "Deactivate" not in page and "Set password" not in page and ">Save<" not in page
    assert "New user" not in html(client.get("/admin/users"))
    assert client.post(f"/admin/users/{ada}", data={"email": "x@example.com"}).status_code == 403
    assert client.post(f"/admin/users/{ada}/deactivate").status_code == 403
    assert client.post(f"/admin/users/{ada}/password", data={
        "pw-password": NEW_PASSWORD, "pw-confirm": NEW_PASSWORD}).status_code == 403
    assert client.post(f"/admin/accounts/{acme}/delete").status_code == 403
    assert record(app, User, id=ada).active is True
    with app.app_context():
        denied = db.session.scalars(select(AuditEntry).where(
            AuditEntry.kind == "permission_denied")).all()
        assert denied


def test_a_customer_sees_no_admin_sections(client, login_as, make_account):
    login_as("exemplar_customer", account=make_account("Acme"))
    page = html(client.get("/"))
    assert "Acme" in page and "/admin/roles" not in page
    assert client.get("/admin/roles").status_code == 403


def test_another_tenants_records_are_not_found(app, client, login_as, tenants, make_user,
                                               make_account):
    tenant_a, tenant_b = tenants
    login_as("admin", domain=tenant_a)
    theirs = make_user(domain=tenant_b, email="them@b.example")
    their_account = make_account("B Corp", domain=tenant_b)
    for url in (f"/admin/users/{theirs}", f"/admin/accounts/{their_account}",
                f"/admin/domains/{tenant_b}"):
        assert client.get(url).status_code == 404
    for url in (f"/admin/users/{theirs}/deactivate", f"/admin/users/{theirs}/password",
                f"/admin/accounts/{their_account}/delete", f"/admin/domains/{tenant_b}/delete"):
        assert client.post(url).status_code == 404
    assert "them@b.example" not in html(client.get("/admin/users"))
    assert "B Corp" not in html(client.get("/admin/accounts"))
    # pickers offer only the admin's own domains, and a forged one is refused
    assert "tenant-b" not in html(client.get("/admin/accounts/new"))
    forged = client.post("/admin/accounts/new", data={"name": "Sneaky", "domain": tenant_b})
    assert forged.status_code == 422
    assert record(app, Account, name="Sneaky") is None
    assert record(app, User, id=theirs).active is True
