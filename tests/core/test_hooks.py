"""One test per hook: what the exemplar plugin contributes arrives where it should."""

from sqlalchemy import inspect, select, text

from onward import Event, db
from onward.core.events import dispatch
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
    assert case_type.prefix == "EXC"
    assert case_type.stages["closed"] == "Finished"


def test_hook_register_activity_definitions(app):
    definition = registry(app, "activity_definitions")["exemplar_note"]
    assert definition.input_schema["properties"]["note"] == {"type": "string"}


def test_hook_register_playbooks(app):
    playbook = registry(app, "playbooks")["exemplar_playbook"]
    assert playbook.data["stages"][0]["activities"] == ["exemplar_note"]


def test_hook_register_validators(app):
    validator = registry(app, "validators")["exemplar_named"]
    assert validator.func({"name": "x"}) and not validator.func({})


def test_hook_register_import_targets(app, exemplar):
    target = registry(app, "import_targets")["exemplar_things"]
    assert target.model is exemplar.ExemplarThing
    assert target.natural_key == ("name",)


def test_hook_register_success_plays(app):
    play = registry(app, "success_plays")["exemplar_play"]
    assert play.run(greeting="hi") == {"greeting": "hi"}


def test_hook_register_scorecards(app, exemplar):
    card = registry(app, "scorecards")["exemplar_count"]
    assert "exemplar_thing" in str(card.query())


def test_hook_register_jobs(app):
    job = registry(app, "jobs")["exemplar_tick"]
    assert (job.schedule, job.func()) == ("*/5 * * * *", "tick")


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


def test_hook_on_event(app, exemplar):
    first = Event(id="evt-1", name="exemplar.thing.created", record_type="exemplar_thing",
                  record_id=1)
    second = Event(id="evt-2", name="exemplar.thing.updated", record_type="exemplar_thing",
                   record_id=1, changes={"name": ("a", "b")})
    with app.app_context():
        dispatch(first)
        dispatch(second)
    assert [event.id for event in exemplar.received_events] == ["evt-1", "evt-2"]
    assert exemplar.received_events[1].changes == {"name": ("a", "b")}
