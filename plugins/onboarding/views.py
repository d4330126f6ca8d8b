"""The onboarding workspace: the landing page, case and task lists, the case and task pages.

These pages are for staff; customers are refused them (they use the portal).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy.orm import selectinload

from onward import (
    AccessDenied,
    Account,
    User,
    current_actor,
    db,
    form_status,
    get_or_404,
    list_page,
    playbook_context,
    playbooks,
    post_action,
    record_history,
    scoped,
    scorecards,
    submit_form,
)
from onward.plugins.onboarding import journal, teams
from onward.plugins.onboarding.cases import PLAYBOOK, create_case, update_case, update_task
from onward.plugins.onboarding.casetypes import AT_RISK, CASE_STAGES, TASK_PROGRESS
from onward.plugins.onboarding.forms import (
    CaseForm,
    JournalForm,
    NewCaseForm,
    TaskForm,
    changes,
)
from onward.plugins.onboarding.models import (
    INTEGRATIONS,
    ONBOARDING_TYPES,
    CaseTask,
    OnboardingCase,
)
from onward.plugins.onboarding.scorecards import case_spec, task_spec

blueprint = Blueprint("onboarding", __name__, url_prefix="/onboarding",
                      template_folder="templates", static_folder="static/onboarding",
                      static_url_path="/static")


@blueprint.before_request
@login_required
def _staff_only() -> None:
    """Refuse customer users: they see their cases and tasks in the portal."""
    if current_actor().is_customer:
        raise AccessDenied("The onboarding workspace is for staff; customers use the portal.")


def _options(label: str, values) -> list[tuple[str, str]]:
    """A list filter's choices: ``label`` for any, then each value."""
    return [("", label), *((value, value) for value in dict.fromkeys(values))]


@blueprint.route("/", endpoint="landing")
def landing():
    """The agent's landing page: every registered scorecard with its trend and list."""
    return render_template("onboarding/landing.html", cards=scorecards.cards())


@blueprint.route("/cases", endpoint="cases")
def case_list():
    """The cases the user may read; filters state, stage, *My cases*, active, stale."""
    filters = [
        ("state", "State", _options("Any state", CASE_STAGES)),
        ("stage", "Stage", _options("Any stage", [*CASE_STAGES.values(), AT_RISK])),
        ("mine", "Whose", [("", "All cases"), ("1", "My cases")]),
    ]
    return list_page(OnboardingCase, case_spec(current_actor()), "onboarding/cases.html",
                     options=[selectinload(OnboardingCase.account)], filters=filters)


@blueprint.route("/tasks", endpoint="tasks")
def task_list():
    """The tasks the user may read; filters state, overdue, mine, active."""
    filters = [
        ("state", "State", _options("Any state", TASK_PROGRESS)),
        ("overdue", "Due", [("", "Any due date"), ("1", "Overdue")]),
        ("mine", "Whose", [("", "All tasks"), ("1", "My tasks")]),
    ]
    return list_page(CaseTask, task_spec(current_actor()), "onboarding/tasks.html",
                     options=[selectinload(CaseTask.case)], filters=filters)


@blueprint.route("/cases/new", methods=["GET", "POST"], endpoint="case_new")
def case_new():
    """Open a case by hand for an account (a phased onboarding, say)."""
    form = NewCaseForm()

    def create():
        account = get_or_404(Account, form.account_id.data)
        return create_case(account, onboarding_type=form.onboarding_type.data,
                           go_live_date=form.go_live_date.data,
                           short_description=form.short_description.data or "")

    return submit_form(
        form, create,
        done=lambda case: redirect(url_for("onboarding.case", case_id=case.id)),
        show=lambda: (render_template("onboarding/case_new.html", form=form),
                      form_status(form)),
    )


def _saved(what: str):
    flash(f"{what} is saved.", "success")
    return redirect(request.path)


def _playbook(instances: list) -> dict:
    """The newest of a case's playbook ``instances`` as the panel shows it, if any."""
    if not instances:
        return {"playbook": None,
                "playbook_stored": playbooks.definitions.latest(PLAYBOOK) is not None}
    return playbook_context(instances[0], request.args.get("stage"), page=request.path)


#: responsibility key -> label, for the teams panel
RESPONSIBILITIES = {**teams.CUSTOMER_RESPONSIBILITIES, **teams.ACCOUNT_RESPONSIBILITIES}


