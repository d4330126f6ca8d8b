"""Guided onboarding cases in the onboarding API: ``/api/v1/onboarding/guided-cases``.

The case resource (list, get, create, update) plus one endpoint per action of
:mod:`.guided`; each action answers the case as it is afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

from flask import request

from onward import User, add_resource, db, dump, get_or_404, reference, require, scoped
from onward.plugins.onboarding import guided
from onward.plugins.onboarding import guided_schemas as schemas
from onward.plugins.onboarding.api import blueprint
from onward.plugins.onboarding.guided_models import GuidedCase, GuidedDocument, GuidedMember

CASES = "/guided-cases"
CASE = f"{CASES}/<int:record_id>"
_case = schemas.GuidedCaseSchema()
_member = schemas.MemberSchema()
_document = schemas.DocumentSchema()
_checklist = schemas.ChecklistSchema()


def create_case(data: dict) -> GuidedCase:
    """Open a draft case on behalf of a customer user (``contact_id``), in its account."""
    require("create", GuidedCase)  # before looking the customer up
    contact = reference(User, data.pop("contact_id"), "contact_id")
    return guided.create_case(contact, **data)


add_resource(blueprint, CASES, GuidedCase, schemas.GuidedCaseSchema, guided.LIST,
             create=(schemas.GuidedCaseCreateSchema, create_case),
             update=(schemas.GuidedCaseSchema, guided.update_case))


def _endpoint(rule: str, name: str, schema=schemas.GuidedCaseSchema, method: str = "POST",
              status: int = 200) -> Callable:
    """Route ``rule`` and document its success ``schema`` and the errors it may answer."""
    codes = (401, 403, 404) if method == "GET" else (401, 403, 404, 409, 422)

    def decorate(view: Callable) -> Callable:
        view = blueprint.alt_response(status, schema=schema, success=True)(view)
        for code in codes:
            view = blueprint.alt_response(code, response=HTTPStatus(code).name)(view)
        return blueprint.route(rule, methods=[method], endpoint=f"guided_cases_{name}")(view)

    return decorate


def _done(record, schema=_case, status: int = 200):
    """Commit the action and answer ``record`` (only the fields the actor may read)."""
    db.session.commit()
    return dump(schema, record), status


def _get(record_id: int) -> GuidedCase:
    return get_or_404(GuidedCase, record_id)


@_endpoint(f"{CASE}/submit", "submit")
def submit(record_id: int):
    """Submit a draft: it becomes New, ready to be assigned."""
    return _done(guided.submit(_get(record_id)))


@_endpoint(f"{CASE}/assign", "assign")
@blueprint.arguments(schemas.AssignSchema)
def assign(data: dict, record_id: int):
    """Assign a New case: to yourself it opens; another agent must accept it."""
    case = _get(record_id)
    return _done(guided.assign(case, reference(User, data["assignee_id"], "assignee_id")))


@_endpoint(f"{CASE}/accept", "accept")
def accept(record_id: int):
    """Accept the case offered to you: it opens."""
    return _done(guided.accept(_get(record_id)))


@_endpoint(f"{CASE}/forward", "forward")
@blueprint.arguments(schemas.NoteSchema)
def forward(data: dict, record_id: int):
    """Finish the current processing step (it must be done) and go to the next."""
    return _done(guided.forward(_get(record_id), data["note"]))


@_endpoint(f"{CASE}/back", "back")
def back(record_id: int):
    """Go back one step (the agent, or the customer of the case)."""
    return _done(guided.back(_get(record_id)))


@_endpoint(f"{CASE}/progress", "progress", schemas.ProgressSchema, method="GET")
def progress(record_id: int):
    """Progress: step N of M, the current step, those done and those remaining."""
    return guided.progress(_get(record_id))


@_endpoint(f"{CASE}/members", "members_list", schemas.MemberSchema(many=True), method="GET")
def members(record_id: int):
    """List the members (additional contacts) of the case's application."""
    case = _get(record_id)
    rows = db.session.scalars(scoped(GuidedMember).where(GuidedMember.case_id == case.id)
                              .order_by(GuidedMember.id))
    return [dump(_member, member) for member in rows]


