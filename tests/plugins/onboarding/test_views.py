"""The onboarding workspace pages: lists, the new case form, the case and task pages."""

import datetime as dt
import re

import pytest
from csp_check import assert_csp_safe

from onward import SYSTEM, acting_as, db, playbooks
from onward.plugins.onboarding.models import CaseTask, OnboardingCase

pytestmark = pytest.mark.onward_config(ONBOARDING_AUTO_CASE=False)


@pytest.fixture
def account(make_account):
    return make_account("Genixify")


@pytest.fixture
def agent(login_as):
    return login_as("onboarding_agent", email="agent@provider.example")


@pytest.fixture
def bare_case(app, account):
    """A case without a playbook (as one opened before the playbook was loaded)."""
    with app.app_context(), acting_as(SYSTEM):
        case = OnboardingCase(account_id=account, short_description="Onboard by hand")
        db.session.add(case)
        db.session.commit()
        return case.id


def numbers(page: str, prefix: str = "ALEONB") -> set[str]:
    return set(re.findall(rf">({prefix}\d+)<", page))


def number_of(app, model, record_id):
    with app.app_context():
        return db.session.get(model, record_id).number


def case_form(app, case_id, **changes):
    """What the case page's form posts: the case's values, with ``changes``."""
    with app.app_context():
        case = db.session.get(OnboardingCase, case_id)
        data = {"state": case.state, "stage": case.stage,
                "assigned_to_id": case.assigned_to_id or "", "integration": case.integration,
                "onboarding_type": case.onboarding_type, "priority": case.priority,
                "go_live_date": case.go_live_date.isoformat() if case.go_live_date else "",
                "short_description": case.short_description, "description": case.description}
    return {**data, **changes}


# --- lists ------------------------------------------------------------------------------


def test_the_case_list_filters_searches_and_toggles_my_cases(app, client, agent, account,
                                                             new_case):
    mine = new_case(account, short_description="Phase two", assigned_to_id=agent)
    other = new_case(account, short_description="Catalog import")
    new_case(account, short_description="Closed one", state="Closed")
    mine_no, other_no = number_of(app, OnboardingCase, mine), number_of(app, OnboardingCase, other)

    page = client.get("/onboarding/cases").get_data(as_text=True)
    assert len(numbers(page)) == 3 and "Genixify" in page
    assert numbers(client.get("/onboarding/cases?mine=1").get_data(as_text=True)) == {mine_no}
    assert numbers(client.get("/onboarding/cases?q=catalog").get_data(as_text=True)) == {other_no}
    assert numbers(client.get("/onboarding/cases?state=New").get_data(as_text=True)) \
        == {mine_no, other_no}
    assert len(numbers(client.get("/onboarding/cases?stage=Finished").get_data(as_text=True))) == 1
    assert numbers(client.get("/onboarding/cases?active=1").get_data(as_text=True)) \
        == {mine_no, other_no}
    response = client.get("/onboarding/cases?colour=red")
    assert response.status_code == 422 and "Unknown filter" in response.get_data(as_text=True)


def test_the_task_list_filters_overdue_and_mine(app, client, agent, account, new_case,
                                                new_task, yesterday):
    case = new_case(account)
    late = new_task(case, "Import contacts", due_date=yesterday, assigned_to_id=agent)
    soon = new_task(case, "Import locations", due_date=dt.date.today() + dt.timedelta(days=5))
    new_task(case, "Done late", due_date=yesterday, state="Closed")
    late_no, soon_no = number_of(app, CaseTask, late), number_of(app, CaseTask, soon)

    page = client.get("/onboarding/tasks").get_data(as_text=True)
    assert len(numbers(page, "ALETSK")) == 3 and "1 day late" in page
    assert numbers(client.get("/onboarding/tasks?overdue=1").get_data(as_text=True),
                   "ALETSK") == {late_no}
    assert numbers(client.get("/onboarding/tasks?mine=1").get_data(as_text=True),
                   "ALETSK") == {late_no}
    assert numbers(client.get("/onboarding/tasks?q=locations").get_data(as_text=True),
                   "ALETSK") == {soon_no}
    assert numbers(client.get("/onboarding/tasks?state=Closed").get_data(as_text=True),
                   "ALETSK") - {late_no, soon_no}


