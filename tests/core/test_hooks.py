"""One test per hook: what the exemplar plugin contributes arrives where it should."""

import pytest
from sqlalchemy import inspect, select, text

from onward import User, db
from onward.core.events import emit
from onward.core.models import Role
from onward.core.registries import FieldRule, RecordRule


def registry(app, name):
    return app.extensions["onward"].registries.__getattribute__(name)


def test_hook_register_blueprints(app, client, login_as, make_user, api_headers, exemplar):
    assert app.url_map.bind("localhost").match("/exemplar/things")[0] == "exemplar.things"
    login_as("exemplar_viewer")
    assert client.get("/exemplar/things").status_code == 200
    viewer = make_user("exemplar_viewer")
    response = client.get("/api/v1/exemplar/things", headers=api_headers(viewer))
    assert response.status_code == 200 and response.json == []


def test_every_plugin_api_route_needs_a_user(app):
    response = app.test_client().get("/api/v1/exemplar/things")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthenticated"


def test_hook_register_roles(app):
    with app.app_context():
        editor = db.session.scalar(select(Role).where(Role.name == "exemplar_editor"))
        assert editor.plugin == "exemplar"
        assert [role.name for role in editor.contains] == ["exemplar_viewer"]
        assert [(r.table_name, r.letters) for r in editor.rights] == [("exemplar_thing", "rcwd")]
        customer = db.session.scalar(select(Role).where(Role.name == "exemplar_customer"))
        assert customer.external


def test_hook_register_access_rules(app, exemplar):
    rules = registry(app, "record_rules")
    assert [(r.model, r.role) for r in rules if isinstance(r, RecordRule)] == [
        (exemplar.ExemplarThing, "exemplar_customer")]
    assert registry(app, "field_rules")[exemplar.ExemplarThing] == {
        "id", "name", "number", "contact_id"}
    assert not any(isinstance(rule, FieldRule) for rule in rules)


def test_hook_register_navigation(app):
    item = registry(app, "navigation")["exemplar.things"]
    assert (item.label, item.section) == ("Things", "Exemplar")
    assert registry(app, "navigation").owners["exemplar.things"] == "exemplar"


def test_hook_register_case_types(app):
    case_type = registry(app, "case_types")["exemplar_case"]
    assert (case_type.prefix, case_type.model.__tablename__) == ("EXC", "exemplar_case")
    assert case_type.maps[0].allowed("Active") == ("On track", "At risk")
    assert case_type.maps[0].allowed("Closed") == ("Finished",)
    assert "exemplar_case.stage" in registry(app, "rules")


def test_hook_register_activity_definitions(app):
    definition = registry(app, "activity_definitions")["exemplar_note"]
    assert definition.input_schema["properties"]["note"] == {"type": "string"}


def test_hook_register_playbooks(app, exemplar):
    playbook = registry(app, "playbooks")["exemplar_playbook"]
    assert playbook.data is exemplar.EXEMPLAR_PLAYBOOK
    with app.app_context():
        from onward.core.playbooks.definitions import latest

        stored = latest("exemplar_playbook")  # written by db upgrade (the app fixture)
        assert (stored.version, stored.source) == (1, "plugin:exemplar")


def test_hook_register_rules(app, exemplar, make_account):
    from onward import RuleViolation

    rule = registry(app, "rules")["exemplar_case.priority"]
    assert rule.model is exemplar.ExemplarCase
    account = make_account()
    with app.app_context():
        case = exemplar.ExemplarCase(account_id=account, priority=9)
        db.session.add(case)
        with pytest.raises(RuleViolation, match=r"Priority must be between 1 and 5\."):
            db.session.flush()


def test_hook_register_validators(app):
    validator = registry(app, "validators")["exemplar_named"]
    assert validator.func({"name": "x"}) and not validator.func({})


def test_hook_register_import_targets(app, exemplar):
    target = registry(app, "import_targets")["exemplar_things"]
    assert target.model is exemplar.ExemplarThing
    assert target.natural_key == ("name",) and target.account_field == "account_id"
    assert [(f.name, f.type, f.required) for f in target.fields] == [
        ("name", "string", True), ("contact_id", "reference", False)]
    assert target.field("contact_id").reference.model is User
    with pytest.raises(KeyError):
        target.field("internal_note")


def test_hook_register_success_plays(app):
    play = registry(app, "success_plays")["exemplar_play"]
    assert play.run(greeting="hi") == {"greeting": "hi"}


def test_hook_register_scorecards(app, exemplar, make_account):
    from onward import SYSTEM, acting_as, scorecards

    card = registry(app, "scorecards")["exemplar_count"]
    account = make_account("Acme")
    with app.app_context(), acting_as(SYSTEM):
        db.session.add_all([exemplar.ExemplarThing(name=name, account_id=account)
                            for name in ("a", "b", "")])
        db.session.commit()
        assert scorecards.count(card) == 2
        assert [point.count for point in scorecards.trend(card)] == [0, 0, 2]
        with app.test_request_context():
            (view,) = [view for view in scorecards.cards() if view.card.key == "exemplar_count"]
        assert (view.count, view.url, view.points) == (2, "/exemplar/things", "0,24 50,24 100,0")


def test_hook_register_jobs(app):
    tick, count = registry(app, "jobs")["exemplar_tick"], registry(app, "jobs")["exemplar_count"]
    assert (tick.schedule, count.schedule) == ("*/5 * * * *", None)
    with app.app_context():
        from onward.core.jobs import JobRun, enqueue

        run_id = enqueue("exemplar_count", times=2).id
        db.session.commit()  # the test app's backend is ``sync``: it runs on commit
        run = db.session.get(JobRun, run_id)
        assert (run.status, run.progress, run.result) == ("succeeded", 100, {"counted": 2})


def test_hook_register_migrations(app):
    with app.app_context():
        assert "exemplar_thing" in inspect(db.engine).get_table_names()
        version = db.session.scalar(text("SELECT version_num FROM alembic_version_exemplar"))
    assert version is not None
    lineage = registry(app, "migrations")["exemplar"]
    assert lineage.version_table == "alembic_version_exemplar"


def test_hook_register_commands(runner):
    result = runner.invoke(["exemplar", "hello"])
    assert result.exit_code == 0, result.output
    assert result.output == "hello from the exemplar\n"


def test_hook_register_demo_data(app, runner, exemplar):
    assert runner.invoke(["demo"]).exit_code == 0
    assert runner.invoke(["demo"]).exit_code == 0
    with app.app_context():
        names = db.session.scalars(select(exemplar.ExemplarThing.name)).all()
    assert names == ["Demo thing"]


def test_hook_on_event(app, exemplar, make_account):
    account = make_account()
    with app.app_context():
        thing = exemplar.ExemplarThing(name="Evented", account_id=account)
        db.session.add(thing)
        db.session.flush()
        emit("exemplar.greeted", record=thing, data={"greeting": "hello"})
        db.session.commit()
        thing_id = thing.id
    names = [event.name for event in exemplar.received_events]
    assert names[-2:] == ["exemplar_thing.created", "exemplar.greeted"]
    greeted = exemplar.received_events[-1]
    assert greeted.data == {"greeting": "hello"}
    assert (greeted.record_type, greeted.record_id) == ("exemplar_thing", thing_id)
