"""Helpers shared by the tests of the playbook and job API and commands."""

from onward.core.actor import SYSTEM, acting_as
from onward.core.db import db
from onward.core.playbooks import engine
from onward.core.roles import save_role


def make_role(app, name, rights, *, external=False):
    """An admin-made role granting ``rights`` (``{table: letters}``)."""
    with app.app_context(), acting_as(SYSTEM):
        save_role(None, name=name, rights=rights, external=external)
        db.session.commit()


def make_case(app, exemplar, account, **fields):
    """An exemplar case of ``account``; returns its id."""
    with app.app_context():
        case = exemplar.ExemplarCase(account_id=account, **fields)
        db.session.add(case)
        db.session.commit()
        return case.id


def start_playbook(app, exemplar, case_id, key="exemplar_playbook"):
    """Start playbook ``key`` for a case, as the system; returns the instance id."""
    with app.app_context(), acting_as(SYSTEM):
        instance = engine.start(db.session.get(exemplar.ExemplarCase, case_id), key)
        db.session.commit()
        return instance.id


def case_fields(app, exemplar, case_id):
    """What the playbook's handlers write onto a case."""
    with app.app_context():
        case = db.session.get(exemplar.ExemplarCase, case_id)
        return {"short_description": case.short_description, "integration": case.integration,
                "priority": case.priority}


def states(instance):
    """``{activity key: state}`` of an instance as the API or ``--json`` shows it."""
    return {activity["key"]: activity["state"] for activity in instance["activities"]}
