"""The plugin system: loading, disabling, requirements, checks and introspection."""

import types

import flask_smorest
import pytest
from flask import Blueprint
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from onward import (
    CaseType,
    NavItem,
    RoleDefinition,
    StartupError,
    create_app,
    db,
)
from onward.core.plugins import get_plugin_manager, load_order, plugin_info

from .plugin_helpers import plugin


def test_core_is_always_loaded_first():
    pm = get_plugin_manager()
    assert load_order(pm)[0] == "core"


def test_extra_plugin_is_registered_under_its_name(exemplar):
    pm = get_plugin_manager(extra=[exemplar])
    assert pm.get_plugin("exemplar") is exemplar


def test_disabled_plugin_is_not_loaded(exemplar):
    pm = get_plugin_manager(disabled=["exemplar"], extra=[exemplar])
    assert pm.get_plugin("exemplar") is None
    assert pm.is_blocked("exemplar")


def test_core_cannot_be_disabled():
    with pytest.raises(StartupError, match="'core' cannot be disabled"):
        get_plugin_manager(disabled=["core"])


def test_missing_required_plugin_names_both():
    needy = plugin("needy", REQUIRES=("ghost",))
    with pytest.raises(StartupError, match="plugin 'needy' requires plugin 'ghost', which is not"):
        get_plugin_manager(extra=[needy])


def test_disabled_required_plugin_names_both(exemplar):
    needy = plugin("needy", REQUIRES=("exemplar",))
    with pytest.raises(StartupError, match="'needy' requires plugin 'exemplar', which is disabled"):
        get_plugin_manager(disabled=["exemplar"], extra=[exemplar, needy])


def test_required_plugin_loads_before_its_dependant(exemplar):
    needy = plugin("aardvark", REQUIRES=("exemplar",))
    order = load_order(get_plugin_manager(extra=[needy, exemplar]))
    assert order.index("exemplar") < order.index("aardvark")


def test_misspelled_hook_stops_start_up():
    typo = plugin("typo", register_rolez=lambda: [])
    with pytest.raises(StartupError, match="typo"):
        get_plugin_manager(extra=[typo])


def test_duplicate_role_names_both_plugins(tmp_path):
    clash = plugin("clash", register_roles=lambda: [RoleDefinition("admin")])
    with pytest.raises(StartupError, match="role 'admin' is registered twice: by plugin 'core'"
                                           " and by plugin 'clash'"):
        create_app({"INSTANCE_PATH": str(tmp_path)}, extra_plugins=[clash])


def test_wrong_item_type_is_refused(tmp_path):
    wrong = plugin("wrong", register_case_types=lambda: ["not a case type"])
    with pytest.raises(StartupError, match="plugin 'wrong' returned 'not a case type'"):
        create_app({"INSTANCE_PATH": str(tmp_path)}, extra_plugins=[wrong])


def test_duplicate_case_type_keys_are_refused(tmp_path, exemplar):
    twin = plugin("twin", register_case_types=lambda: [CaseType("exemplar_case", "Twin", "TWN")])
    with pytest.raises(StartupError, match="case type 'exemplar_case' is registered twice"):
        create_app({"INSTANCE_PATH": str(tmp_path)}, extra_plugins=[exemplar, twin])


def test_ui_blueprint_must_be_named_after_its_plugin(tmp_path):
    bad = plugin("named", register_blueprints=lambda: [Blueprint("other", __name__)])
    with pytest.raises(StartupError, match="blueprint 'other' must be named 'named'"):
        create_app({"INSTANCE_PATH": str(tmp_path)}, extra_plugins=[bad])


def test_a_plugin_may_add_more_page_blueprints_under_its_prefix(tmp_path):
    extra = plugin("named", register_blueprints=lambda: [
        Blueprint("named", __name__), Blueprint("named_portal", __name__, url_prefix="/p")])
    app = create_app({"INSTANCE_PATH": str(tmp_path)}, extra_plugins=[extra])
    assert {"named", "named_portal"} <= set(app.blueprints)


def test_api_blueprint_must_be_named_plugin_api(tmp_path):
    bad = plugin("named", register_blueprints=lambda: [flask_smorest.Blueprint("named", __name__)])
    with pytest.raises(StartupError, match="API blueprint 'named' must be named 'named_api'"):
        create_app({"INSTANCE_PATH": str(tmp_path)}, extra_plugins=[bad])


