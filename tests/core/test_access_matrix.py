"""The access matrix: every role, every core record, and read/create/write/delete, on the
JSON API and on the web UI alike, inside the actor's tenant and across tenants.

What each role may do is computed from the roles' declarations (not from the database),
so a wrong grant, a missed check or a leak across tenants fails here.
"""

import itertools
import uuid
from dataclasses import dataclass

import pytest

from onward import db
from onward.core.actor import SYSTEM, acting_as
from onward.core.models import Account, Domain, Role, User
from onward.core.roles import save_role

RIGHTS = ("read", "create", "write", "delete")
LETTERS = {"read": "r", "create": "c", "write": "w", "delete": "d"}


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Resource:
    """A core record as both surfaces expose it."""

    name: str
    table: str
    model: type
    #: the record can be deleted (users are deactivated instead)
    deletable: bool = True
    #: the record belongs to a domain (roles are global)
    tenanted: bool = True


RESOURCES = [
    Resource("users", "core_user", User, deletable=False),
    Resource("roles", "core_role", Role, tenanted=False),
    Resource("domains", "core_domain", Domain),
    Resource("accounts", "core_account", Account),
]


def declared(app, role: str | None, table: str) -> set[str]:
    """The rights the declarations give ``role`` on ``table``, through contained roles."""
    if role is None:
        return set()
    definitions = app.extensions["onward"].registries.roles
    granted, stack, seen = set(), [role], set()
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            for target in (table, "*"):
                granted |= {r for r in RIGHTS if LETTERS[r] in definitions[name].rights.get(
                    target, "")}
            stack.extend(definitions[name].contains)
    return granted


@pytest.fixture
def world(app, make_domain, make_account, make_user):
    """Tenants A (the actor's) and B, each with an account; records are made on demand."""
    a, b = make_domain("tenant-a"), make_domain("tenant-b")
    ids = {"a": a, "b": b, "account_a": make_account("Home corp", domain=a),
           "account_a2": make_account("Neighbour corp", domain=a),
           "account_b": make_account("Away corp", domain=b)}

    def target(resource: Resource, home: bool, actor: dict) -> int:
        """A fresh record the actor should reach (``home``) or should not."""
        domain = a if home else b
        customer_account = actor["account"]
        if resource.name == "users":
            if customer_account is not None:
                account = customer_account if home else ids["account_a2"]
                return make_user(email=f"{unique('u')}@example.com", account=account)
            return make_user(email=f"{unique('u')}@example.com", domain=domain)
        if resource.name == "accounts":
            if customer_account is not None and home:
                return customer_account
            return make_account(unique("Acct "), domain=a if customer_account else domain)
        if resource.name == "domains":
            return make_domain(unique("d-"), parent=domain)
        with app.app_context(), acting_as(SYSTEM):
            role = save_role(None, name=unique("role_"))
            db.session.commit()
            return role.id

    def payload(resource: Resource, home: bool, actor: dict) -> dict:
        """A valid create body landing in the actor's tenant (or in the other one)."""
        domain = a if home else b
        if resource.name == "users":
            body = {"email": f"{unique('n')}@example.com", "name": "New"}
            if actor["account"] is not None:
                body["account_id"] = actor["account"] if home else ids["account_b"]
            else:
                body["domain_id"] = domain
            return body
        if resource.name == "roles":
            return {"name": unique("made_")}
        if resource.name == "domains":
            return {"name": unique("made-"), "parent_id": domain}
        return {"name": unique("Made "), "domain_id": domain}

    ids["target"], ids["payload"] = target, payload
    return ids


# --- the two surfaces -------------------------------------------------------------------


class ApiSurface:
    """Operations through the JSON API with a bearer token."""

    ok = {"read": 200, "create": 201, "write": 200, "delete": 204}
    staff_only = False
    #: a create that names another tenant's record is refused as invalid input
    foreign_create = {404, 422}

    def __init__(self, client, headers):
        self.client, self.headers = client, headers

    def __call__(self, resource: Resource, right: str, record: int | None, body: dict) -> int:
        base = f"/api/v1/{resource.name}"
        if right == "create":
            return self.client.post(base, json=body, headers=self.headers).status_code
        path = f"{base}/{record}"
        if right == "read":
            return self.client.get(path, headers=self.headers).status_code
        if right == "write":
            change = {"name": unique("renamed_")} if resource.name != "users" else {"name": "X"}
            return self.client.patch(path, json=change, headers=self.headers).status_code
        return self.client.delete(path, headers=self.headers).status_code


