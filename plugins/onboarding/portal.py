"""The customer portal (``/portal``): *My lists*, a case page and a task page.

Customers (and agents) see what ``scoped`` gives them; customer pages render
records as dicts limited to ``readable_fields`` so hidden fields never leak.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from onward import current_actor, db, effective_roles, get_or_404, readable_fields, scoped
from onward.plugins.onboarding.models import CaseTask, OnboardingCase

blueprint = Blueprint("onboarding_portal", __name__, url_prefix="/portal",
                      template_folder="templates")


@blueprint.before_request
@login_required
def _signed_in() -> None:
    """Every portal page needs a signed-in user; ``scoped`` does the rest."""


def visible(record) -> dict:
    """``record``'s columns the current user may read, as a dict."""
    allowed = readable_fields(type(record))
    return {column.key: getattr(record, column.key)
            for column in type(record).__table__.columns
            if allowed is None or column.key in allowed}


def _rows(model, where=None) -> list[dict]:
    query = scoped(model)
    if where is not None:
        query = query.where(where)
    return [visible(row) for row in db.session.scalars(query.order_by(model.id))]


@blueprint.route("", endpoint="lists")
def my_lists():
    """*My lists*: all cases (managers, agents) and my cases and tasks."""
    user = current_actor()
    mine = "contact_id" if user.is_customer else "assigned_to_id"
    show_all = not user.is_customer or "customer_case_manager" in effective_roles(user)
    return render_template(
        "onboarding/portal_lists.html",
        all_cases=_rows(OnboardingCase) if show_all else None,
        my_cases=_rows(OnboardingCase, getattr(OnboardingCase, mine) == user.id),
        my_tasks=_rows(CaseTask, getattr(CaseTask, mine) == user.id))


@blueprint.route("/cases/<int:case_id>", endpoint="case")
def portal_case(case_id: int):
    """A case: header, instructions and its (visible) tasks."""
    case = get_or_404(OnboardingCase, case_id)
    return render_template("onboarding/portal_case.html", case=visible(case),
                           account=case.account.name, days=case.days_remaining,
                           tasks=_rows(CaseTask, CaseTask.case_id == case.id))


@blueprint.route("/tasks/<int:task_id>", endpoint="task")
def portal_task(task_id: int):
    """A task: header and general instructions."""
    task = get_or_404(CaseTask, task_id)
    return render_template("onboarding/portal_task.html", task=visible(task),
                           case=visible(task.case), account=task.case.account.name)
