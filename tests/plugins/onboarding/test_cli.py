"""``onward cases`` and ``onward tasks``."""

import json

from onward import db
from onward.plugins.onboarding.models import OnboardingCase


def test_create_list_show_and_set_state(app, runner, make_account):
    make_account("Genixify")
    created = runner.invoke(["cases", "create", "--account", "genixify", "--type", "phased",
                             "--go-live", "2030-06-30"])
    assert created.exit_code == 0, created.output
    number = created.output.strip().splitlines()[-1]
    assert number.startswith("ALEONB")
    listed = json.loads(runner.invoke(["cases", "list", "--json"]).output)
    assert number in [row["number"] for row in listed]
    shown = json.loads(runner.invoke(["cases", "show", number, "--json"]).output)
    assert (shown["type"], shown["go_live_date"]) == ("phased", "2030-06-30")
    moved = runner.invoke(["cases", "set-state", number, "Active"])
    assert moved.output.strip() == f"{number}: Active / On track"
    active = json.loads(runner.invoke(["cases", "list", "--state", "Active", "--json"]).output)
    assert [row["number"] for row in active] == [number]


def test_errors_are_one_clear_line(runner, make_account):
    make_account("Genixify")
    missing = runner.invoke(["cases", "create", "--account", "Nobody"])
    assert missing.exit_code != 0 and "No account named 'Nobody'" in missing.output
    bad_date = runner.invoke(["cases", "create", "--account", "Genixify", "--go-live", "soon"])
    assert bad_date.exit_code != 0 and "not a date" in bad_date.output
    unknown = runner.invoke(["cases", "show", "ALEONB9999999"])
    assert unknown.exit_code != 0 and "No onboarding case ALEONB9999999" in unknown.output


def test_set_state_refuses_unknown_states(app, runner, make_account):
    make_account("Genixify")
    with app.app_context():
        number = db.session.query(OnboardingCase.number).scalar()
    refused = runner.invoke(["cases", "set-state", number, "Sleeping"])
    assert refused.exit_code == 1
    assert "Unknown state 'Sleeping'" in refused.output


def test_tasks_list_overdue(runner, make_account, new_case, new_task, yesterday):
    case_id = new_case(make_account("Genixify"))
    new_task(case_id, "Late", due_date=yesterday)
    new_task(case_id, "Someday")
    overdue = json.loads(runner.invoke(["tasks", "list", "--overdue", "--json"]).output)
    assert [row["subject"] for row in overdue] == ["Late"]
    everything = json.loads(runner.invoke(["tasks", "list", "--json"]).output)
    assert len(everything) == 2