# --- new case ---------------------------------------------------------------------------


def test_a_new_case_needs_an_account(client, agent, account):
    response = client.post("/onboarding/cases/new", data={"onboarding_type": "phased"})
    assert response.status_code == 422
    assert "Choose the account to onboard." in response.get_data(as_text=True)
    response = client.post("/onboarding/cases/new",
                           data={"account_id": account, "go_live_date": "soon"})
    assert response.status_code == 422 and "Not a valid date value" in response.text


def test_a_new_case_is_created_and_opened(app, client, agent, account):
    page = client.get("/onboarding/cases/new").get_data(as_text=True)
    assert f'value="{account}">Genixify' in page
    response = client.post("/onboarding/cases/new", data={
        "account_id": account, "onboarding_type": "phased", "go_live_date": "2031-03-14"})
    assert response.status_code == 302
    with app.app_context():
        case = db.session.scalars(db.select(OnboardingCase)).one()
        assert (case.onboarding_type, case.go_live_date, case.short_description) \
            == ("phased", dt.date(2031, 3, 14), "Onboard Genixify")
    assert response.location.endswith(f"/onboarding/cases/{case.id}")


# --- the case page ----------------------------------------------------------------------


def test_the_case_page_shows_details_tasks_and_the_playbook(app, client, agent, account,
                                                            new_case, new_task, yesterday):
    case = new_case(account, go_live_date=dt.date.today() + dt.timedelta(days=10))
    new_task(case, "Import contacts", due_date=yesterday)
    page = client.get(f"/onboarding/cases/{case}").get_data(as_text=True)
    number = number_of(app, OnboardingCase, case)
    assert number in page and "Account Genixify" in page and "10 days left" in page
    assert "Import contacts" in page and "1 day late" in page
    assert "Customer team" in page and "Account team" in page
    assert 'class="stage-picker"' in page  # the playbook, started with the case
    assert f'name="next" value="/onboarding/cases/{case}"' in page
    assert_csp_safe(page, "case page")


def test_a_case_without_a_playbook_offers_to_start_it(app, client, agent, bare_case):
    page = client.get(f"/onboarding/cases/{bare_case}").get_data(as_text=True)
    assert "Start the onboarding playbook" in page and "stage-picker" not in page
    response = client.post(f"/onboarding/cases/{bare_case}/playbook")
    assert response.status_code == 302
    with app.app_context():
        assert len(playbooks.instances_for(db.session.get(OnboardingCase, bare_case))) == 1
    page = client.get(f"/onboarding/cases/{bare_case}").get_data(as_text=True)
    assert "stage-picker" in page and "Start the onboarding playbook" not in page


def test_changing_the_state_moves_the_stage(app, client, agent, account, new_case):
    case = new_case(account)
    response = client.post(f"/onboarding/cases/{case}",
                           data=case_form(app, case, state="Blocked", assigned_to_id=agent))
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(OnboardingCase, case)
        assert (saved.state, saved.stage, saved.assigned_to_id) == ("Blocked", "Paused", agent)


def test_at_risk_is_refused_on_the_stage_field(app, client, agent, account, new_case):
    case = new_case(account, state="Active")
    response = client.post(f"/onboarding/cases/{case}",
                           data=case_form(app, case, state="Closed", stage="At risk"))
    assert response.status_code == 422
    field = re.search(r'<div class="field has-error">\s*<label for="stage".*?</div>',
                      response.text, re.S)
    assert field and "Stage &#39;At risk&#39; is not allowed when the state is &#39;Closed&#39;" \
        in field.group(0)
    with app.app_context():
        assert db.session.get(OnboardingCase, case).state == "Active"  # nothing saved
    response = client.post(f"/onboarding/cases/{case}",
                           data=case_form(app, case, stage="At risk"))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(OnboardingCase, case).stage == "At risk"


