"""Guided onboarding cases: the transitions, the steps and their checks, and the events."""

import pytest
from sqlalchemy import select

from onward import (
    SYSTEM,
    AccessDenied,
    Conflict,
    NotFound,
    RuleViolation,
    User,
    ValidationFailed,
    acting_as,
    db,
    onward_state,
)
from onward.core.events import EventRecord
from onward.plugins.onboarding import guided
from onward.plugins.onboarding.guided_models import GuidedCase, GuidedDocument

pytestmark = pytest.mark.onward_config(ONBOARDING_AUTO_CASE=False)
PDF = b"%PDF-1.4 a document"


@pytest.fixture
def home(make_account):
    return make_account("Genixify")


@pytest.fixture
def customer(make_user, home):
    return make_user("customer", account=home, name="Ada Customer", email="ada@genixify.example")


@pytest.fixture
def me(make_user):
    return make_user("onboarding_agent", email="me@provider.example")


@pytest.fixture
def colleague(make_user):
    return make_user("onboarding_agent", name="Colleague", email="colleague@provider.example")


def run(app, user_id, action, *args, **kwargs):
    """Call ``action(case-or-record, …)`` as ``user_id`` (``None``: the system) and commit.

    ``args`` are (model, id) pairs loaded first, or plain values.
    """
    with app.app_context():
        actor = db.session.get(User, user_id) if user_id else SYSTEM
        loaded = [db.session.get(*arg) if isinstance(arg, tuple) else arg for arg in args]
        with acting_as(actor):
            result = action(*loaded, **kwargs)
            db.session.commit()
            return result.id if hasattr(result, "id") else result


def load(app, case_id):
    """The case's state, step, assignee, pending assignee, solution and rejection reason."""
    with app.app_context():
        case = db.session.get(GuidedCase, case_id)
        return {"state": case.state, "step": case.step, "assigned_to_id": case.assigned_to_id,
                "pending_assignee_id": case.pending_assignee_id, "solution": case.solution,
                "rejection_reason": case.rejection_reason}


def events(app, name):
    with app.app_context():
        return [e.data for e in db.session.scalars(
            select(EventRecord).where(EventRecord.name == name).order_by(EventRecord.id))]


def case_of(case_id):
    return (GuidedCase, case_id)


def upload(app, user, case_id, kind="identity", **kwargs):
    args = {"filename": "scan.pdf", "content_type": "application/pdf", "content": PDF, **kwargs}
    return run(app, user, guided.upload_document, case_of(case_id), kind, args["filename"],
               args["content_type"], args["content"])


def test_the_case_type_is_registered_with_its_states(app):
    with app.app_context():
        case_type = onward_state().registries.case_types["onboarding_guided_case"]
    assert case_type.prefix == "GONB" and case_type.model is GuidedCase
    assert case_type.states == ("Draft", "New", "Open", "Solution proposed", "Closed")


def test_an_unknown_state_is_refused_whoever_writes(app, customer, new_guided_case):
    case_id = new_guided_case(customer)
    with app.app_context(), acting_as(SYSTEM):
        db.session.get(GuidedCase, case_id).state = "Approved"
        with pytest.raises(RuleViolation, match="Unknown state 'Approved'"):
            db.session.flush()


def test_an_agent_opens_a_draft_for_a_customer_in_its_account(app, me, customer, home):
    case_id = run(app, me, guided.create_case, (User, customer), channel="chat",
                  short_description="New checking account")
    with app.app_context():
        case = db.session.get(GuidedCase, case_id)
        assert case.number.startswith("GONB") and case.state == "Draft"
        assert case.account_id == home and case.contact_id == customer
        assert (case.customer_name, case.customer_email) == ("Ada Customer",
                                                             "ada@genixify.example")
        assert case.created_by_id == me and case.step == 1


def test_a_case_is_for_a_customer_user_only(app, me, colleague):
    with pytest.raises(ValidationFailed) as refused:
        run(app, me, guided.create_case, (User, colleague))
    assert "no customer user" in refused.value.message
    assert set(refused.value.fields) == {"contact_id"}


