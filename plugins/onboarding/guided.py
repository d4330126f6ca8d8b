"""Guided onboarding cases (seed 002): the one place where every transition lives.

An agent opens a case (*Draft*) on behalf of a customer, adds members and documents, and
submits it (*New*). Assigned to the agent itself the case is *Open* at once; offered to
another agent it opens when that agent accepts. An open case goes through :data:`STEPS`
one at a time (the customer may go back one); at the last one the agent proposes a
solution (*Solution proposed*). The customer accepts it (*Closed*) or rejects it with a
reason (back to *Open*, the solution cleared, the customer told).

The pages and the API call these functions; they check rights and raise Onward's errors.
Events for the emails (``emit``) are sent by the notify plugin.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, send_file
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from onward import (
    AccessDenied,
    Conflict,
    ListSpec,
    RuleViolation,
    User,
    ValidationFailed,
    current_actor,
    db,
    emit,
    has_right,
    require,
)
from onward.plugins.onboarding.casetypes import GUIDED_STATES
from onward.plugins.onboarding.guided_models import (
    APPROVAL_STATUSES,
    CHANNELS,
    DOCUMENT_KINDS,
    GuidedCase,
    GuidedDocument,
    GuidedMember,
)

DRAFT, NEW, OPEN, PROPOSED, CLOSED = GUIDED_STATES
#: settings (``ONWARD_ONBOARDING_GUIDED_…``) and their defaults
SETTINGS = {
    "ONBOARDING_GUIDED_REQUIRED_DOCUMENTS": ("identity", "proof_of_address"),
    "ONBOARDING_GUIDED_MAX_DOCUMENT_BYTES": 5 * 1024 * 1024,
}
#: the kinds of file a document may be
CONTENT_TYPES = ("application/pdf", "image/png", "image/jpeg", "text/plain")
#: the fields an agent edits directly; the state moves only through the actions below
EDITABLE = ("channel", "customer_name", "customer_email", "customer_phone",
            "short_description", "description", "approval_status")
#: how guided cases are listed (search, sort, filter) in the pages and the API
LIST = ListSpec(
    sortable={"id": GuidedCase.id, "number": GuidedCase.number, "state": GuidedCase.state,
              "updated_at": GuidedCase.updated_at, "customer_name": GuidedCase.customer_name},
    searchable=(GuidedCase.number, GuidedCase.short_description, GuidedCase.customer_name),
    filterable={"state": GuidedCase.state, "contact_id": GuidedCase.contact_id,
                "assigned_to_id": GuidedCase.assigned_to_id,
                "pending_assignee_id": GuidedCase.pending_assignee_id},
    default_sort="-updated_at",
)


def setting(name: str) -> Any:
    """A guided case setting from the app's configuration, else its default."""
    return current_app.config.get(name, SETTINGS[name])


def _refuse(field: str, message: str) -> None:
    raise ValidationFailed(message, fields={field: [message]})


def _check_choices(data: dict[str, Any]) -> None:
    for field, options in (("channel", CHANNELS), ("approval_status", APPROVAL_STATUSES)):
        if field in data and data[field] not in options:
            _refuse(field, f"Choose one of: {', '.join(options)}.")


def _in_state(case: GuidedCase, *states: str, to: str) -> None:
    """Refuse (409) an action the case's state does not allow, naming both."""
    if case.state not in states:
        raise Conflict(f"{case.number} is {case.state}; you can {to} only when it is "
                       f"{' or '.join(states)}.")


def _name(user: User | None) -> str:
    return (user.name or user.email) if user else "nobody"


def _recipient(case: GuidedCase) -> list[dict[str, Any]]:
    """The customer, as the notify plugin reads recipients."""
    return [{"user_id": case.contact_id, "email": case.customer_email or case.contact.email,
             "name": case.customer_name or case.contact.name}]


# --- the processing steps ---------------------------------------------------------------


def checklist(case: GuidedCase) -> list[dict[str, str]]:
    """Each required document kind and its status: valid, received, invalid or missing.

    Of several documents of one kind the best counts (valid before received before
    invalid); an invalid one carries its note.
    """
    rank = {"valid": 0, "received": 1, "invalid": 2}
    found = []
    for kind in setting("ONBOARDING_GUIDED_REQUIRED_DOCUMENTS"):
        documents = sorted((d for d in case.documents if d.kind == kind),
                           key=lambda d: rank[d.status])
        best = documents[0] if documents else None
        found.append({"kind": kind, "label": DOCUMENT_KINDS.get(kind, kind),
                      "status": best.status if best else "missing",
                      "note": best.note if best else ""})
    return found


