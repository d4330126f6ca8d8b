"""The portal's guided case page: progress (step N of M), back a step, answer a solution.

Customers act on their guided cases only through these explicit actions; the services in
:mod:`.guided` check that the actor is the case's customer.
"""

from __future__ import annotations

from flask import render_template, url_for

from onward import current_actor, get_or_404, post_action
from onward.plugins.onboarding import guided
from onward.plugins.onboarding.guided_forms import RejectForm
from onward.plugins.onboarding.guided_models import GuidedCase
from onward.plugins.onboarding.portal import blueprint, visible


def _page(case: GuidedCase) -> str:
    return url_for("onboarding_portal.guided_case", case_id=case.id)


@blueprint.route("/guided-cases/<int:case_id>", endpoint="guided_case")
def portal_guided_case(case_id: int):
    """A guided case as its customer follows it: where it is and what remains."""
    case = get_or_404(GuidedCase, case_id)
    return render_template("onboarding/portal_guided.html", case=visible(case),
                           account=case.account.name, steps=guided.STEPS,
                           progress=guided.progress(case), reject_form=RejectForm(),
                           customer=current_actor().id == case.contact_id)


@blueprint.route("/guided-cases/<int:case_id>/back", methods=["POST"],
                 endpoint="guided_back")
def portal_guided_back(case_id: int):
    """Go back to the previous step."""
    case = get_or_404(GuidedCase, case_id)
    return post_action(lambda: guided.back(case), message="You are back one step.",
                       back=_page(case))


@blueprint.route("/guided-cases/<int:case_id>/accept", methods=["POST"],
                 endpoint="guided_accept")
def portal_guided_accept(case_id: int):
    """Accept the proposed solution: the case closes."""
    case = get_or_404(GuidedCase, case_id)
    return post_action(lambda: guided.customer_accept(case),
                       message="Thank you: you accepted the solution and the case is closed.",
                       back=_page(case))


@blueprint.route("/guided-cases/<int:case_id>/reject", methods=["POST"],
                 endpoint="guided_reject")
def portal_guided_reject(case_id: int):
    """Reject the proposed solution, saying why: the agent proposes another."""
    case = get_or_404(GuidedCase, case_id)
    reason = RejectForm().reason.data or ""
    return post_action(lambda: guided.customer_reject(case, reason),
                       message="You rejected the solution; your agent will propose another.",
                       back=_page(case))
