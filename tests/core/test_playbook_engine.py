"""The playbook engine walked from the first activity to the last, and its refusals."""

import copy

import pytest
from sqlalchemy import select

from onward import SYSTEM, RuleViolation, ValidationFailed, acting_as, db
from onward.core.events import EventRecord
from onward.core.playbooks import definitions, engine


@pytest.fixture
def case_id(app, exemplar, make_account):
    account = make_account()
    with app.app_context():
        case = exemplar.ExemplarCase(account_id=account)
        db.session.add(case)
        db.session.commit()
        return case.id


@pytest.fixture
def walk(app, exemplar, case_id):
    """Runs ``steps(instance, act)`` as the system on a started playbook, committing after."""

    def run(steps=None):
        with app.app_context(), acting_as(SYSTEM):
            case = db.session.get(exemplar.ExemplarCase, case_id)
            instance = engine.start(case, "exemplar_playbook")
            db.session.commit()
            if steps:
                steps(instance, lambda key: engine.get_activity(instance, key))
                db.session.commit()
            return instance.id

    return run


def states(instance):
    return {a.key: a.state for a in instance.activities}


def test_starting_opens_the_first_activity_only(app, walk):
    instance_id = walk()
    with app.app_context():
        instance = db.session.get(engine.PlaybookInstance, instance_id)
        assert states(instance) == {
            "describe": "in_progress", "triage": "pending", "integrate": "pending",
            "document": "pending", "review": "pending", "wrap_up": "pending"}
        assert (instance.status, instance.current_stage) == ("active", "setup")
        assert instance.version.version == 1


def test_walk_from_first_to_last_activity(app, walk, exemplar, case_id):
    def steps(instance, act):
        engine.save(instance, act("describe"), {"short_description": "Draft"})
        assert act("describe").input == {"short_description": "Draft"}
        engine.complete(instance, act("describe"), {"short_description": "Onboard Acme",
                                                     "integration": "not_required"})
        assert states(instance)["triage"] == "in_progress"
        engine.complete(instance, act("triage"), {"priority": 2})
        # stage 2: the condition hides Integrate; Document starts with it; Review waits on
        # Document although it starts "with previous"
        assert states(instance) == {
            "describe": "complete", "triage": "complete", "integrate": "skipped",
            "document": "in_progress", "review": "pending", "wrap_up": "pending"}
        assert act("integrate").skip_reason == "condition"
        assert instance.current_stage == "build"
        engine.complete(instance, act("document"), {"note": "written"})
        assert states(instance)["review"] == "in_progress"
        engine.complete(instance, act("review"))
        assert (instance.current_stage, states(instance)["wrap_up"]) == ("finish", "in_progress")
        engine.skip(instance, act("wrap_up"))
        assert instance.status == "complete" and instance.completed_at is not None

    instance_id = walk(steps)
    with app.app_context():
        case = db.session.get(exemplar.ExemplarCase, case_id)
        assert (case.short_description, case.priority) == ("Onboard Acme", 2)
        instance = db.session.get(engine.PlaybookInstance, instance_id)
        actions = [entry.action for entry in engine.log_of(instance)]
        assert actions[:4] == ["started", "stage.started", "activity.started", "activity.saved"]
        assert actions[-3:] == ["activity.skipped", "stage.completed", "completed"]
        assert actions.count("activity.completed") == 4
        names = db.session.scalars(select(EventRecord.name).where(
            EventRecord.name.startswith("playbook.")).order_by(EventRecord.id)).all()
        assert "playbook.activity.completed" in names and names[-1] == "playbook.completed"
        triaged = db.session.scalars(select(EventRecord).where(
            EventRecord.name == "exemplar.triaged")).one()
        assert triaged.data["priority"] == 2 and triaged.data["activity"] == "triage"