def test_choices_and_the_state_are_refused_in_edits(app, me, customer, new_guided_case):
    case_id = new_guided_case(customer)
    with pytest.raises(ValidationFailed, match="Choose one of: phone, email, chat"):
        run(app, me, guided.update_case, case_of(case_id), {"channel": "fax"})
    with pytest.raises(ValidationFailed, match="state changes only through the case's actions"):
        run(app, me, guided.update_case, case_of(case_id), {"state": "Closed"})
    run(app, me, guided.update_case, case_of(case_id), {"customer_phone": "+1 555"})
    assert load(app, case_id)["state"] == "Draft"


def test_submitting_needs_the_customer_information_and_a_draft(app, me, customer,
                                                               new_guided_case):
    case_id = new_guided_case(customer, customer_email="")
    with pytest.raises(RuleViolation, match="name and email before submitting"):
        run(app, me, guided.submit, case_of(case_id))
    run(app, me, guided.update_case, case_of(case_id), {"customer_email": "ada@x.example"})
    run(app, me, guided.submit, case_of(case_id))
    assert load(app, case_id)["state"] == "New"
    with pytest.raises(Conflict, match="you can submit it only when it is Draft"):
        run(app, me, guided.submit, case_of(case_id))


def test_assigned_to_oneself_the_case_opens(app, me, customer, new_guided_case):
    case_id = new_guided_case(customer, state="New")
    run(app, me, guided.assign, case_of(case_id), (User, me))
    assert load(app, case_id) | {"solution": None} == {
        "state": "Open", "step": 1, "assigned_to_id": me, "pending_assignee_id": None,
        "solution": None, "rejection_reason": ""}
    with pytest.raises(Conflict, match="assign it only when it is New"):
        run(app, me, guided.assign, case_of(case_id), (User, me))


def test_a_draft_cannot_be_assigned(app, me, customer, new_guided_case):
    case_id = new_guided_case(customer)
    with pytest.raises(Conflict):
        run(app, me, guided.assign, case_of(case_id), (User, me))


def test_another_agent_must_accept_the_case(app, me, colleague, customer, make_user,
                                            new_guided_case):
    third = make_user("onboarding_agent")
    case_id = new_guided_case(customer, state="New")
    with pytest.raises(Conflict, match="not offered to anyone"):
        run(app, colleague, guided.accept, case_of(case_id))
    run(app, me, guided.assign, case_of(case_id), (User, colleague))
    assert load(app, case_id)["state"] == "New"
    assert load(app, case_id)["pending_assignee_id"] == colleague
    [offer] = events(app, "onboarding.guided_case_offered")
    assert offer["recipients"] == [{"user_id": colleague, "email": "colleague@provider.example",
                                    "name": "Colleague"}]
    for someone_else in (me, third):
        with pytest.raises(AccessDenied, match=r"Only Colleague, to whom .* may accept it"):
            run(app, someone_else, guided.accept, case_of(case_id))
    run(app, colleague, guided.accept, case_of(case_id))
    assert load(app, case_id)["state"] == "Open"
    assert load(app, case_id)["assigned_to_id"] == colleague
    assert load(app, case_id)["pending_assignee_id"] is None


def test_only_an_agent_can_be_assigned(app, me, customer, new_guided_case):
    case_id = new_guided_case(customer, state="New")
    with pytest.raises(ValidationFailed, match="no agent who can work guided cases") as refused:
        run(app, me, guided.assign, case_of(case_id), (User, customer))
    assert set(refused.value.fields) == {"assignee_id"}


def _valid_documents(app, me, case_id):
    for kind in ("identity", "proof_of_address"):
        run(app, me, guided.review_document, (GuidedDocument, upload(app, me, case_id, kind)),
            "valid")


def test_the_steps_go_in_order_each_checked(app, me, customer, new_guided_case):
    case_id = new_guided_case(customer, state="Open", assigned_to_id=me)
    forward = lambda **kw: run(app, me, guided.forward, case_of(case_id), **kw)  # noqa: E731
    forward(note="No co-applicant")
    assert load(app, case_id)["step"] == 2
    with pytest.raises(RuleViolation, match="Upload the documents"):
        forward()
    upload(app, me, case_id)
    forward()
    forward()  # paperwork reviewed
    with pytest.raises(RuleViolation, match="the approval status is pending, not approved"):
        forward()
    run(app, me, guided.update_case, case_of(case_id), {"approval_status": "approved"})
    forward()
    with pytest.raises(RuleViolation, match=r"Proof of identity \(received\), "
                                            r"Proof of address \(missing\)"):
        forward()
    _valid_documents(app, me, case_id)
    for _ in range(4):  # checklist, background, legal, credit
        forward()
    assert guided.STEPS[load(app, case_id)["step"] - 1].key == "solution"
    with pytest.raises(Conflict, match="propose a solution instead"):
        forward()
    with app.app_context():
        case = db.session.get(GuidedCase, case_id)
        assert [e.body for e in case.journal(("work_notes",))] == [
            "Add members: No co-applicant"]
        assert guided.progress(case) == {
            "step": 9, "total": 9, "current": "Propose a solution",
            "done": [s.label for s in guided.STEPS[:8]], "remaining": []}


