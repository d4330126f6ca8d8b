"""Access control: table rights per role, domain and account separation, record and field
rules, owner access, and the audit of denials — all through the one access helper."""

import itertools

import pytest
from sqlalchemy import select

from onward import (
    SYSTEM,
    AccessDenied,
    NotFound,
    Unauthenticated,
    acting_as,
    can,
    db,
    get_or_404,
    readable_fields,
    require,
    scoped,
)
from onward.core.access import effective_roles
from onward.core.models import Account, ApiToken, AuditEntry, Domain, Role, User

RIGHTS = ("read", "create", "write", "delete")
RIGHTS_BY_LETTER = {"r": "read", "c": "create", "w": "write", "d": "delete"}


def declared_rights(app, role: str, table: str) -> set[str]:
    """What the declarations say ``role`` may do on ``table`` (computed independently)."""
    definitions = app.extensions["onward"].registries.roles
    granted: set[str] = set()
    stack, seen = [role], set()
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        definition = definitions[name]
        for target in (table, "*"):
            granted |= {RIGHTS_BY_LETTER[letter] for letter in definition.rights.get(target, "")}
        stack.extend(definition.contains)
    return granted


def core_models(exemplar):
    return [Domain, Account, User, Role, ApiToken, AuditEntry, exemplar.ExemplarThing]


def test_rights_matrix_every_role_every_model_every_right(app, exemplar, make_user, make_account):
    account = make_account()
    with app.app_context():
        roles = list(app.extensions["onward"].registries.roles)
    assert {"admin", "exemplar_viewer", "exemplar_customer"} <= set(roles)
    for role in roles:
        external = app.extensions["onward"].registries.roles[role].external
        user_id = make_user(role, account=account if external else None)
        with app.app_context():
            user = db.session.get(User, user_id)
            for model, right in itertools.product(core_models(exemplar), RIGHTS):
                expected = right in declared_rights(app, role, model.__tablename__)
                owner_rights = getattr(model, "__owner_rights__", "")
                expected = expected or right[0] in owner_rights
                assert can(right, model, user=user) is expected, (role, model.__tablename__, right)


def test_a_user_without_roles_may_do_nothing_but_read_itself(app, make_user):
    user_id = make_user()
    with app.app_context():
        user = db.session.get(User, user_id)
        assert db.session.scalars(scoped(User, user=user)).all() == [user]
        with pytest.raises(AccessDenied):
            scoped(Account, user=user)
        with pytest.raises(AccessDenied):
            require("write", user, user=user)


def test_roles_contain_roles_transitively(app, make_user):
    user_id = make_user("exemplar_editor")
    with app.app_context():
        assert effective_roles(db.session.get(User, user_id)) == {
            "exemplar_editor", "exemplar_viewer"}


def test_anonymous_is_refused(app):
    with app.test_request_context(), pytest.raises(Unauthenticated):
        scoped(Account)


@pytest.fixture
def tenants(make_domain, make_account, make_user):
    """A provider (top domain) with tenants A and B; A has a sub-tenant A1."""
    a = make_domain("tenant-a")
    a1 = make_domain("tenant-a1", parent=a)
    b = make_domain("tenant-b")
    return {
        "a": a, "a1": a1, "b": b,
        "account_a": make_account("A corp", domain=a),
        "account_a1": make_account("A1 corp", domain=a1),
        "account_b": make_account("B corp", domain=b),
        "account_top": make_account("Top corp"),
        "admin_a": make_user("admin", domain=a),
        "admin_top": make_user("admin"),
    }


def _names(model, user):
    return sorted(str(r) for r in db.session.scalars(scoped(model, user=user)))


def test_domain_separation_own_domain_and_below(app, tenants):
    with app.app_context():
        admin_a = db.session.get(User, tenants["admin_a"])
        assert _names(Account, admin_a) == ["A corp", "A1 corp"]
        assert _names(Domain, admin_a) == ["tenant-a", "tenant-a1"]
        admin_top = db.session.get(User, tenants["admin_top"])
        assert _names(Account, admin_top) == ["A corp", "A1 corp", "B corp", "Top corp"]


