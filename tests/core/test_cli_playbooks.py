"""``onward playbooks``: load, validate, list and show definitions; start and work playbooks."""

import copy
import json

import pytest
import yaml

from onward.core.playbooks.models import PlaybookVersion

from .cli_helpers import count, fails, ok, parse_json
from .engine_helpers import case_fields, make_case, states


@pytest.fixture
def definition(exemplar):
    """A copy of the exemplar playbook to change."""
    return copy.deepcopy(exemplar.EXEMPLAR_PLAYBOOK)


def _problems(result):
    """The ``PATH: message`` lines of a refused definition."""
    assert result.exit_code == 1, result.output
    return [line for line in result.output.splitlines() if line.startswith("$")]


def test_load_stores_a_new_version_once(app, runner, tmp_path, definition):
    definition["label"] = "Revised"
    path = tmp_path / "exemplar.json"
    path.write_text(json.dumps(definition))
    assert ok(runner.invoke(["playbooks", "load", str(path)])).strip() == (
        "Stored exemplar_playbook version 2")
    assert ok(runner.invoke(["playbooks", "load", str(path)])).strip() == (
        "Unchanged: exemplar_playbook version 2")

    definition["label"] = "Revised in YAML"
    path = tmp_path / "exemplar.yaml"
    path.write_text(yaml.safe_dump(definition))
    assert "Stored exemplar_playbook version 3" in ok(runner.invoke(["playbooks", "load",
                                                                     str(path)]))
    (row,) = parse_json(runner.invoke(["playbooks", "list", "--json"]))
    assert {key: row[key] for key in ("key", "label", "version", "versions", "source")} == {
        "key": "exemplar_playbook", "label": "Revised in YAML", "version": 3, "versions": 3,
        "source": "admin"}
    assert "Revised in YAML" in ok(runner.invoke(["playbooks", "list"]))


def test_an_invalid_definition_lists_each_problem_and_stores_nothing(app, runner, tmp_path,
                                                                     definition):
    activities = definition["stages"][1]["activities"]
    activities[0]["definition"] = "exemplar_missing"
    activities[1]["condition"] = {"field": "colour", "op": "eq", "value": "red"}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(definition))
    expected = [
        "$.stages[1].activities[0].definition: No activity definition 'exemplar_missing' is "
        "installed.",
        "$.stages[1].activities[1].condition: The condition reads 'colour', which a Exemplar "
        "case does not have.",
    ]
    for command in ("load", "validate"):
        assert _problems(runner.invoke(["playbooks", command, str(path)])) == expected
    assert count(app, PlaybookVersion) == 1

    path.write_text("key: [unclosed")
    (problem,) = _problems(runner.invoke(["playbooks", "validate", str(path)]))
    assert problem.startswith("$: ")
    missing = runner.invoke(["playbooks", "load", str(tmp_path / "missing.json")])
    assert missing.exit_code == 2
    assert "does not exist" in missing.output


def test_validate_a_good_definition(app, runner, tmp_path, definition):
    definition["key"] = "another"
    path = tmp_path / "another.json"
    path.write_text(json.dumps(definition))
    assert ok(runner.invoke(["playbooks", "validate", str(path)])).strip() == "valid"
    assert count(app, PlaybookVersion) == 1


def test_show_draws_the_stages_and_activities_as_a_tree(runner):
    output = ok(runner.invoke(["playbooks", "show", "exemplar_playbook"]))
    for text in (
        "Exemplar playbook (exemplar_playbook), version 1",
        "Set-up (setup)",
        "Describe (describe): exemplar_describe; starts after_previous",
        "Triage (triage): exemplar_triage; starts after_previous; responsibility "
        "exemplar_editor",
        'Integrate (integrate): exemplar_note; starts after_previous; if integration ne '
        '"not_required"',
        "Review (review): exemplar_note; starts with_previous; depends on document",
        "Wrap up (wrap_up): exemplar_note; starts after_previous; optional",
    ):
        assert text in output, output
    assert output.index("Set-up") < output.index("Build") < output.index("Finish")
    shown = json.loads(ok(runner.invoke(["playbooks", "show", "exemplar_playbook", "--version",
                                         "1", "--json"])))
    assert (shown["version"], shown["data"]["key"]) == (1, "exemplar_playbook")
    fails(runner.invoke(["playbooks", "show", "exemplar_playbook", "--version", "9"]),
          "No playbook 'exemplar_playbook' version 9.")
    fails(runner.invoke(["playbooks", "show", "nothing"]), "No playbook 'nothing'.")


