"""The guided case pages of the onboarding workspace: the list, a new case, the case page.

Every button posts to one action route that calls :mod:`.guided` (staff only, as every
page of the ``onboarding`` blueprint).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, redirect, render_template, url_for
from sqlalchemy.orm import selectinload

from onward import (
    User,
    current_actor,
    form_status,
    get_or_404,
    list_page,
    post_action,
    record_history,
    submit_form,
)
from onward.plugins.onboarding import guided
from onward.plugins.onboarding.casetypes import GUIDED_STATES
from onward.plugins.onboarding.forms import changes
from onward.plugins.onboarding.guided_forms import (
    AssignForm,
    DocumentForm,
    GuidedCaseForm,
    MemberForm,
    NewGuidedCaseForm,
    NoteForm,
    SolutionForm,
)
from onward.plugins.onboarding.guided_models import (
    CHANNELS,
    DOCUMENT_KINDS,
    GuidedCase,
    GuidedDocument,
)
from onward.plugins.onboarding.views import blueprint


@blueprint.route("/guided-cases", endpoint="guided_cases")
def guided_list():
    """The guided cases the user may read; filters the state."""
    filters = [("state", "State", [("", "Any state"), *((s, s) for s in GUIDED_STATES)])]
    return list_page(GuidedCase, guided.LIST, "onboarding/guided_cases.html", filters=filters,
                     options=[selectinload(GuidedCase.assigned_to)])


def _page(case: GuidedCase) -> str:
    return url_for("onboarding.guided_case", case_id=case.id)


@blueprint.route("/guided-cases/new", methods=["GET", "POST"], endpoint="guided_case_new")
def guided_new():
    """Open a draft case on behalf of a customer who called, emailed or chatted."""
    form = NewGuidedCaseForm()

    def create():
        fields = {name: form[name].data for name in ("channel", "customer_phone",
                                                      "short_description", "description")}
        fields.update({name: form[name].data for name in ("customer_name", "customer_email")
                       if form[name].data})
        return guided.create_case(get_or_404(User, form.contact_id.data), **fields)

    return submit_form(
        form, create, done=lambda case: redirect(_page(case)),
        show=lambda: (render_template("onboarding/guided_case_new.html", form=form),
                      form_status(form)))


@blueprint.route("/guided-cases/<int:case_id>", methods=["GET", "POST"], endpoint="guided_case")
def guided_page(case_id: int):
    """A case: its details, members, documents and checklist, and the actions its state allows."""
    case = get_or_404(GuidedCase, case_id)
    form = GuidedCaseForm(obj=case)

    def show():
        return render_template(
            "onboarding/guided_case.html", case=case, form=form, steps=guided.STEPS,
            progress=guided.progress(case), checklist=guided.checklist(case),
            kinds=DOCUMENT_KINDS, channels=CHANNELS, history=record_history(case),
            assign_form=AssignForm(formdata=None, assignee_id=current_actor().id),
            member_form=MemberForm(formdata=None), document_form=DocumentForm(formdata=None),
            note_form=NoteForm(formdata=None), solution_form=SolutionForm(formdata=None),
        ), form_status(form)

    return submit_form(form, lambda: guided.update_case(case, changes(form, case)),
                       done=lambda saved: redirect(_page(saved)), show=show)


def _upload(case: GuidedCase) -> GuidedDocument:
    form = DocumentForm()
    return guided.upload_file(case, form.kind.data, form.file.data)


def _member(case: GuidedCase):
    form = MemberForm()
    return guided.add_member(case, form.name.data or "", email=form.email.data or "",
                             phone=form.phone.data or "", relation=form.relation.data or "")


#: action -> (what it does with the case, what the agent is told)
ACTIONS: dict[str, tuple[Callable[[GuidedCase], Any], str]] = {
    "submit": (guided.submit, "The case is submitted: it is New."),
    "assign": (lambda case: guided.assign(case, get_or_404(User, AssignForm().assignee_id.data)),
               "The case is assigned."),
    "accept": (guided.accept, "You accepted the case: it is Open."),
    "forward": (lambda case: guided.forward(case, NoteForm().note.data or ""),
                "On to the next step."),
    "back": (guided.back, "Back one step."),
    "checklist": (guided.check_documents,
                  "Documents checked; the customer is asked for any missing or invalid."),
    "propose": (lambda case: guided.propose(case, SolutionForm().solution.data or ""),
                "The solution is proposed to the customer."),
    "members": (_member, "The member is added."),
    "documents": (_upload, "The document is stored."),
}


@blueprint.route("/guided-cases/<int:case_id>/<action>", methods=["POST"],
                 endpoint="guided_action")
def guided_action(case_id: int, action: str):
    """Run one of :data:`ACTIONS` on a case and come back to its page."""
    if action not in ACTIONS:
        abort(404)
    case = get_or_404(GuidedCase, case_id)
    run, message = ACTIONS[action]
    return post_action(lambda: run(case), message=message, back=_page(case))


@blueprint.route("/guided-documents/<int:document_id>/<status>", methods=["POST"],
                 endpoint="guided_review")
def guided_review(document_id: int, status: str):
    """Mark a document valid, or invalid with a note."""
    document = get_or_404(GuidedDocument, document_id)
    note = NoteForm().note.data or ""
    return post_action(lambda: guided.review_document(document, status, note),
                       message=f"{document.name} is marked {status}.", back=_page(document.case))


@blueprint.route("/guided-documents/<int:document_id>/file", endpoint="guided_document_file")
def guided_document_file(document_id: int):
    """Download a document (always as an attachment, never shown inline)."""
    return guided.download(get_or_404(GuidedDocument, document_id))

