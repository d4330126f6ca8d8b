"""Business rules and case types: State drives Stage, alternatives, refusals, every writer."""

import types

import pytest
from sqlalchemy import select

from onward import RuleViolation, StartupError, create_app, db, hookimpl
from onward.core.registries import CaseType, Rule, StateMap


@pytest.fixture
def new_case(app, exemplar, make_account):
    account = make_account()

    def make(**fields):
        with app.app_context():
            case = exemplar.ExemplarCase(account_id=account, **fields)
            db.session.add(case)
            db.session.commit()
            return case.id

    return make


def _case(exemplar, case_id):
    return db.session.get(exemplar.ExemplarCase, case_id)


def test_a_new_case_starts_in_the_first_state_with_its_default_stage(app, exemplar, new_case):
    case_id = new_case()
    with app.app_context():
        case = _case(exemplar, case_id)
        assert (case.state, case.stage, case.number) == ("New", "Not started", "EXC0000001")


@pytest.mark.parametrize(("state", "stage"), [
    ("Blocked", "Paused"), ("Closed", "Finished"), ("Canceled", "Finished"),
    ("New", "Not started"),
])
def test_changing_the_state_sets_the_default_stage(app, exemplar, new_case, state, stage):
    case_id = new_case(state="Active", stage="At risk")
    with app.app_context():
        case = _case(exemplar, case_id)
        case.state = state
        db.session.commit()
        assert case.stage == stage


def test_at_risk_is_allowed_while_open(app, exemplar, new_case):
    case_id = new_case(state="Active")
    with app.app_context():
        case = _case(exemplar, case_id)
        case.stage = "At risk"
        db.session.commit()
        assert (case.state, case.stage) == ("Active", "At risk")


@pytest.mark.parametrize("state", ["Closed", "Canceled"])
def test_at_risk_is_refused_when_closed_or_canceled(app, exemplar, new_case, state):
    case_id = new_case(state=state)
    with app.app_context():
        case = _case(exemplar, case_id)
        case.stage = "At risk"
        with pytest.raises(RuleViolation) as refused:
            db.session.commit()
        assert str(refused.value) == (
            f"Stage 'At risk' is not allowed when the state is {state!r}; allowed: Finished.")
        assert list(refused.value.fields) == ["stage"]
        db.session.rollback()
        assert _case(exemplar, case_id).stage == "Finished"


def test_a_stage_from_another_state_is_refused(app, exemplar, new_case):
    case_id = new_case()
    with app.app_context():
        case = _case(exemplar, case_id)
        case.stage = "Paused"
        with pytest.raises(RuleViolation, match="allowed: Not started, At risk"):
            db.session.flush()


def test_state_and_stage_changed_together_must_agree(app, exemplar, new_case):
    case_id = new_case()
    with app.app_context():
        case = _case(exemplar, case_id)
        case.state, case.stage = "Active", "At risk"
        db.session.commit()
        assert case.stage == "At risk"
        case.state, case.stage = "Closed", "On track"
        with pytest.raises(RuleViolation, match="allowed: Finished"):
            db.session.flush()


def test_back_to_an_open_state_the_stage_is_that_states_default(app, exemplar, new_case):
    case_id = new_case(state="Active", stage="At risk")
    with app.app_context():
        case = _case(exemplar, case_id)
        case.state = "Blocked"
        db.session.commit()
        case.state = "Active"
        db.session.commit()
        assert case.stage == "On track"


def test_an_unknown_state_is_refused(app, exemplar, new_case):
    case_id = new_case()
    with app.app_context():
        _case(exemplar, case_id).state = "Sleeping"
        with pytest.raises(RuleViolation, match="Unknown state 'Sleeping'; use one of: New, "):
            db.session.flush()


def test_plugin_rules_refuse_and_nothing_is_written(app, exemplar, new_case):
    case_id = new_case()
    with app.app_context():
        _case(exemplar, case_id).priority = 7
        with pytest.raises(RuleViolation, match="Priority must be between 1 and 5"):
            db.session.commit()
        db.session.rollback()
        assert _case(exemplar, case_id).priority == 3


def test_rules_see_old_and_new_values(app, exemplar, new_case):
    seen = []

    def watch(case, change):
        seen.append((change.kind, change.old("priority"), change.new("priority"),
                     change.changed("priority"), change.changed("short_description")))

    case_id = new_case(priority=2)
    plugin = types.ModuleType("watcher_plugin")
    plugin.register_rules = hookimpl(lambda: [Rule("watch", exemplar.ExemplarCase, watch,
                                                   on=("update", "delete"))])
    second = create_app({**app.config, "INSTANCE_PATH": app.instance_path},
                        extra_plugins=[exemplar, plugin])
    with second.app_context():
        case = _case(exemplar, case_id)
        case.priority = 4
        db.session.commit()
        db.session.delete(case)
        db.session.commit()
    assert seen == [("update", 2, 4, True, False), ("delete", 4, 4, False, False)]


def test_the_api_shows_the_rules_message_unchanged(app, client, exemplar, new_case, make_user,
                                                   api_headers):
    from onward.core.roles import save_role

    case_id = new_case(state="Closed")
    with app.app_context():
        from onward import SYSTEM, acting_as

        with acting_as(SYSTEM):
            save_role(None, name="case_writer", rights={"exemplar_case": "rw"})
            db.session.commit()
    headers = api_headers(make_user("case_writer"))
    response = client.patch(f"/api/v1/exemplar/cases/{case_id}", json={"stage": "At risk"},
                            headers=headers)
    assert response.status_code == 422
    assert response.json["error"] == {
        "code": "rule_violation",
        "message": "Stage 'At risk' is not allowed when the state is 'Closed'; allowed: Finished.",
        "fields": {"stage": ["Stage 'At risk' is not allowed when the state is 'Closed'; "
                             "allowed: Finished."]},
    }


def _case_type_plugin(**changes):
    fields = {"key": "odd", "label": "Odd", "prefix": "ODD", "states": ("A", "B"),
              "maps": (StateMap("stage", {"A": "x", "B": "y"}),)}
    fields.update(changes)
    plugin = types.ModuleType("odd_plugin")
    plugin.register_case_types = hookimpl(lambda: [CaseType(**fields)])
    return plugin


def test_a_state_map_must_cover_every_state(tmp_path):
    plugin = _case_type_plugin(maps=(StateMap("stage", {"A": "x"}),))
    with pytest.raises(StartupError, match=r"maps 'stage' for states \['B'\] without a default"):
        create_app({"INSTANCE_PATH": str(tmp_path)}, extra_plugins=[plugin])


def test_a_case_types_prefix_matches_its_models(tmp_path, exemplar):
    plugin = _case_type_plugin(model=exemplar.ExemplarCase)
    with pytest.raises(StartupError, match="prefix 'ODD' but its model numbers with 'EXC'"):
        create_app({"INSTANCE_PATH": str(tmp_path)}, extra_plugins=[plugin])


def test_events_carry_the_stage_set_by_the_state(app, exemplar, new_case):
    from onward.core.events import EventRecord

    case_id = new_case()
    with app.app_context():
        _case(exemplar, case_id).state = "Blocked"
        db.session.commit()
        updated = db.session.scalars(select(EventRecord).where(
            EventRecord.name == "exemplar_case.updated")).one()
        assert updated.changes == {"state": ["New", "Blocked"], "stage": ["Not started", "Paused"]}
