"""The customer portal (``/portal``): *My lists*, a case page and a task page.

Customers (and agents) see what ``scoped`` gives them; customer pages render
records as dicts limited to ``readable_fields`` so hidden fields never leak.
"""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask_login import login_required
from sqlalchemy import select

from onward import (
    current_actor,
    db,
    effective_roles,
    get_or_404,
    post_action,
    readable_fields,
    scoped,
)
from onward.plugins.onboarding import guided, journal
from onward.plugins.onboarding.customer_data import OnboardingProduct
from onward.plugins.onboarding.forms import CommentForm
from onward.plugins.onboarding.guided_models import GuidedCase
from onward.plugins.onboarding.knowledge_services import shared_on_case
from onward.plugins.onboarding.models import CASE_PRODUCTS, CaseTask, OnboardingCase

blueprint = Blueprint("onboarding_portal", __name__, url_prefix="/portal",
                      template_folder="templates", static_folder="static/onboarding",
                      static_url_path="/static")


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
    """*My lists*: all cases (managers, agents), my cases and tasks, my guided cases."""
    user = current_actor()
    mine = "contact_id" if user.is_customer else "assigned_to_id"
    show_all = not user.is_customer or "customer_case_manager" in effective_roles(user)
    return render_template(
        "onboarding/portal_lists.html",
        all_cases=_rows(OnboardingCase) if show_all else None,
        my_cases=_rows(OnboardingCase, getattr(OnboardingCase, mine) == user.id),
        my_tasks=_rows(CaseTask, getattr(CaseTask, mine) == user.id),
        my_drafts=_rows(GuidedCase, guided.drafts_of(user)),
        my_guided=_rows(GuidedCase, guided.mine(user) & (GuidedCase.state != guided.DRAFT)),
        steps=len(guided.STEPS))


def _products(case: OnboardingCase) -> list[dict]:
    """The case's customer-visible products, as far as the actor may read them."""
    linked = select(CASE_PRODUCTS.c.product_id).where(CASE_PRODUCTS.c.case_id == case.id)
    return _rows(OnboardingProduct, OnboardingProduct.id.in_(linked)
                 & OnboardingProduct.customer_visible.is_(True))


@blueprint.route("/cases/<int:case_id>", endpoint="case")
def portal_case(case_id: int):
    """A case: header, instructions, product information and its (visible) tasks."""
    case = get_or_404(OnboardingCase, case_id)
    return render_template("onboarding/portal_case.html", case=visible(case),
                           account=case.account.name, days=case.days_remaining,
                           active=case.active, products=_products(case),
                           tasks=_rows(CaseTask, CaseTask.case_id == case.id),
                           articles=[visible(article) for article in shared_on_case(case)])


@blueprint.route("/tasks/<int:task_id>", endpoint="task")
def portal_task(task_id: int):
    """A task: header, general instructions and its additional comments."""
    task = get_or_404(CaseTask, task_id)
    return render_template("onboarding/portal_task.html", task=visible(task),
                           case=visible(task.case), account=task.case.account.name,
                           comments=journal.entries(task, ("comments",)),
                           comment_form=CommentForm())


@blueprint.route("/tasks/<int:task_id>/comments", methods=["POST"], endpoint="task_comment")
def portal_task_comment(task_id: int):
    """Add an additional comment to a task the user may read."""
    task = get_or_404(CaseTask, task_id)
    return post_action(lambda: journal.add_entry(task, "comments", CommentForm().text.data),
                       message="Your comment is added.",
                       back=url_for("onboarding_portal.task", task_id=task.id))
from onward.plugins.onboarding import (  # noqa: E402, F401  (they add their pages)
    guided_portal,
    knowledge_portal,
)
