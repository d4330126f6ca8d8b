"""The first tests of onward-welcome, using the fixtures Onward ships."""

import pytest
from onward_welcome.models import WelcomeNote
from sqlalchemy import select

from onward import Account, User, ValidationFailed, acting_as, db, playbooks


def test_a_writer_sees_the_notes_page(client, login_as):
    login_as("welcome_writer")
    response = client.get("/welcome/")
    assert response.status_code == 200
    assert b"Welcome notes" in response.data


def test_someone_without_the_role_is_refused(client, login_as):
    login_as()
    assert client.get("/welcome/").status_code == 403


def test_the_playbook_writes_a_numbered_note(app, make_account, make_user):
    account, writer = make_account("Northwind"), make_user("welcome_writer")
    with app.app_context(), acting_as(db.session.get(User, writer)):
        instance = playbooks.start(db.session.get(Account, account), "welcome")
        first = playbooks.get_activity(instance, "write_note")
        playbooks.complete(instance, first, {"subject": "Hello Northwind"})
        db.session.commit()
        note = db.session.scalars(select(WelcomeNote)).one()
        assert (note.number, note.subject) == ("WEL0000001", "Hello Northwind")
        assert note.domain_id is not None
        follow_up = playbooks.get_activity(instance, "follow_up")
        assert follow_up.state == "in_progress"  # the account is active: its condition holds
        playbooks.skip(instance, follow_up)
        assert instance.status == "complete"


def test_the_note_needs_a_subject(app, make_account, make_user):
    account, writer = make_account("Northwind"), make_user("welcome_writer")
    with app.app_context(), acting_as(db.session.get(User, writer)):
        instance = playbooks.start(db.session.get(Account, account), "welcome")
        with pytest.raises(ValidationFailed, match="subject"):
            playbooks.complete(instance, playbooks.get_activity(instance, "write_note"), {})


def test_the_command_counts_notes(runner):
    result = runner.invoke(["welcome", "count"])
    assert result.exit_code == 0
    assert result.output.strip() == "0"