def _has_documents(case: GuidedCase) -> None:
    if not case.documents:
        raise RuleViolation("Upload the documents the customer sent before going on.")


def _pre_approved(case: GuidedCase) -> None:
    """Pre-approval: the approval status, the customer information and record."""
    problems = []
    if case.approval_status != "approved":
        problems.append(f"the approval status is {case.approval_status}, not approved")
    if not (case.customer_name and case.customer_email):
        problems.append("the customer's name and email are needed")
    if case.contact is None or case.contact.account_id != case.account_id:
        problems.append("the customer record does not belong to the case's account")
    if problems:
        raise RuleViolation(f"Pre-approval is not done: {'; '.join(problems)}.")


def _documents_complete(case: GuidedCase) -> None:
    open_items = [f"{item['label']} ({item['status']})" for item in checklist(case)
                  if item["status"] != "valid"]
    if open_items:
        raise RuleViolation(f"Required documents are not valid yet: {', '.join(open_items)}. "
                            "Check the documents to ask the customer for them.")


@dataclass(frozen=True)
class Step:
    """A processing step; ``done`` raises ``RuleViolation`` while it is not done."""

    key: str
    label: str
    done: Callable[[GuidedCase], None] | None = None


#: the processing steps of an open case, in order (seed 002, "Processing a case")
STEPS = (
    Step("members", "Add members"),
    Step("documents", "Upload documents", _has_documents),
    Step("paperwork", "Review and submit paperwork"),
    Step("pre_approval", "Pre-approval", _pre_approved),
    Step("document_checklist", "Document checklist", _documents_complete),
    Step("background_check", "Background check"),
    Step("legal_verification", "Legal verification"),
    Step("credit_check", "Credit history check"),
    Step("solution", "Propose a solution"),
)


def progress(case: GuidedCase) -> dict[str, Any]:
    """Step N of M, the current step and the remaining ones, as the customer sees them."""
    return {"step": case.step, "total": len(STEPS), "current": STEPS[case.step - 1].label,
            "done": [s.label for s in STEPS[:case.step - 1]],
            "remaining": [s.label for s in STEPS[case.step:]]}


# --- creating a case --------------------------------------------------------------------


def create_case(contact: User, **fields: Any) -> GuidedCase:
    """Open a draft case on behalf of ``contact``, a customer user, in its account."""
    if contact.account_id is None:
        _refuse("contact_id", f"{contact.email} is no customer user; choose a customer.")
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        _refuse(sorted(unknown)[0], "This field cannot be set on a new case.")
    _check_choices(fields)
    fields.setdefault("customer_name", contact.name)
    fields.setdefault("customer_email", contact.email)
    case = GuidedCase(contact_id=contact.id, contact=contact, account_id=contact.account_id,
                      **fields)
    require("create", case)
    db.session.add(case)
    db.session.flush()
    return case


def update_case(case: GuidedCase, data: dict[str, Any]) -> GuidedCase:
    """Change the editable fields of a case that is not closed."""
    require("write", case)
    _in_state(case, DRAFT, NEW, OPEN, PROPOSED, to="edit it")
    unknown = set(data) - set(EDITABLE)
    if unknown:
        field = sorted(unknown)[0]
        _refuse(field, f"{field} changes only through the case's actions.")
    _check_choices(data)
    for name, value in data.items():
        setattr(case, name, value)
    db.session.flush()
    return case


def add_member(case: GuidedCase, name: str, **fields: Any) -> GuidedMember:
    """Add an additional contact (member) to the case's application."""
    require("write", case)
    _in_state(case, DRAFT, NEW, OPEN, to="add members")
    if not name.strip():
        _refuse("name", "A member needs a name.")
    member = GuidedMember(case_id=case.id, case=case, account_id=case.account_id,
                          name=name.strip(), **fields)
    require("create", member)
    db.session.add(member)
    db.session.flush()
    return member