def test_another_tenants_record_is_not_found_never_forbidden(app, tenants):
    with app.app_context(), acting_as(db.session.get(User, tenants["admin_a"])):
        with pytest.raises(NotFound):
            get_or_404(Account, tenants["account_b"])
        with pytest.raises(NotFound):
            require("write", db.session.get(Account, tenants["account_b"]))
        with pytest.raises(NotFound):
            require("write", db.session.get(Account, tenants["account_top"]))
        assert get_or_404(Account, tenants["account_a1"]).name == "A1 corp"


def test_new_records_must_land_in_the_users_domains(app, tenants):
    with app.app_context(), acting_as(db.session.get(User, tenants["admin_a"])):
        with pytest.raises(NotFound):
            require("create", Account(name="Sneaky", domain_id=tenants["b"]))
        require("create", Account(name="Fine", domain_id=tenants["a1"]))


def test_write_needs_the_right_even_within_scope(app, tenants, make_user):
    viewer = make_user("exemplar_viewer", domain=tenants["a"])
    with app.app_context(), acting_as(db.session.get(User, viewer)):
        account = get_or_404(Account, tenants["account_a"])
        with pytest.raises(AccessDenied):
            require("write", account)
        with pytest.raises(AccessDenied):
            require("delete", account)


def test_get_or_404_refuses_malformed_ids(app, tenants):
    with app.app_context(), acting_as(db.session.get(User, tenants["admin_a"])), \
            pytest.raises(NotFound):
        get_or_404(Account, "1; drop table")


@pytest.fixture
def customers(app, exemplar, make_account, make_user):
    """Two accounts with things; customers and a customer manager of the first."""
    northwind, contoso = make_account("Northwind"), make_account("Contoso")
    ids = {
        "northwind": northwind, "contoso": contoso,
        "customer": make_user("exemplar_customer", account=northwind),
        "other_customer": make_user("exemplar_customer", account=northwind),
        "manager": make_user("exemplar_customer_manager", account=northwind),
        "contoso_manager": make_user("exemplar_customer_manager", account=contoso),
    }
    with app.app_context():
        for name, account, contact in (
            ("mine", northwind, ids["customer"]),
            ("colleague's", northwind, ids["other_customer"]),
            ("contoso's", contoso, None),
        ):
            db.session.add(exemplar.ExemplarThing(name=name, account_id=account,
                                                  contact_id=contact, internal_note="secret"))
        db.session.commit()
    return ids


def _thing_names(exemplar, user):
    return sorted(t.name for t in db.session.scalars(scoped(exemplar.ExemplarThing, user=user)))


def test_customer_sees_only_its_own_records_by_record_rule(app, exemplar, customers):
    with app.app_context():
        assert _thing_names(exemplar, db.session.get(User, customers["customer"])) == ["mine"]


def test_customer_manager_sees_all_records_of_its_account_only(app, exemplar, customers):
    with app.app_context():
        manager = db.session.get(User, customers["manager"])
        assert _thing_names(exemplar, manager) == ["colleague's", "mine"]
        assert _names(Account, manager) == ["Northwind"]
        contoso = db.session.get(User, customers["contoso_manager"])
        assert _thing_names(exemplar, contoso) == ["contoso's"]


def test_customer_cannot_touch_another_accounts_record(app, exemplar, customers):
    with app.app_context():
        manager = db.session.get(User, customers["manager"])
        foreign = db.session.scalar(select(exemplar.ExemplarThing).where(
            exemplar.ExemplarThing.name == "contoso's"))
        with pytest.raises(NotFound):
            require("write", foreign, user=manager)
        with pytest.raises(NotFound):
            require("create", exemplar.ExemplarThing(name="x", account_id=customers["contoso"]),
                    user=manager)