def test_pre_approval_checks_the_customer_information(app, me, customer, new_guided_case):
    case_id = new_guided_case(customer, state="Open", step=4, approval_status="approved",
                              customer_email="")
    with pytest.raises(RuleViolation, match="customer's name and email are needed"):
        run(app, me, guided.forward, case_of(case_id))


def test_going_back_a_step(app, me, customer, make_user, home, new_guided_case):
    case_id = new_guided_case(customer, state="Open", step=3)
    run(app, customer, guided.back, case_of(case_id))  # the customer may
    run(app, me, guided.back, case_of(case_id))
    assert load(app, case_id)["step"] == 1
    with pytest.raises(Conflict, match="at its first step already"):
        run(app, me, guided.back, case_of(case_id))
    with pytest.raises(NotFound):  # a colleague of the customer does not even see it
        run(app, make_user("customer", account=home), guided.back, case_of(case_id))
    draft = new_guided_case(customer, step=2)
    with pytest.raises(Conflict, match="go back a step only when it is Open"):
        run(app, customer, guided.back, case_of(draft))


def test_the_checklist_asks_the_customer_for_missing_and_invalid_documents(
        app, me, customer, new_guided_case):
    case_id = new_guided_case(customer, state="Open", assigned_to_id=me)
    bad = upload(app, me, case_id, "identity")
    upload(app, me, case_id, "other")
    with pytest.raises(ValidationFailed, match="Say why the document is invalid"):
        run(app, me, guided.review_document, (GuidedDocument, bad), "invalid")
    run(app, me, guided.review_document, (GuidedDocument, bad), "invalid", "Expired")
    items = run(app, me, guided.check_documents, case_of(case_id))
    assert [(i["kind"], i["status"], i["note"]) for i in items] == [
        ("identity", "invalid", "Expired"), ("proof_of_address", "missing", "")]
    [request] = events(app, "onboarding.guided_documents_requested")
    assert request["missing"] == ["Proof of address"]
    assert request["invalid"] == [{"document": "Proof of identity", "reason": "Expired"}]
    assert request["recipients"][0]["email"] == "ada@genixify.example"
    _valid_documents(app, me, case_id)  # a valid identity outranks the invalid one
    items = run(app, me, guided.check_documents, case_of(case_id))
    assert {i["status"] for i in items} == {"valid"}
    assert len(events(app, "onboarding.guided_documents_requested")) == 1


@pytest.mark.onward_config(ONBOARDING_GUIDED_REQUIRED_DOCUMENTS=["bank_statement"])
def test_the_required_documents_are_a_setting(app, me, customer, new_guided_case):
    case_id = new_guided_case(customer, state="Open")
    items = run(app, me, guided.check_documents, case_of(case_id))
    assert [(i["label"], i["status"]) for i in items] == [("Bank statement", "missing")]


@pytest.mark.onward_config(ONBOARDING_GUIDED_MAX_DOCUMENT_BYTES=10)
def test_uploads_are_checked_and_stored_safely(app, me, customer, new_guided_case):
    case_id = new_guided_case(customer)
    refusals = [
        ({"kind": "passport"}, "kind", "Choose one of: identity"),
        ({"content_type": "text/html"}, "file", "A text/html cannot be stored"),
        ({"content": b""}, "file", "The file is empty"),
        ({"content": b"x" * 11}, "file", "larger than 0 KiB"),
    ]
    for change, field, message in refusals:
        kind = change.pop("kind", "identity")
        with pytest.raises(ValidationFailed, match=message) as refused:
            upload(app, me, case_id, kind, **change)
        assert set(refused.value.fields) == {field}
    document_id = upload(app, me, case_id, filename="../../etc/passwd", content=b"0123456789",
                         content_type="text/plain")
    with app.app_context():
        document = db.session.get(GuidedDocument, document_id)
        assert (document.name, document.size, document.status) == ("etc_passwd", 10, "received")
        assert document.content == b"0123456789"
        logged = db.session.scalars(select(EventRecord).where(
            EventRecord.name == "onboarding_guided_document.created")).one()
        assert "content" not in logged.changes  # the bytes stay out of the event log


