"""A refusal reads the same through the web UI, the JSON API and the CLI."""

import html

import pytest

from onward import SYSTEM, acting_as, db
from onward.core.playbooks import engine

RULE = "Priority must be between 1 and 5."
INPUT = "Describe: short_description: 'x' is too short"


@pytest.fixture
def instance_at(app, exemplar, make_account):
    """An exemplar playbook on a new case, walked to the activity named."""

    def make(activity: str) -> int:
        with app.app_context(), acting_as(SYSTEM):
            case = exemplar.ExemplarCase(account_id=make_account())
            db.session.add(case)
            db.session.flush()
            instance = engine.start(case, "exemplar_playbook")
            if activity == "triage":
                engine.complete(instance, engine.get_activity(instance, "describe"),
                                {"short_description": "Onboard Acme"})
            db.session.commit()
            return instance.id

    return make


CASES = [("triage", {"priority": 9}, {"priority": "9"}, RULE),
         ("describe", {"short_description": "x"}, {"short_description": "x"}, INPUT)]


@pytest.mark.parametrize(("activity", "api_input", "form", "message"), CASES)
def test_the_same_message_everywhere(app, client, runner, login_as, make_user, api_headers,
                                     instance_at, activity, api_input, form, message):
    import json

    admin = make_user("admin")
    instance_id = instance_at(activity)
    path = f"/api/v1/playbook-instances/{instance_id}/activities/{activity}/complete"
    api = client.post(path, json={"input": api_input}, headers=api_headers(admin))
    assert api.status_code == 422
    assert api.json["error"]["message"] == message

    cli = runner.invoke(["playbooks", "complete", str(instance_id), activity,
                         "--input", json.dumps(api_input)])
    assert cli.exit_code == 1
    assert message in " ".join(cli.output.split())

    login_as(user=admin)
    fields = {f"{activity}-{name}": value for name, value in form.items()}  # as the page names
    ui = client.post(f"/playbooks/{instance_id}/activities/{activity}/complete", data=fields)
    assert ui.status_code == 422
    assert message in html.unescape(ui.get_data(as_text=True))
