"""The first tests of onward-welcome, using the fixtures Onward ships."""

from onward_welcome.models import WelcomeNote

from onward import db, onward_state


def test_a_writer_sees_the_notes_page(client, login_as):
    login_as("welcome_writer")
    response = client.get("/welcome/")
    assert response.status_code == 200
    assert b"Welcome notes" in response.data


def test_someone_without_the_role_is_refused(client, login_as):
    login_as()
    assert client.get("/welcome/").status_code == 403


def test_the_activity_writes_a_numbered_note(app, make_account):
    account = make_account("Northwind")
    with app.app_context():
        definition = onward_state().registries.activity_definitions["welcome_note"]
        note = definition.handlers["complete"](account, {"subject": "Hello Northwind"})
        db.session.commit()
        assert note.number == "WEL0000001"
        assert db.session.get(WelcomeNote, note.id).domain_id is not None


def test_the_command_counts_notes(runner):
    result = runner.invoke(["welcome", "count"])
    assert result.exit_code == 0
    assert result.output.strip() == "0"