def test_members_are_added_until_a_solution_is_proposed(app, me, customer, new_guided_case):
    case_id = new_guided_case(customer)
    run(app, me, guided.add_member, case_of(case_id), "Bob Partner", relation="co-applicant")
    with pytest.raises(ValidationFailed, match="A member needs a name"):
        run(app, me, guided.add_member, case_of(case_id), "  ")
    proposed = new_guided_case(customer, state="Solution proposed")
    with pytest.raises(Conflict, match="add members only when"):
        run(app, me, guided.add_member, case_of(proposed), "Late")
    with app.app_context():
        [member] = db.session.get(GuidedCase, case_id).members
        assert (member.name, member.relation, member.account_id) == (
            "Bob Partner", "co-applicant", db.session.get(GuidedCase, case_id).account_id)


def test_a_solution_needs_every_step_done(app, me, customer, new_guided_case):
    case_id = new_guided_case(customer, state="Open", step=6)
    with pytest.raises(RuleViolation, match=r"at step 6 of 9 \(Background check\)"):
        run(app, me, guided.propose, case_of(case_id), "Premium plan")
    draft = new_guided_case(customer)
    with pytest.raises(Conflict, match="propose a solution only when it is Open"):
        run(app, me, guided.propose, case_of(draft), "Premium plan")


def test_the_customer_rejects_then_accepts_a_solution(app, me, colleague, customer,
                                                      new_guided_case):
    case_id = new_guided_case(customer, state="Open", step=9, assigned_to_id=me)
    with pytest.raises(ValidationFailed, match="Describe the solution"):
        run(app, me, guided.propose, case_of(case_id), " ")
    with pytest.raises(Conflict, match="answer its solution only when"):
        run(app, customer, guided.customer_accept, case_of(case_id))
    run(app, me, guided.propose, case_of(case_id), "Premium plan")
    assert load(app, case_id)["state"] == "Solution proposed"
    assert events(app, "onboarding.guided_solution_proposed")[0]["solution"] == "Premium plan"
    for agent in (me, colleague):
        with pytest.raises(AccessDenied, match="Only the customer of"):
            run(app, agent, guided.customer_accept, case_of(case_id))
    with pytest.raises(ValidationFailed, match="Say why you reject"):
        run(app, customer, guided.customer_reject, case_of(case_id), "")
    run(app, customer, guided.customer_reject, case_of(case_id), "Too expensive")
    assert load(app, case_id) | {"assigned_to_id": None} == {
        "state": "Open", "step": 9, "assigned_to_id": None, "pending_assignee_id": None,
        "solution": "", "rejection_reason": "Too expensive"}
    [rejected] = events(app, "onboarding.guided_solution_rejected")
    assert rejected["reason"] == "Too expensive"
    assert rejected["recipients"][0]["user_id"] == customer
    run(app, me, guided.propose, case_of(case_id), "Basic plan")
    assert load(app, case_id)["rejection_reason"] == ""
    run(app, customer, guided.customer_accept, case_of(case_id))
    assert load(app, case_id)["state"] == "Closed"
    with pytest.raises(Conflict, match="edit it only when"):
        run(app, me, guided.update_case, case_of(case_id), {"description": "late"})


def test_whose_cases_and_drafts(app, me, customer, new_guided_case, make_user, home):
    other = make_user("customer", account=home)
    draft = run(app, me, guided.create_case, (User, customer))
    assigned = new_guided_case(customer, state="Open", assigned_to_id=me)
    new_guided_case(other)
    with app.app_context():
        def ids(user_id, condition):
            user = db.session.get(User, user_id)
            return set(db.session.scalars(select(GuidedCase.id).where(condition(user))))

        assert ids(customer, guided.drafts_of) == {draft}
        assert ids(me, guided.drafts_of) == {draft}
        assert ids(customer, guided.mine) == {draft, assigned}
        assert ids(me, guided.mine) == {assigned}