def test_customers_read_only_the_fields_rules_list(app, exemplar, customers, make_user):
    staff_id = make_user("admin")
    with app.app_context():
        customer = db.session.get(User, customers["customer"])
        assert readable_fields(exemplar.ExemplarThing, user=customer) == {
            "id", "name", "number", "contact_id"}
        assert "internal_note" not in readable_fields(exemplar.ExemplarThing, user=customer)
        assert readable_fields(Role, user=customer) == {"id"}
        staff = db.session.get(User, staff_id)
        assert readable_fields(exemplar.ExemplarThing, user=staff) is None


def test_users_manage_their_own_tokens_only(app, make_user, make_token):
    owner, other = make_user(), make_user()
    make_token(owner)
    make_token(other)
    with app.app_context():
        user = db.session.get(User, owner)
        tokens = db.session.scalars(scoped(ApiToken, user=user)).all()
        assert [t.user_id for t in tokens] == [owner]
        foreign = db.session.scalar(select(ApiToken).where(ApiToken.user_id == other))
        with pytest.raises(NotFound):
            require("write", foreign, user=user)


def test_denials_are_written_to_the_audit_log_and_can_is_silent(app, tenants):
    with app.test_request_context("/somewhere", method="POST"):
        admin_a = db.session.get(User, tenants["admin_a"])
        assert not can("write", db.session.get(Account, tenants["account_b"]), user=admin_a)
        with pytest.raises(NotFound):
            get_or_404(Account, tenants["account_b"], user=admin_a)
    with app.app_context():
        denials = db.session.scalars(
            select(AuditEntry).where(AuditEntry.kind == "permission_denied")).all()
        assert len(denials) == 1
        assert denials[0].user_id == tenants["admin_a"]
        assert "POST /somewhere" in denials[0].detail


def test_a_domain_cannot_be_made_below_an_unreachable_parent(app, tenants):
    from onward.core.tenancy import create_domain

    with app.app_context(), acting_as(db.session.get(User, tenants["admin_a"])):
        with pytest.raises(NotFound):
            create_domain("sneaky", parent=db.session.get(Domain, tenants["b"]))
        assert create_domain("fine", parent=db.session.get(Domain, tenants["a1"])).parent_id == (
            tenants["a1"])


@pytest.fixture
def user_manager(app, make_user):
    """Staff whose role may read, create and change users, but who is no admin."""
    from onward.core.roles import save_role

    with app.app_context(), acting_as(SYSTEM):
        save_role(None, name="user_manager", rights={"core_user": "rcw", "core_role": "rcwd"})
        db.session.commit()
    return make_user("user_manager")


def test_nobody_grants_a_role_they_do_not_hold(app, user_manager, make_user):
    from onward.core.users import create_user, set_roles

    victim = make_user()
    with app.app_context(), acting_as(db.session.get(User, user_manager)):
        with pytest.raises(AccessDenied, match="you do not hold 'admin'"):
            create_user("new@example.com", roles=["admin"])
        with pytest.raises(AccessDenied, match="you do not hold 'admin'"):
            set_roles(db.session.get(User, user_manager), ["user_manager", "admin"])
        assert create_user("ok@example.com", roles=["user_manager"]).roles[0].name == (
            "user_manager")
        set_roles(db.session.get(User, victim), ["user_manager"])


def test_nobody_takes_away_a_role_they_do_not_hold(app, user_manager, make_user):
    from onward.core.users import set_roles

    admin = make_user("admin")
    with app.app_context(), acting_as(db.session.get(User, user_manager)), \
            pytest.raises(AccessDenied):
        set_roles(db.session.get(User, admin), [])


def test_only_admins_define_roles(app, user_manager, make_user):
    from onward.core.roles import delete_role, save_role

    admin = make_user("admin")
    with app.app_context():
        with acting_as(db.session.get(User, user_manager)), \
                pytest.raises(AccessDenied, match="Only administrators"):
            save_role(None, name="everything", rights={"*": "rcwd"})
        with acting_as(db.session.get(User, user_manager)), pytest.raises(AccessDenied):
            delete_role(db.session.scalar(select(Role).where(Role.name == "user_manager")))
        with acting_as(db.session.get(User, admin)):
            assert save_role(None, name="everything", rights={"*": "r"}).name == "everything"
