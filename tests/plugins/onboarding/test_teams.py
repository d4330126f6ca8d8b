"""A case's teams, and tasks assigned by responsibility."""

import pytest

from onward import SYSTEM, AccessDenied, User, ValidationFailed, acting_as, db
from onward.plugins.onboarding import teams
from onward.plugins.onboarding.models import CaseTask, OnboardingCase


def _team(app, case_id, *members):
    """Put ``(user_id, [responsibilities])`` on the account team, as the system."""
    with app.app_context(), acting_as(SYSTEM):
        case = db.session.get(OnboardingCase, case_id)
        for user_id, responsibilities in members:
            teams.add_account_member(case, db.session.get(User, user_id), responsibilities)
        db.session.commit()


def _assignees(app, case_id):
    with app.app_context():
        tasks = db.session.query(CaseTask).filter_by(case_id=case_id).order_by(CaseTask.subject)
        return {task.subject: task.assigned_to_id for task in tasks}


def test_tasks_go_to_the_single_holder_of_their_responsibility(
        app, case_id, new_task, make_user):
    admin, developer, both = (make_user("onboarding_agent") for _ in range(3))
    new_task(case_id, "Build", responsibility="developer")
    new_task(case_id, "Train", responsibility="trainer")
    new_task(case_id, "Anything")
    _team(app, case_id, (admin, ["provider_admin"]), (developer, ["developer"]),
          (both, ["developer", "trainer"]))
    # two responsibilities get nothing automatically; the administrator gets the rest
    assert _assignees(app, case_id) == {"Anything": admin, "Build": developer, "Train": admin}


def test_assignment_is_redone_when_the_team_changes(app, case_id, new_task, make_user):
    admin, developer = make_user("onboarding_agent"), make_user("onboarding_agent")
    new_task(case_id, "Build", responsibility="developer")
    _team(app, case_id, (admin, ["provider_admin"]), (developer, ["developer"]))
    assert _assignees(app, case_id) == {"Build": developer}
    _team(app, case_id, (developer, ["developer", "data_analyst"]))
    assert _assignees(app, case_id) == {"Build": admin}


def test_closed_tasks_keep_their_assignee(app, case_id, new_task, make_user):
    admin = make_user("onboarding_agent")
    new_task(case_id, "Done", responsibility="developer", state="Closed")
    _team(app, case_id, (admin, ["provider_admin"]))
    assert _assignees(app, case_id) == {"Done": None}


@pytest.mark.parametrize(("responsibilities", "message"), [
    (["provider_admin", "developer", "trainer"], "one or two responsibilities"),
    ([], "one or two responsibilities"),
    (["astronaut"], "Unknown account responsibility 'astronaut'"),
])
def test_account_members_hold_one_or_two_known_responsibilities(
        app, case_id, make_user, responsibilities, message):
    user = make_user("onboarding_agent")
    with pytest.raises(ValidationFailed, match=message):
        _team(app, case_id, (user, responsibilities))


def test_customer_users_are_not_account_team_members(app, case_id, account, make_user):
    contact = make_user("customer", account=account)
    with pytest.raises(ValidationFailed, match="customer user"):
        _team(app, case_id, (contact, ["developer"]))


def test_adding_a_customer_contact_makes_the_user_once(app, case_id, account):
    with app.app_context(), acting_as(SYSTEM):
        case = db.session.get(OnboardingCase, case_id)
        first = teams.add_customer_contact(case, "Ada", "Lovelace", "Ada@Genixify.example")
        again = teams.add_customer_contact(case, "Ada", "Lovelace", "ada@genixify.example")
        db.session.commit()
        assert first.id == again.id
        user = first.user
        assert (user.name, user.email, user.account_id) == (
            "Ada Lovelace", "ada@genixify.example", account)
        assert [role.name for role in user.roles] == ["customer"]


def test_another_accounts_user_is_refused_as_contact(app, case_id, make_account, make_user):
    stranger = make_user("customer", account=make_account("Other"), email="x@other.example")
    with app.app_context(), acting_as(SYSTEM), pytest.raises(ValidationFailed,
                                                              match="not a contact of Genixify"):
        teams.add_customer_contact(db.session.get(OnboardingCase, case_id), "X", "Y",
                                   "x@other.example")
    with app.app_context():
        assert db.session.get(User, stranger).account_id != db.session.get(
            OnboardingCase, case_id).account_id


@pytest.mark.parametrize(("responsibility", "role"), [
    ("point_of_contact", "customer_admin"), ("key_team_member", "customer_case_manager"),
    ("data_sme", None)])
def test_a_responsibility_brings_its_role(app, case_id, responsibility, role):
    with app.app_context(), acting_as(SYSTEM):
        case = db.session.get(OnboardingCase, case_id)
        member = teams.add_customer_contact(case, "Bo", "Chen", "bo@genixify.example")
        teams.set_customer_responsibility(case, member.user, responsibility)
        teams.set_customer_responsibility(case, member.user, responsibility)
        db.session.commit()
        assert member.responsibilities == [responsibility]
        assert sorted(r.name for r in member.user.roles) == sorted(
            {"customer", role} - {None})


def test_an_unknown_customer_responsibility_is_refused(app, case_id):
    with app.app_context(), acting_as(SYSTEM):
        case = db.session.get(OnboardingCase, case_id)
        member = teams.add_customer_contact(case, "Bo", "Chen", "bo@genixify.example")
        with pytest.raises(ValidationFailed, match="Unknown customer responsibility"):
            teams.set_customer_responsibility(case, member.user, "mascot")


def test_only_who_may_write_the_case_manages_its_teams(app, case_id, account, make_user):
    viewer = make_user("customer_case_manager", account=account)
    with app.app_context():
        user = db.session.get(User, viewer)
        with acting_as(user), pytest.raises(AccessDenied):
            teams.add_customer_contact(db.session.get(OnboardingCase, case_id), "Eve", "N",
                                       "eve@genixify.example")