def upload_document(case: GuidedCase, kind: str, filename: str, content_type: str,
                    content: bytes) -> GuidedDocument:
    """Store a document the customer sent: a known kind and file type, within the size limit."""
    require("write", case)
    _in_state(case, DRAFT, NEW, OPEN, to="upload documents")
    if kind not in DOCUMENT_KINDS:
        _refuse("kind", f"Choose one of: {', '.join(DOCUMENT_KINDS)}.")
    if not content:
        _refuse("file", "The file is empty; choose a file to upload.")
    if content_type not in CONTENT_TYPES:
        _refuse("file", f"A {content_type or 'file of unknown type'} cannot be stored; send "
                        f"one of: {', '.join(CONTENT_TYPES)}.")
    limit = setting("ONBOARDING_GUIDED_MAX_DOCUMENT_BYTES")
    if len(content) > limit:
        _refuse("file", f"The file is larger than {limit // 1024} KiB.")
    document = GuidedDocument(case_id=case.id, case=case, account_id=case.account_id, kind=kind,
                              name=secure_filename(filename) or "document",
                              content_type=content_type, size=len(content), content=content)
    require("create", document)
    db.session.add(document)
    db.session.flush()
    return document


def upload_file(case: GuidedCase, kind: str, file: FileStorage | None) -> GuidedDocument:
    """:func:`upload_document` for an uploaded file (``None``: none was chosen).

    Reads one byte past the size limit at most, so a large file is refused unread.
    """
    if file is None:
        return upload_document(case, kind, "", "", b"")
    limit = setting("ONBOARDING_GUIDED_MAX_DOCUMENT_BYTES")
    return upload_document(case, kind, file.filename or "", file.mimetype, file.read(limit + 1))