def test_with_previous_activities_start_together(app, walk):
    def steps(instance, act):
        engine.complete(instance, act("describe"), {"short_description": "Integrate Acme",
                                                     "integration": "remote_catalog"})
        engine.complete(instance, act("triage"), {"priority": 1})
        assert states(instance)["integrate"] == "in_progress"
        assert states(instance)["document"] == "in_progress"
        assert states(instance)["review"] == "pending"  # its dependency is not done
        engine.complete(instance, act("integrate"))
        assert states(instance)["review"] == "pending"
        assert instance.current_stage == "build"

    walk(steps)


def test_an_invalid_input_is_refused_with_its_field(app, walk):
    def steps(instance, act):
        with pytest.raises(ValidationFailed) as refused:
            engine.complete(instance, act("describe"), {"short_description": "x"})
        assert refused.value.fields == {"short_description": ["'x' is too short"]}
        with pytest.raises(ValidationFailed) as refused:
            engine.complete(instance, act("describe"), {})
        assert "short_description" in refused.value.fields
        with pytest.raises(ValidationFailed, match="integration"):
            engine.save(instance, act("describe"), {"integration": "carrier pigeon"})
        assert states(instance)["describe"] == "in_progress"

    walk(steps)


def test_saving_needs_nothing_yet_but_checks_types(app, walk):
    def steps(instance, act):
        engine.save(instance, act("describe"), {"integration": "remote_task"})
        with pytest.raises(ValidationFailed):
            engine.save(instance, act("describe"), {"surprise": True})

    walk(steps)


def test_a_business_rule_refuses_the_completion(app, walk, exemplar, case_id):
    def steps(instance, act):
        engine.complete(instance, act("describe"), {"short_description": "Onboard Acme"})
        db.session.commit()
        with pytest.raises(RuleViolation, match=r"^Priority must be between 1 and 5\.$"):
            engine.complete(instance, act("triage"), {"priority": 9})  # flushes: the rule runs
        db.session.rollback()

    walk(steps)
    with app.app_context():
        case = db.session.get(exemplar.ExemplarCase, case_id)
        assert case.priority == 3
        instance = engine.instances_for(case)[0]
        assert states(instance)["triage"] == "in_progress"


def test_only_activities_in_progress_can_be_acted_on(app, walk):
    def steps(instance, act):
        with pytest.raises(RuleViolation, match="'Triage' is pending"):
            engine.complete(instance, act("triage"), {"priority": 1})
        with pytest.raises(RuleViolation, match="'Describe' is not optional"):
            engine.skip(instance, act("describe"))

    walk(steps)


def test_acting_needs_write_on_the_record(app, exemplar, walk, make_user, make_domain):
    from onward import AccessDenied, NotFound
    from onward.core.models import User
    from onward.core.roles import save_role

    instance_id = walk()
    with app.app_context(), acting_as(SYSTEM):
        save_role(None, name="case_reader", rights={"exemplar_case": "r"})
        db.session.commit()
    reader, stranger = make_user("case_reader"), make_user("admin", domain=make_domain("far"))
    with app.app_context():
        with acting_as(db.session.get(User, reader)):
            instance = engine.get_instance(instance_id)
            with pytest.raises(AccessDenied):
                engine.complete(instance, engine.get_activity(instance, "describe"),
                                {"short_description": "Nope"})
        with acting_as(db.session.get(User, stranger)), pytest.raises(NotFound):
            engine.get_instance(instance_id)


def test_running_instances_keep_their_version(app, exemplar, walk, case_id):
    instance_id = walk()
    changed = copy.deepcopy(exemplar.EXEMPLAR_PLAYBOOK)
    changed["stages"][0]["activities"][0]["label"] = "Describe it well"
    with app.app_context(), acting_as(SYSTEM):
        version, created = definitions.store(changed)
        db.session.commit()
        assert (version.version, created) == (2, True)
        assert definitions.store(changed)[1] is False  # the same again: no new version
        old = db.session.get(engine.PlaybookInstance, instance_id)
        assert old.version.version == 1
        assert engine.get_activity(old, "describe").label == "Describe"
        new = engine.start(db.session.get(exemplar.ExemplarCase, case_id), "exemplar_playbook")
        assert engine.get_activity(new, "describe").label == "Describe it well"
