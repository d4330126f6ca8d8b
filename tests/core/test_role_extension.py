"""A plugin extends a role it does not own by declaring a role that is ``part_of`` it."""

import pytest
from sqlalchemy import select

from onward import Role, RoleDefinition, ValidationFailed, db
from onward.core.roles import sync_declared_roles

from .plugin_helpers import plugin

HELPER = RoleDefinition("extra_helper", rights={"exemplar_thing": "r"},
                        part_of=("exemplar_editor",))


@pytest.fixture
def onward_plugins(exemplar):
    return [exemplar, plugin("extra", register_roles=lambda: [HELPER])]


def test_a_role_joins_the_roles_it_is_part_of(app, make_user):
    with app.app_context():
        editor = db.session.scalar(select(Role).where(Role.name == "exemplar_editor"))
        assert [role.name for role in editor.contains] == ["exemplar_viewer", "extra_helper"]
        # syncing again changes nothing (the role is listed once)
        roles = app.extensions["onward"].registries.roles
        sync_declared_roles(roles, roles.owners)
        assert [role.name for role in editor.contains] == ["exemplar_viewer", "extra_helper"]


def test_part_of_an_unknown_role_is_refused(app):
    lost = RoleDefinition("lost", part_of=("nobody",))
    with app.app_context(), pytest.raises(ValidationFailed,
                                          match="Role 'lost' is part of unknown role 'nobody'"):
        sync_declared_roles({"lost": lost}, {"lost": "extra"})