def test_the_case_form_checks_its_fields(app, client, agent, account, new_case):
    case = new_case(account)
    response = client.post(f"/onboarding/cases/{case}",
                           data=case_form(app, case, short_description="", priority="9"))
    assert response.status_code == 422
    assert "Describe the case in a few words." in response.text
    assert "Not a valid choice" in response.text


# --- the task page ----------------------------------------------------------------------


def test_the_task_page_edits_a_task(app, client, agent, account, new_case, new_task,
                                    make_user):
    case = new_case(account)
    task = new_task(case, "Import contacts")
    contact = make_user("customer", account=account, email="pat@genixify.example")
    page = client.get(f"/onboarding/tasks/{task}").get_data(as_text=True)
    assert "Import contacts" in page and "pat@genixify.example" in page
    assert_csp_safe(page, "task page")
    response = client.post(f"/onboarding/tasks/{task}", data={
        "state": "Closed", "progress": "At risk", "due_date": "2031-01-02",
        "assigned_to_id": agent, "contact_id": contact, "visible_to_customer": "y",
        "close_notes": ""})
    assert response.status_code == 422
    assert "Progress &#39;At risk&#39; is not allowed when the state" in response.text
    response = client.post(f"/onboarding/tasks/{task}", data={
        "state": "In Progress", "progress": "Open", "due_date": "2031-01-02",
        "assigned_to_id": agent, "contact_id": contact, "visible_to_customer": "y"})
    assert response.status_code == 422 and "Not a valid choice" in response.text
    response = client.post(f"/onboarding/tasks/{task}", data={
        "state": "In Progress", "progress": "Not started", "due_date": "2031-01-02",
        "assigned_to_id": agent, "contact_id": contact, "visible_to_customer": "y",
        "close_notes": "started"}, follow_redirects=True)
    assert response.status_code == 200
    with app.app_context():
        saved = db.session.get(CaseTask, task)
        assert (saved.state, saved.progress, saved.due_date, saved.assigned_to_id,
                saved.contact_id, saved.visible_to_customer) == (
            "In Progress", "On track", dt.date(2031, 1, 2), agent, contact, True)


# --- permissions ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/onboarding/", "/onboarding/cases", "/onboarding/tasks",
                                  "/onboarding/cases/new", "/onboarding/cases/{case}",
                                  "/onboarding/tasks/{task}"])
def test_customers_are_refused_the_workspace(client, login_as, account, new_case, new_task,
                                             path):
    case = new_case(account)
    task = new_task(case, visible_to_customer=True)
    login_as("customer_admin", account=account)
    response = client.get(path.format(case=case, task=task))
    assert response.status_code == 403 and "customers use the portal" in response.text


def test_signed_out_users_are_sent_to_sign_in(client):
    response = client.get("/onboarding/cases")
    assert response.status_code == 302 and "sign-in" in response.location