@_endpoint(f"{CASE}/members", "members_create", schemas.MemberSchema, status=201)
@blueprint.arguments(schemas.MemberSchema)
def add_member(data: dict, record_id: int):
    """Add a member (an additional contact) to the case's application."""
    return _done(guided.add_member(_get(record_id), **data), _member, 201)


@_endpoint(f"{CASE}/documents", "documents_list", schemas.DocumentSchema(many=True),
           method="GET")
def documents(record_id: int):
    """List the documents of the case (without their bytes)."""
    case = _get(record_id)
    rows = db.session.scalars(scoped(GuidedDocument).where(GuidedDocument.case_id == case.id)
                              .order_by(GuidedDocument.id))
    return [dump(_document, document) for document in rows]


@_endpoint(f"{CASE}/documents", "documents_create", schemas.DocumentSchema, status=201)
@blueprint.arguments(schemas.DocumentUploadSchema, location="form",
                     content_type="multipart/form-data")
def upload(form: dict, record_id: int):
    """Upload a document the customer sent (multipart: ``kind`` and ``file``).

    PDF, PNG, JPEG or plain text, within ``ONWARD_ONBOARDING_GUIDED_MAX_DOCUMENT_BYTES``.
    """
    document = guided.upload_file(_get(record_id), form["kind"], request.files.get("file"))
    return _done(document, _document, 201)


@blueprint.route("/guided-documents/<int:document_id>/file", methods=["GET"],
                 endpoint="guided_documents_file")
@blueprint.alt_response(200, description="The file, as an attachment", success=True)
@blueprint.alt_response(401, response="UNAUTHORIZED")
@blueprint.alt_response(403, response="FORBIDDEN")
@blueprint.alt_response(404, response="NOT_FOUND")
def document_file(document_id: int):
    """Download a document's file (always as an attachment)."""
    return guided.download(get_or_404(GuidedDocument, document_id))


def _review(document_id: int, status: str, note: str = ""):
    document = get_or_404(GuidedDocument, document_id)
    return _done(guided.review_document(document, status, note), _document)


@_endpoint("/guided-documents/<int:document_id>/valid", "documents_valid",
           schemas.DocumentSchema)
def mark_valid(document_id: int):
    """Mark a document valid."""
    return _review(document_id, "valid")


@_endpoint("/guided-documents/<int:document_id>/invalid", "documents_invalid",
           schemas.DocumentSchema)
@blueprint.arguments(schemas.ReviewSchema)
def mark_invalid(data: dict, document_id: int):
    """Mark a document invalid; ``note`` says why (the customer is told)."""
    return _review(document_id, "invalid", data["note"])


@_endpoint(f"{CASE}/checklist", "checklist", schemas.ChecklistSchema)
def check(record_id: int):
    """Check the documents against the checklist; ask the customer for what lacks.

    A missing or invalid required document emits ``onboarding.guided_documents_requested``
    for the email to the customer.
    """
    items = guided.check_documents(_get(record_id))
    db.session.commit()
    return _checklist.dump({"items": items})


@_endpoint(f"{CASE}/propose", "propose")
@blueprint.arguments(schemas.SolutionSchema)
def propose(data: dict, record_id: int):
    """Propose a solution, once every processing step is done."""
    return _done(guided.propose(_get(record_id), data["solution"]))


@_endpoint(f"{CASE}/customer-accept", "customer_accept")
def customer_accept(record_id: int):
    """The customer accepts the proposed solution: the case closes."""
    return _done(guided.customer_accept(_get(record_id)))


@_endpoint(f"{CASE}/customer-reject", "customer_reject")
@blueprint.arguments(schemas.RejectSchema)
def customer_reject(data: dict, record_id: int):
    """The customer rejects the solution with a reason: the case opens again."""
    return _done(guided.customer_reject(_get(record_id), data["reason"]))