def _teams(case: OnboardingCase) -> list[tuple[str, list]]:
    return [(side, teams.members(case, side)) for side in teams.SIDES]


#: the stage whose results the side panel sums up once it is done
SETUP_STAGE = "initial_setup"


def _engagement(data: dict) -> list[tuple[str, str]]:
    """The engagement details entered, the people by name."""
    ids = {data.get("csm_id"), data.get("account_manager_id")} - {None}
    names = {user.id: user.name or user.email
             for user in db.session.scalars(scoped(User).where(User.id.in_(ids)))}
    shown = [("Customer success manager", names.get(data.get("csm_id"))),
             ("Account manager", names.get(data.get("account_manager_id"))),
             ("Renewal date", data.get("renewal_date"))]
    return [(label, value) for label, value in shown if value]


def _setup_summary(case: OnboardingCase, instances: list) -> dict | None:
    """What Initial setup gathered, for the side panel once the stage is done."""
    setup = [a for a in instances[0].activities if a.stage_key == SETUP_STAGE] if instances else []
    if not setup or not all(activity.finished for activity in setup):
        return None
    engagement = next((a.input or {} for a in setup
                       if a.definition_key == "engagement_info" and a.state == "complete"), {})
    return {"facts": [("Account", case.account.name),
                      ("Assigned to", case.assigned_to and (case.assigned_to.name
                                                            or case.assigned_to.email)),
                      ("Integration", INTEGRATIONS.get(case.integration, case.integration)),
                      ("Type", ONBOARDING_TYPES.get(case.onboarding_type,
                                                    case.onboarding_type)),
                      ("Go-live", case.go_live_date and case.go_live_date.isoformat())],
            "engagement": _engagement(engagement)}


@blueprint.route("/cases/<int:case_id>", methods=["GET", "POST"], endpoint="case")
def case_page(case_id: int):
    """A case: header, details form, teams, tasks and history beside its playbook."""
    case = get_or_404(OnboardingCase, case_id)
    form = CaseForm(case)
    tasks = scoped(CaseTask).where(CaseTask.case_id == case.id).order_by(CaseTask.due_date,
                                                                         CaseTask.id)

    def show():
        instances = playbooks.instances_for(case)
        return render_template(
            "onboarding/case.html", case=case, form=form, tasks=db.session.scalars(tasks).all(),
            teams=_teams(case), responsibilities=RESPONSIBILITIES,
            summary=_setup_summary(case, instances),
            history=record_history(case), **_playbook(instances),
        ), form_status(form)

    return submit_form(form, lambda: update_case(case, changes(form, case)),
                       done=lambda saved: _saved(saved.number), show=show)


@blueprint.route("/cases/<int:case_id>/playbook", methods=["POST"], endpoint="case_start")
def case_start(case_id: int):
    """Start the onboarding playbook for a case."""
    case = get_or_404(OnboardingCase, case_id, right="write")
    back = url_for("onboarding.case", case_id=case.id)
    return post_action(lambda: playbooks.start(case, PLAYBOOK),
                       message="The onboarding playbook has started.", back=back)


@blueprint.route("/tasks/<int:task_id>", methods=["GET", "POST"], endpoint="task")
def task_page(task_id: int):
    """A task and its form."""
    task = get_or_404(CaseTask, task_id)
    form = TaskForm(task)
    return submit_form(
        form, lambda: update_task(task, changes(form, task)),
        done=lambda saved: _saved(saved.number),
        show=lambda: (render_template("onboarding/task.html", task=task, form=form,
                                      history=record_history(task),
                                      journal=journal.entries(task), journal_form=JournalForm()),
                      form_status(form)),
    )


@blueprint.route("/tasks/<int:task_id>/journal", methods=["POST"], endpoint="task_journal")
def task_journal(task_id: int):
    """Add a work note or an additional comment to a task."""
    task = get_or_404(CaseTask, task_id)
    form = JournalForm()
    return post_action(lambda: journal.add_entry(task, form.kind.data, form.text.data),
                       message=f"{journal.KINDS.get(form.kind.data, 'Entry')} added.",
                       back=url_for("onboarding.task", task_id=task.id))
from onward.plugins.onboarding import (  # noqa: E402, F401  (they add pages)
    customer_views,
    guided_views,
    knowledge_views,
)