def download(document: GuidedDocument) -> Response:
    """A document's file as a download, never rendered by the browser."""
    response = send_file(io.BytesIO(document.content), mimetype=document.content_type,
                         as_attachment=True, download_name=document.name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def review_document(document: GuidedDocument, status: str, note: str = "") -> GuidedDocument:
    """Mark a document valid, or invalid with a note saying why (the customer reads it)."""
    require("write", document)
    _in_state(document.case, DRAFT, NEW, OPEN, to="review documents")
    if status not in ("valid", "invalid"):
        _refuse("status", "Mark a document valid or invalid.")
    if status == "invalid" and not note.strip():
        _refuse("note", "Say why the document is invalid; the customer is told.")
    document.status, document.note = status, note.strip() if status == "invalid" else ""
    db.session.flush()
    return document


def submit(case: GuidedCase) -> GuidedCase:
    """Submit a reviewed draft: it becomes *New*, ready to be assigned."""
    require("write", case)
    _in_state(case, DRAFT, to="submit it")
    if not (case.customer_name and case.customer_email):
        raise RuleViolation("Fill in the customer's name and email before submitting.",
                            fields={"customer_name": ["Needed to submit."],
                                    "customer_email": ["Needed to submit."]})
    case.state = NEW
    db.session.flush()
    return case


# --- assignment -------------------------------------------------------------------------


def assign(case: GuidedCase, assignee: User) -> GuidedCase:
    """Assign a new case: to oneself it opens; another agent must accept it first."""
    require("write", case)
    _in_state(case, NEW, to="assign it")
    if assignee.is_customer or not has_right(assignee, "write", GuidedCase.__tablename__):
        _refuse("assignee_id", f"{_name(assignee)} is no agent who can work guided cases.")
    actor = current_actor()
    if assignee.id == getattr(actor, "id", None):
        return _open(case, assignee)
    case.pending_assignee_id, case.pending_assignee = assignee.id, assignee
    db.session.flush()
    emit("onboarding.guided_case_offered", record=case, data={
        "number": case.number, "recipients": [{"user_id": assignee.id, "email": assignee.email,
                                               "name": assignee.name}]})
    return case


def accept(case: GuidedCase) -> GuidedCase:
    """The agent a case is offered to accepts it, after reviewing it: it opens."""
    require("write", case)
    _in_state(case, NEW, to="accept it")
    actor = current_actor()
    if case.pending_assignee_id is None:
        raise Conflict(f"{case.number} is not offered to anyone; assign it first.")
    if case.pending_assignee_id != actor.id:
        raise AccessDenied(f"Only {_name(case.pending_assignee)}, to whom {case.number} is "
                           "offered, may accept it.")
    return _open(case, actor)


def _open(case: GuidedCase, agent: User) -> GuidedCase:
    case.assigned_to_id, case.assigned_to = agent.id, agent
    case.pending_assignee_id = None
    case.state, case.step = OPEN, 1
    db.session.flush()
    return case


# --- processing -------------------------------------------------------------------------


def forward(case: GuidedCase, note: str = "") -> GuidedCase:
    """Finish the current step (it must be done) and go to the next; ``note`` is kept."""
    require("write", case)
    _in_state(case, OPEN, to="move it on")
    step = STEPS[case.step - 1]
    if case.step == len(STEPS):
        raise Conflict(f"{step.label} is the last step; propose a solution instead.")
    if step.done is not None:
        step.done(case)
    case.add_work_note(f"{step.label}: {note.strip()}" if note.strip() else "")
    case.step += 1
    db.session.flush()
    return case


def back(case: GuidedCase) -> GuidedCase:
    """Go back one step: the agent, or the customer whose case it is."""
    if getattr(current_actor(), "id", None) != case.contact_id:
        require("write", case)
    _in_state(case, OPEN, to="go back a step")
    if case.step == 1:
        raise Conflict(f"{case.number} is at its first step already.")
    case.step -= 1
    db.session.flush()
    return case


def check_documents(case: GuidedCase) -> list[dict[str, str]]:
    """Check the uploaded documents against the checklist; ask the customer for what lacks.

    A missing or invalid required document emits ``onboarding.guided_documents_requested``
    for the email to the customer, naming each one (and why an invalid one is).
    """
    require("write", case)
    _in_state(case, DRAFT, NEW, OPEN, to="check its documents")
    items = checklist(case)
    missing = [item["label"] for item in items if item["status"] == "missing"]
    invalid = [{"document": item["label"], "reason": item["note"]} for item in items
               if item["status"] == "invalid"]
    if missing or invalid:
        emit("onboarding.guided_documents_requested", record=case, data={
            "number": case.number, "recipients": _recipient(case), "missing": missing,
            "invalid": invalid})
    return items


def propose(case: GuidedCase, solution: str) -> GuidedCase:
    """Propose a solution once every check is done; the customer is asked to accept it."""
    require("write", case)
    _in_state(case, OPEN, to="propose a solution")
    if case.step != len(STEPS):
        raise RuleViolation(f"Finish the processing steps first: {case.number} is at step "
                            f"{case.step} of {len(STEPS)} ({STEPS[case.step - 1].label}).")
    if not solution.strip():
        _refuse("solution", "Describe the solution.")
    case.solution, case.rejection_reason, case.state = solution.strip(), "", PROPOSED
    db.session.flush()
    emit("onboarding.guided_solution_proposed", record=case, data={
        "number": case.number, "recipients": _recipient(case), "solution": case.solution})
    return case


# --- the customer's answer --------------------------------------------------------------


def _customer_only(case: GuidedCase) -> None:
    if getattr(current_actor(), "id", None) != case.contact_id:
        raise AccessDenied(f"Only the customer of {case.number} may answer its solution.")
    _in_state(case, PROPOSED, to="answer its solution")


def customer_accept(case: GuidedCase) -> GuidedCase:
    """The customer accepts the proposed solution: the case closes."""
    _customer_only(case)
    case.state = CLOSED
    db.session.flush()
    return case


def customer_reject(case: GuidedCase, reason: str) -> GuidedCase:
    """The customer rejects the solution with a reason: back to *Open*, a new one needed.

    Emits ``onboarding.guided_solution_rejected`` for the email telling the customer.
    """
    _customer_only(case)
    if not reason.strip():
        _refuse("reason", "Say why you reject the solution, so the agent can do better.")
    case.state, case.solution, case.rejection_reason = OPEN, "", reason.strip()
    db.session.flush()
    emit("onboarding.guided_solution_rejected", record=case, data={
        "number": case.number, "recipients": _recipient(case), "reason": case.rejection_reason})
    return case


# --- whose cases ------------------------------------------------------------------------


def mine(user: User):
    """The condition for ``user``'s guided cases: a customer's own, an agent's assigned."""
    if user.is_customer:
        return GuidedCase.contact_id == user.id
    return GuidedCase.assigned_to_id == user.id


def drafts_of(user: User):
    """The condition for ``user``'s drafts: a customer's own, those an agent created."""
    whose = (GuidedCase.contact_id if user.is_customer else GuidedCase.created_by_id)
    return (GuidedCase.state == DRAFT) & (whose == user.id)