def test_another_tenants_case_is_not_found(client, login_as, make_domain, make_account,
                                           new_case, new_task):
    ours, theirs = make_domain("ours"), make_domain("theirs")
    case = new_case(make_account("Elsewhere", domain=theirs))
    task = new_task(case)
    login_as("onboarding_agent", domain=ours)
    for path in (f"/onboarding/cases/{case}", f"/onboarding/tasks/{task}"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/onboarding/cases/{case}/playbook").status_code == 404
    assert "ALEONB" not in client.get("/onboarding/cases").get_data(as_text=True)


def test_readers_see_the_case_but_cannot_change_it(app, client, login_as, account, new_case):
    with app.app_context(), acting_as(SYSTEM):
        from onward.core.roles import save_role

        save_role(None, name="case_reader", rights={"onboarding_case": "r",
                                                    "onboarding_task": "r", "core_user": "r",
                                                    "core_account": "r"})
        db.session.commit()
    case = new_case(account)
    login_as("case_reader")
    page = client.get(f"/onboarding/cases/{case}").get_data(as_text=True)
    assert "Details" in page and ">Save</button>" not in page
    response = client.post(f"/onboarding/cases/{case}",
                           data=case_form(app, case, state="Blocked"))
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(OnboardingCase, case).state == "New"


# --- the side panel after Initial setup -------------------------------------------------


def _walk_initial_setup(app, case_id, account, people, *, engagement=None):
    """Complete Initial setup as the system; skip the engagement when ``None``."""
    inputs = {
        "select_account": {"account_id": account},
        "onboarding_info": {"assigned_to_id": people["manager"], "integration": "remote_task",
                            "onboarding_type": "full", "go_live_date": "2031-05-30"},
        "customer_team": {"contacts": [
            {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@genixify.example"}]},
        "customer_responsibilities": {"assignments": [
            {"email": "ada@genixify.example", "responsibility": "point_of_contact"}]},
        "account_team": {"members": [{"user_id": people["manager"],
                                      "responsibilities": ["onboarding_manager"]}]},
        "squad": {"user_ids": [people["helper"]]},
    }
    with app.app_context(), acting_as(SYSTEM):
        instance = playbooks.instances_for(db.session.get(OnboardingCase, case_id))[0]
        for key, data in inputs.items():
            playbooks.complete(instance, playbooks.get_activity(instance, key), data)
        activity = playbooks.get_activity(instance, "engagement")
        if engagement is None:
            playbooks.skip(instance, activity)
        else:
            playbooks.complete(instance, activity, engagement)
        db.session.commit()


@pytest.fixture
def people(make_user):
    return {name: make_user("onboarding_agent", email=f"{name}@provider.example",
                            name=f"{name.capitalize()} Person")
            for name in ("manager", "helper", "csm")}


def _summary(page: str) -> str:
    found = re.search(r'aria-label="Initial setup summary">(.*?)</section>\s*</section>', page,
                      re.DOTALL)
    return found.group(1) if found else ""


def test_the_side_panel_sums_up_initial_setup_once_it_is_done(app, client, agent, account,
                                                               new_case, people):
    case = new_case(account)
    before = client.get(f"/onboarding/cases/{case}").get_data(as_text=True)
    assert _summary(before) == "" and "Customer team" in before
    _walk_initial_setup(app, case, account, people, engagement={
        "csm_id": people["csm"], "account_manager_id": people["manager"],
        "renewal_date": "2032-01-31"})
    page = client.get(f"/onboarding/cases/{case}").get_data(as_text=True)
    summary = _summary(page)
    for text in (number_of(app, OnboardingCase, case), "Genixify", "Manager Person",
                 "Remote task", "Full", "2031-05-30", "Ada Lovelace", "ada@genixify.example",
                 "Customer onboarding point of contact", "Onboarding manager",
                 "Helper Person", "Customer success manager", "Csm Person", "2032-01-31"):
        assert text in summary, text
    squad = re.search(r'aria-label="Squad">(.*?)</section>', summary, re.DOTALL).group(1)
    assert "Helper Person" in squad and "Manager Person" not in squad
    assert_csp_safe(page, "case page after Initial setup")
    # the activities show list inputs the way their forms take them, a line each
    stage = client.get(f"/onboarding/cases/{case}?stage=initial_setup").get_data(as_text=True)
    assert "<li>Ada, Lovelace, ada@genixify.example</li>" in stage
    assert "<li>ada@genixify.example, point_of_contact</li>" in stage
    log = stage.split("Activity log", 1)[1]  # ... and so does the activity log
    assert "<li>Ada, Lovelace, ada@genixify.example</li>" in log and "[{" not in log


def test_a_skipped_engagement_shows_none_requested(app, client, agent, account, new_case,
                                                  people):
    case = new_case(account)
    _walk_initial_setup(app, case, account, people)
    summary = _summary(client.get(f"/onboarding/cases/{case}").get_data(as_text=True))
    assert "None requested." in summary and "Renewal date" not in summary
    assert "Ada Lovelace" in summary