def _instance(runner, instance_id):
    return json.loads(ok(runner.invoke(["playbooks", "instance", str(instance_id), "--json"])))


def test_start_and_work_a_playbook_with_refusals_on_one_line(app, runner, exemplar,
                                                             make_account, tmp_path):
    case = make_case(app, exemplar, make_account())
    output = ok(runner.invoke(["playbooks", "start", "exemplar_case", str(case),
                               "exemplar_playbook"]))
    assert "Started exemplar_playbook version 1 for exemplar_case" in output
    assert "In progress: Describe." in output
    instance = int(output.split("instance ")[1].split(".")[0])
    assert states(_instance(runner, instance))["describe"] == "in_progress"

    step = ["playbooks", "save", str(instance), "describe", "--input"]
    assert "Saved 'Describe'" in ok(runner.invoke([*step, '{"integration": "remote_task"}']))
    fails(runner.invoke(["playbooks", "complete", str(instance), "describe", "--input",
                         '{"short_description": "ab"}']), "Describe: short_description: 'ab' "
                                                          "is too short")
    ok(runner.invoke(["playbooks", "complete", str(instance), "describe", "--input",
                      '{"short_description": "Office"}']))

    priority = tmp_path / "priority.json"
    priority.write_text('{"priority": 9}')
    refused = runner.invoke(["playbooks", "complete", str(instance), "triage",
                             "--input-file", str(priority)])
    fails(refused, "Priority must be between 1 and 5.")
    assert "Priority must be between 1 and 5." in [line.strip("│ ") for line in
                                                   refused.output.splitlines()]
    assert case_fields(app, exemplar, case)["priority"] == 3
    output = ok(runner.invoke(["playbooks", "complete", str(instance), "triage", "--input",
                               '{"priority": 1}']))
    assert "In progress: Integrate, Document." in output  # the condition holds now

    fails(runner.invoke(["playbooks", "skip", str(instance), "integrate"]),
          "'Integrate' is not optional; complete it instead.")
    fails(runner.invoke(["playbooks", "complete", str(instance), "describe"]),
          "'Describe' is complete; only an activity in progress can be completed.")
    fails(runner.invoke(["playbooks", "complete", str(instance), "nothing"]),
          "Playbook 'exemplar_playbook' has no activity 'nothing'.")
    for key in ("integrate", "document", "review"):
        ok(runner.invoke(["playbooks", "complete", str(instance), key]))
    output = ok(runner.invoke(["playbooks", "skip", str(instance), "wrap_up"]))
    assert "Skipped 'Wrap up'" in output
    assert "The playbook is complete." in output

    shown = _instance(runner, instance)
    assert (shown["status"], shown["record_id"]) == ("complete", case)
    assert states(shown) == {"describe": "complete", "triage": "complete",
                             "integrate": "complete", "document": "complete",
                             "review": "complete", "wrap_up": "skipped"}
    assert shown["activities"][0]["input"] == {"integration": "remote_task",
                                               "short_description": "Office"}
    table = ok(runner.invoke(["playbooks", "instance", str(instance)]))
    assert "complete" in table and "by hand" in table


def test_input_and_record_mistakes_are_one_line_errors(app, runner, exemplar, make_account,
                                                       tmp_path):
    case = make_case(app, exemplar, make_account())
    fails(runner.invoke(["playbooks", "start", "nothing", "1", "exemplar_playbook"]),
          "No record type 'nothing'.")
    fails(runner.invoke(["playbooks", "start", "exemplar_case", str(case + 1),
                         "exemplar_playbook"]), f"No case with id {case + 1}.")
    fails(runner.invoke(["playbooks", "start", "exemplar_case", str(case), "nothing"]),
          "No playbook 'nothing'.")
    fails(runner.invoke(["playbooks", "instance", "999"]), "No playbook instance 999.")
    output = ok(runner.invoke(["playbooks", "start", "exemplar_case", str(case),
                               "exemplar_playbook"]))
    instance = output.split("instance ")[1].split(".")[0]
    fails(runner.invoke(["playbooks", "save", instance, "describe"]),
          "Give the input with --input or --input-file.")
    fails(runner.invoke(["playbooks", "save", instance, "describe", "--input", "{oops"]),
          "The input is not valid JSON")
    path = tmp_path / "input.json"
    path.write_text("{}")
    fails(runner.invoke(["playbooks", "save", instance, "describe", "--input", "{}",
                         "--input-file", str(path)]), "Give --input or --input-file, not both.")
    fails(runner.invoke(["playbooks", "save", instance, "describe", "--input", "[1]"]),
          "The input of an activity is an object.")
