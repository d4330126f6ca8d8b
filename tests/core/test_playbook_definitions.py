"""Playbook definitions: the shipped schema, what they refer to, JSON and YAML, start-up."""

import copy
import json
import types

import pytest
import yaml

from onward import (
    SYSTEM,
    PlaybookDefinition,
    StartupError,
    ValidationFailed,
    acting_as,
    create_app,
    db,
    hookimpl,
)
from onward.core.playbooks import definitions
from onward.core.playbooks.conditions import holds


@pytest.fixture
def playbook(exemplar):
    return copy.deepcopy(exemplar.EXEMPLAR_PLAYBOOK)


def paths(app, data):
    with app.app_context():
        return [(p.path, p.message) for p in definitions.problems(data)]


def test_the_exemplar_playbook_is_valid(app, playbook):
    assert paths(app, playbook) == []


@pytest.mark.parametrize(("change", "path", "message"), [
    (lambda d: d.pop("stages"), "$.stages", "'stages' is a required property"),
    (lambda d: d["stages"][0]["activities"][1].update(start="whenever"),
     "$.stages[0].activities[1].start", "'whenever' is not one of"),
    (lambda d: d["stages"][1]["activities"][0].update(condition={"field": "x", "op": "eval"}),
     "$.stages[1].activities[0].condition", "is not valid under any of the given schemas"),
    (lambda d: d.update(surprise=1), "$", "Additional properties are not allowed"),
    (lambda d: d["stages"][0].update(key="Bad Key"), "$.stages[0].key", "does not match"),
])
def test_shape_problems_come_with_their_json_path(app, playbook, change, path, message):
    change(playbook)
    found = paths(app, playbook)
    assert found and found[0][0] == path
    assert message in found[0][1]


@pytest.mark.parametrize(("change", "path", "message"), [
    (lambda d: d["stages"][0]["activities"][0].update(definition="ghost"),
     "$.stages[0].activities[0].definition", "No activity definition 'ghost' is installed."),
    (lambda d: d["stages"][1]["activities"][2].update(depends_on=["wrap_up"]),
     "$.stages[1].activities[2].depends_on[0]", "may depend only on an activity before it"),
    (lambda d: d["stages"][1]["activities"][1].update(key="describe"),
     "$.stages[1].activities[1].key", "Activity key 'describe' is used twice."),
    (lambda d: d.update(case_type="nobody"), "$.case_type", "No case type 'nobody'"),
    (lambda d: d["stages"][1]["activities"][0].update(
        condition={"field": "colour", "op": "eq", "value": "red"}),
     "$.stages[1].activities[0].condition", "reads 'colour', which a Exemplar case does not"),
    (lambda d: d["stages"].append(copy.deepcopy(d["stages"][0])), "$.stages[3].key",
     "Stage key 'setup' is used twice."),
])
def test_reference_problems_come_with_their_json_path(app, playbook, change, path, message):
    change(playbook)
    found = dict(paths(app, playbook))
    assert path in found and message in found[path]


def test_validate_raises_with_every_problem_by_path(app, playbook):
    playbook["stages"][0]["activities"][0]["definition"] = "ghost"
    playbook["stages"][0]["activities"][1]["definition"] = "phantom"
    with app.app_context(), pytest.raises(ValidationFailed) as refused:
        definitions.validate(playbook)
    assert refused.value.message.startswith("The playbook definition has 2 problems:")
    assert set(refused.value.fields) == {"$.stages[0].activities[0].definition",
                                         "$.stages[0].activities[1].definition"}


def test_json_and_yaml_are_both_read(playbook):
    assert definitions.parse(json.dumps(playbook), "p.json") == playbook
    assert definitions.parse(yaml.safe_dump(playbook), "p.yaml") == playbook


@pytest.mark.parametrize("text", ["{not json", "key: [unclosed", "- a list\n- of things"])
def test_unreadable_files_are_refused_clearly(text):
    with pytest.raises(ValidationFailed):
        definitions.parse(text, "broken.json" if text.startswith("{") else "broken.yaml")


def test_storing_needs_the_right(app, playbook, make_user):
    from onward import AccessDenied
    from onward.core.models import User

    viewer = make_user("exemplar_viewer")
    with app.app_context(), acting_as(db.session.get(User, viewer)), \
            pytest.raises(AccessDenied):
        definitions.store(playbook)


def test_versions_count_up_per_key(app, playbook):
    with app.app_context(), acting_as(SYSTEM):
        playbook["label"] = "Second"
        second, _ = definitions.store(playbook)
        playbook["label"] = "Third"
        third, _ = definitions.store(playbook)
        db.session.commit()
        assert (second.version, third.version) == (2, 3)
        assert definitions.latest("exemplar_playbook").label == "Third"


def test_a_plugin_with_an_invalid_playbook_does_not_start(tmp_path, exemplar, playbook):
    playbook["stages"][0]["activities"][0]["definition"] = "ghost"
    broken = types.ModuleType("broken_plugin")
    broken.register_playbooks = hookimpl(
        lambda: [PlaybookDefinition("broken", {**playbook, "key": "broken"})])
    with pytest.raises(StartupError, match=r"'broken': playbook 'broken': \$\.stages\[0\]"):
        create_app({"INSTANCE_PATH": str(tmp_path)}, extra_plugins=[exemplar, broken])


@pytest.mark.parametrize(("condition", "expected"), [
    (None, True),
    ({"field": "integration", "op": "eq", "value": "remote_task"}, True),
    ({"field": "integration", "op": "in", "value": ["a", "b"]}, False),
    ({"field": "priority", "op": "gte", "value": 3}, True),
    ({"field": "short_description", "op": "empty"}, True),
    ({"all": [{"field": "priority", "op": "lt", "value": 5},
              {"not": {"field": "integration", "op": "eq", "value": "x"}}]}, True),
    ({"any": [{"field": "priority", "op": "gt", "value": 5},
              {"field": "integration", "op": "not_empty"}]}, True),
    ({"any": [{"field": "priority", "op": "gt", "value": 5},
              {"field": "integration", "op": "empty"}]}, False),
])
def test_conditions(condition, expected):
    record = types.SimpleNamespace(integration="remote_task", priority=3, short_description="")
    assert holds(condition, record) is expected