class UiSurface:
    """Operations through the admin pages with a signed-in session."""

    ok = {"read": 200, "create": 302, "write": 302, "delete": 302}
    #: the administration pages refuse customer users whatever their rights
    staff_only = True
    #: a form that names another tenant's record is refused as invalid input
    foreign_create = {404, 422}

    def __init__(self, client):
        self.client = client

    def __call__(self, resource: Resource, right: str, record: int | None, body: dict) -> int:
        base = f"/admin/{resource.name}"
        if right == "create":
            return self.client.post(f"{base}/new", data=ui_form(resource, body)).status_code
        if right == "read":
            return self.client.get(f"{base}/{record}").status_code
        if right == "write":
            return self.client.post(f"{base}/{record}", data=ui_edit(resource)).status_code
        return self.client.post(f"{base}/{record}/delete").status_code


def ui_form(resource: Resource, body: dict) -> dict:
    """The create form of ``resource`` filled from an API-style body."""
    if resource.name == "users":
        form = {"email": body["email"], "name": body["name"]}
        if "account_id" in body:
            form.update(kind="customer", account=body["account_id"])
        else:
            form.update(kind="internal", domain=body["domain_id"])
        return form
    if resource.name == "domains":
        return {"name": body["name"], "parent": body["parent_id"]}
    if resource.name == "accounts":
        return {"name": body["name"], "domain": body["domain_id"]}
    return {"name": body["name"]}


def ui_edit(resource: Resource) -> dict:
    """A valid edit form of ``resource``."""
    if resource.name == "users":
        return {"name": "Renamed", "email": f"{unique('e')}@example.com"}
    if resource.name == "accounts":
        return {"name": unique("Renamed "), "active": "y"}
    return {"name": unique("renamed_")}


# --- the matrix -------------------------------------------------------------------------


def _roles(app):
    return [None, *app.extensions["onward"].registries.roles]


@pytest.fixture
def actor(app, world, make_user):
    """Makes the acting user for a role: staff in tenant A, or a customer of A's account."""

    def make(role: str | None) -> dict:
        external = role is not None and app.extensions["onward"].registries.roles[role].external
        roles = (role,) if role else ()
        if external:
            return {"id": make_user(*roles, account=world["account_a"]),
                    "account": world["account_a"]}
        return {"id": make_user(*roles, domain=world["a"]), "account": None}

    return make


def expected(app, role, resource: Resource, right: str, *, home: bool, customer: bool):
    """The status class the operation must end in: ``ok``, ``denied`` or ``hidden``.

    Without the read right a table is closed (denied), except where owners read their own
    row (users): then other rows are simply not there. A record out of reach is hidden
    whatever the right asked for, so nothing tells another tenant's records exist.
    """
    granted = declared(app, role, resource.table)
    reachable = home and not (customer and resource.name in ("domains", "roles"))
    if not resource.tenanted and not customer:
        reachable = True
    if "read" not in granted:
        return "hidden" if resource.name == "users" and right != "create" else "denied"
    if right != "create" and not reachable:
        return "hidden"
    if right not in granted:
        return "denied"
    return "ok" if reachable else "hidden"


def run_matrix(app, world, actor_info, role, surface):
    failures = []
    customer = actor_info["account"] is not None
    for resource, right, home in itertools.product(RESOURCES, RIGHTS, (True, False)):
        if right == "delete" and not resource.deletable:
            continue
        if not home and not resource.tenanted:
            continue
        want = expected(app, role, resource, right, home=home, customer=customer)
        if customer and surface.staff_only:
            want = "denied"
        record = None if right == "create" else world["target"](resource, home, actor_info)
        body = world["payload"](resource, home, actor_info) if right == "create" else {}
        status = surface(resource, right, record, body)
        if want == "ok":
            good = {surface.ok[right]}
        elif want == "denied":
            # a create naming another tenant's record may be refused for that first
            refused_first = not home and right == "create" and not (surface.staff_only and customer)
            good = {403, *surface.foreign_create} if refused_first else {403}
        elif right == "create":
            good = surface.foreign_create
        else:
            good = {404}
        if status not in good:
            failures.append(f"{role} {right} {resource.name} ({'home' if home else 'away'}): "
                            f"{status}, expected {want} {sorted(good)}")
    assert not failures, "\n".join(failures)


@pytest.fixture(params=["api", "ui"])
def surface_for(request, app, client, api_headers, login_as):
    def make(user_id):
        if request.param == "api":
            return ApiSurface(client, api_headers(user_id))
        login_as(user=user_id)
        return UiSurface(client)

    return make


@pytest.mark.parametrize("role_index", range(6))
def test_access_matrix(app, world, actor, surface_for, role_index):
    roles = _roles(app)
    assert len(roles) == 6, "add a parameter per role"  # core's admin + the exemplar's four
    role = roles[role_index]
    actor_info = actor(role)
    run_matrix(app, world, actor_info, role, surface_for(actor_info["id"]))