def test_plugin_tables_must_carry_the_plugin_prefix(tmp_path):
    module = plugin("prefixed")

    class Misnamed(db.Model):
        __tablename__ = "misnamed_table"
        __module__ = module.__name__
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(10))

    try:
        with pytest.raises(StartupError, match="table 'misnamed_table' of Misnamed must be named"):
            create_app({"INSTANCE_PATH": str(tmp_path)}, extra_plugins=[module])
    finally:  # the mapper stays, but no other test loads this plugin
        db.metadata.remove(Misnamed.__table__)


def test_migrations_must_be_named_after_their_plugin(tmp_path):
    from onward import Migrations

    bad = plugin("lineage", register_migrations=lambda: Migrations("someone_else", tmp_path))
    with pytest.raises(StartupError, match="'lineage' registered migrations for 'someone_else'"):
        create_app({"INSTANCE_PATH": str(tmp_path)}, extra_plugins=[bad])


def test_disabling_a_plugin_removes_its_routes_and_navigation(tmp_path, exemplar):
    on = create_app({"INSTANCE_PATH": str(tmp_path)}, extra_plugins=[exemplar])
    off = create_app({"INSTANCE_PATH": str(tmp_path), "DISABLED_PLUGINS": "exemplar"},
                     extra_plugins=[exemplar])
    assert "exemplar.things" in on.view_functions
    assert "exemplar.things" not in off.view_functions
    assert "exemplar_api.api_things" not in off.view_functions
    assert "exemplar.things" not in off.extensions["onward"].registries.navigation


def test_disabled_plugins_come_from_the_environment(tmp_path, monkeypatch, exemplar):
    monkeypatch.setenv("ONWARD_DISABLED_PLUGINS", "exemplar")
    app = create_app({"INSTANCE_PATH": str(tmp_path)}, extra_plugins=[exemplar])
    assert not app.extensions["onward"].pm.has_plugin("exemplar")


def test_plugin_info_lists_version_requires_and_hooks(exemplar):
    infos = {info.name: info for info in plugin_info(get_plugin_manager(extra=[exemplar]))}
    assert infos["core"].distribution == "onward"
    assert infos["exemplar"].version == "1.2.3"
    assert "register_roles" in infos["exemplar"].hooks
    assert "on_event" in infos["exemplar"].hooks


def test_trace_plugins_prints_hook_calls(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("ONWARD_TRACE_PLUGINS", "1")
    pm = get_plugin_manager()
    pm.hook.register_roles()
    assert "register_roles" in capsys.readouterr().out


def test_lifecycle_order_of_hooks(tmp_path, exemplar):
    calls = []
    pm_hooks = [
        "register_roles", "register_navigation", "register_case_types",
        "register_activity_definitions", "register_playbooks", "register_validators",
        "register_import_targets", "register_success_plays", "register_scorecards",
        "register_jobs", "register_migrations", "register_access_rules",
        "register_blueprints",
    ]
    spy = plugin("spy", **{
        hook: (lambda name: (lambda: calls.append(name)))(hook) for hook in pm_hooks
        if hook != "register_blueprints"
    }, register_blueprints=lambda app: calls.append("register_blueprints"))
    create_app({"INSTANCE_PATH": str(tmp_path)}, extra_plugins=[spy])
    assert calls == pm_hooks
    assert "register_commands" not in calls and "register_demo_data" not in calls


def test_cli_calls_register_commands_only_when_commands_are_needed(exemplar):
    from onward.cli import make_cli

    calls = []
    spy = plugin("spy", register_commands=lambda cli: calls.append("register_commands"))
    group = make_cli((spy,))
    assert calls == []
    group.list_commands(None)
    group.get_command(None, "db")
    assert calls == ["register_commands"]


def test_navigation_entry_needs_its_right(app, client, login_as):
    login_as("exemplar_viewer")
    assert b"Things" in client.get("/").data
    client.post("/sign-out")
    login_as()
    assert b">Things<" not in client.get("/").data


def test_navigation_respects_audience(exemplar):
    item = NavItem("Mine", "core.home", audience="customer")
    from onward.core.views.navigation import _visible

    internal = types.SimpleNamespace(is_customer=False)
    assert not _visible(item, internal)
