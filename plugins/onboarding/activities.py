"""The activity definitions of the account onboarding playbook (seed: "Initial setup").

Each is an :class:`~onward.ActivityDefinition`: an input JSON Schema and handlers that
get the engine's activity context (``record`` is the onboarding case, ``settings`` the
activity's ``inputs`` in the playbook file). Handlers refuse through Onward's errors;
the engine and the view roll everything back then.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from typing import Any

import yaml

from onward import (
    ActivityDefinition,
    PlaybookDefinition,
    RuleViolation,
    ValidationFailed,
    db,
    playbooks,
)
from onward.plugins.onboarding import cases, prerequisites, teams
from onward.plugins.onboarding.models import (
    CLOSED_STATES,
    INTEGRATIONS,
    ONBOARDING_TYPES,
    CaseTask,
    OnboardingCase,
)

DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
USER_ID = {"type": "integer", "minimum": 1}


def _object(properties: dict, required: tuple[str, ...] = ()) -> dict:
    return {"type": "object", "additionalProperties": False, "required": list(required),
            "properties": properties}


def _list_of(item: dict, *, min_items: int = 0) -> dict:
    return {"type": "array", "items": item, "minItems": min_items}


def _date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        message = f"{value!r} is not a date like 2030-12-31."
        raise ValidationFailed(message, fields={field: [message]}) from None


def add_working_days(day: dt.date, count: int) -> dt.date:
    """``day`` moved by ``count`` working days (Monday to Friday); negative goes back."""
    step = 1 if count >= 0 else -1
    remaining = abs(count)
    while remaining:
        day += dt.timedelta(days=step)
        if day.weekday() < 5:
            remaining -= 1
    return day


def _people(team: list[teams.TeamMember]) -> list[dict[str, Any]]:
    return [{"user_id": m.user_id, "email": m.user.email, "name": m.user.name,
             "responsibilities": m.responsibilities} for m in team]


def _email(ctx, event: str, setting: str, recipients: list[teams.TeamMember]) -> None:
    """Emit ``event`` for an email to ``recipients``, with its text from the settings."""
    text = ctx.settings.get(setting, {})
    ctx.emit(event, recipients=_people(recipients), subject=text.get("subject", ""),
             body=text.get("body", ""))


# --- Initial setup ----------------------------------------------------------------------


def start_select_account(ctx) -> None:
    """The case's account is filled in already (it was opened for it)."""
    ctx.activity.input = {"account_id": ctx.record.account_id, **ctx.input}


def complete_select_account(ctx) -> None:
    """Confirm the account: a case stays with the account it was opened for."""
    if ctx.input["account_id"] != ctx.record.account_id:
        raise RuleViolation(f"This case is for {ctx.record.account.name}; open a new case "
                            "for another account.", fields={"account_id": ["Not this case's."]})


def complete_onboarding_info(ctx) -> None:
    """Write the assignee, integration, type and go-live date onto the case."""
    data = ctx.input
    teams.internal_user(data["assigned_to_id"], "assigned_to_id")
    cases.update_case(ctx.record, {
        "assigned_to_id": data["assigned_to_id"], "integration": data["integration"],
        "onboarding_type": data["onboarding_type"],
        "go_live_date": _date(data["go_live_date"], "go_live_date")})


def complete_customer_team(ctx) -> None:
    """Add the contacts to the customer team (making the users that are new)."""
    for contact in ctx.input["contacts"]:
        teams.add_customer_contact(ctx.record, contact["first_name"], contact["last_name"],
                                   contact["email"])


def complete_customer_responsibilities(ctx) -> None:
    """One responsibility per contact, at least one point of contact; then the two emails."""
    case = ctx.record
    team = {m.user.email.lower(): m for m in teams.members(case, "customer")}
    given: dict[str, str] = {}
    for item in ctx.input["assignments"]:
        email = item["email"].strip().lower()
        if email not in team:
            raise ValidationFailed(f"{item['email']} is not on the customer team.",
                                   fields={"assignments": [f"{item['email']}: not on the team."]})
        if email in given:
            raise ValidationFailed(f"{item['email']} has more than one responsibility; a "
                                   "contact has exactly one.",
                                   fields={"assignments": [f"{item['email']}: only one."]})
        given[email] = item["responsibility"]
    missing = sorted(set(team) - set(given))
    if missing:
        raise ValidationFailed(f"{missing[0]} has no responsibility; every contact has one.",
                               fields={"assignments": [f"{missing[0]}: none."]})
    if "point_of_contact" not in given.values():
        raise RuleViolation("At least one contact must be the Customer onboarding point of "
                            "contact.", fields={"assignments": ["No point of contact."]})
    for email, responsibility in given.items():
        teams.set_customer_responsibility(case, team[email].user, responsibility)

    def holding(responsibility):
        return [team[e] for e, r in given.items() if r == responsibility]

    _email(ctx, "onboarding.point_of_contact_email", "point_of_contact_email",
           holding("point_of_contact"))
    _email(ctx, "onboarding.key_team_members_email", "key_team_members_email",
           holding("key_team_member"))


def complete_account_team(ctx) -> None:
    """Add the internal members, assign the tasks, email the other customer contacts."""
    case = ctx.record
    for index, item in enumerate(ctx.input["members"]):
        user = teams.internal_user(item["user_id"], f"members.{index}.user_id")
        teams.add_account_member(case, user, item["responsibilities"])
    others = [m for m in teams.members(case, "customer")
              if not {"point_of_contact", "key_team_member"} & set(m.responsibilities)]
    _email(ctx, "onboarding.account_team_email", "account_team_email", others)


def complete_squad(ctx) -> None:
    """Add the squad members."""
    for index, user_id in enumerate(ctx.input.get("user_ids", [])):
        teams.add_squad_member(ctx.record, teams.internal_user(user_id, f"user_ids.{index}"))


def complete_engagement_info(ctx) -> None:
    """Check the people and ask for an engagement (the success plugin makes it)."""
    data = dict(ctx.input)
    for field in ("csm_id", "account_manager_id"):
        if data.get(field) is not None:
            teams.internal_user(data[field], field)
    if data.get("renewal_date"):
        _date(data["renewal_date"], "renewal_date")
    ctx.emit("onboarding.engagement_requested", account_id=ctx.record.account_id, **data)


# --- tasks ------------------------------------------------------------------------------


def due_date(case, due: dict | None) -> dt.date | None:
    """The due date of ``due`` (``{"from": "start"|"go_live", "working_days": N}``)."""
    if not due:
        return None
    if due.get("from") == "go_live":
        base = case.go_live_date
    else:
        base = (case.created_at or dt.datetime.now(dt.UTC)).date()
    return None if base is None else add_working_days(base, due.get("working_days", 0))


def start_task(ctx) -> None:
    """Create the activity's case task from its settings, assigned by responsibility."""
    settings, case = ctx.settings, ctx.record
    task = cases.create_task(
        case, settings.get("subject", ctx.activity.label),
        description=settings.get("description", ""),
        task_type=settings.get("task_type", "data_capture"),
        responsibility=ctx.activity.responsibility or settings.get("responsibility")
        or cases.setting("ONBOARDING_DEFAULT_RESPONSIBILITY"),
        visible_to_customer=settings.get("visible_to_customer", False),
        due_date=due_date(case, settings.get("due")))
    task.assigned_to_id = teams.assignee(case, task.responsibility)
    ctx.activity.input = {**ctx.input, "task_id": task.id}


def complete_task(ctx) -> None:
    """Only a closed (or canceled) task completes its activity."""
    task = db.session.get(CaseTask, ctx.input.get("task_id"))
    if task is not None and task.state not in CLOSED_STATES:
        raise RuleViolation(f"Close the task {task.number} first.")


def _task_activities(case):
    """``(instance, activity, settings)`` of each task activity that made a task."""
    for instance in playbooks.instances_for(case):
        settings = {spec["key"]: spec.get("inputs", {}) for stage in instance.version.stages()
                    for spec in stage["activities"]}
        for activity in instance.activities:
            if activity.definition_key == "task" and (activity.input or {}).get("task_id"):
                yield instance, activity, settings.get(activity.key, {})


def complete_activity_of(task: CaseTask) -> None:
    """Complete the in-progress task activity of a task that has just closed."""
    if task.state not in CLOSED_STATES:
        return
    for instance, activity, _settings in _task_activities(task.case):
        if (instance.status == "active" and activity.state == "in_progress"
                and activity.input["task_id"] == task.id):
            playbooks.complete(instance, activity)


def redate_tasks(case) -> None:
    """Move the open tasks' due dates that hang on the go-live date (after it moved)."""
    for _instance, activity, settings in _task_activities(case):
        due = settings.get("due") or {}
        task = db.session.get(CaseTask, activity.input["task_id"])
        if due.get("from") == "go_live" and task is not None and task.state not in CLOSED_STATES:
            cases.update_task(task, {"due_date": due_date(case, due)})


def react(event) -> None:
    """React to task and case changes.

    Closing a task completes its activity and unblocks the tasks that waited for it;
    moving go-live moves its tasks' due dates.
    """
    if event.name == "onboarding_task.updated" and "state" in event.changes:
        task = db.session.get(CaseTask, event.record_id)
        if task is not None:
            complete_activity_of(task)
            prerequisites.unblock_dependents(task)
    elif event.name == "onboarding_case.updated" and "go_live_date" in event.changes:
        case = db.session.get(OnboardingCase, event.record_id)
        if case is not None:
            redate_tasks(case)
    db.session.flush()


DEFINITIONS = [
    ActivityDefinition(
        "select_account", "Select account",
        input_schema=_object({"account_id": USER_ID}, ("account_id",)),
        handlers={"start": start_select_account, "complete": complete_select_account},
        description="The customer account the case onboards (filled in already)."),
    ActivityDefinition(
        "onboarding_info", "Enter onboarding related info",
        input_schema=_object({
            "assigned_to_id": USER_ID,
            "integration": {"enum": list(INTEGRATIONS)},
            "onboarding_type": {"enum": list(ONBOARDING_TYPES)},
            "go_live_date": DATE,
        }, ("assigned_to_id", "integration", "onboarding_type", "go_live_date")),
        handlers={"complete": complete_onboarding_info},
        description="The provider agent, the Service Exchange integration, the onboarding "
                    "type and the go-live date."),
    ActivityDefinition(
        "customer_team", "Add customer team",
        input_schema=_object({"contacts": _list_of(_object({
            "first_name": {"type": "string", "minLength": 1, "maxLength": 100},
            "last_name": {"type": "string", "minLength": 1, "maxLength": 100},
            "email": {"type": "string", "minLength": 3, "maxLength": 254},
        }, ("first_name", "last_name", "email")), min_items=1)}, ("contacts",)),
        handlers={"complete": complete_customer_team},
        description="The customer contacts working on the case."),
    ActivityDefinition(
        "customer_responsibilities", "Add customer team responsibilities",
        input_schema=_object({"assignments": _list_of(_object({
            "email": {"type": "string", "minLength": 3},
            "responsibility": {"enum": list(teams.CUSTOMER_RESPONSIBILITIES)},
        }, ("email", "responsibility")), min_items=1)}, ("assignments",)),
        handlers={"complete": complete_customer_responsibilities},
        description="Exactly one responsibility per contact; at least one point of contact."),
    ActivityDefinition(
        "account_team", "Add account team",
        input_schema=_object({"members": _list_of(_object({
            "user_id": USER_ID,
            "responsibilities": {"type": "array", "minItems": 1, "maxItems": 2,
                                 "uniqueItems": True,
                                 "items": {"enum": list(teams.ACCOUNT_RESPONSIBILITIES)}},
        }, ("user_id", "responsibilities")), min_items=1)}, ("members",)),
        handlers={"complete": complete_account_team},
        description="Internal members with up to two responsibilities each."),
    ActivityDefinition(
        "squad", "Add squad",
        input_schema=_object({"user_ids": {"type": "array", "uniqueItems": True,
                                           "items": USER_ID}}),
        handlers={"complete": complete_squad},
        description="Internal helpers on the case (optional)."),
    ActivityDefinition(
        "engagement_info", "Create engagement",
        input_schema=_object({"csm_id": USER_ID, "account_manager_id": USER_ID,
                              "renewal_date": DATE}),
        handlers={"complete": complete_engagement_info},
        description="Customer success manager, account manager and renewal date, for the "
                    "engagement the success plugin creates."),
    ActivityDefinition(
        "task", "Create and view task record",
        input_schema=_object({"task_id": {"type": "integer"}}),
        handlers={"start": start_task, "complete": complete_task},
        description="Creates a case task from the activity's settings; completes once the "
                    "task is closed."),
]


def playbook() -> PlaybookDefinition:
    """The account onboarding playbook, from ``data/account_onboarding.yaml``."""
    text = resources.files("onward.plugins.onboarding.data").joinpath(
        "account_onboarding.yaml").read_text(encoding="utf-8")
    return PlaybookDefinition(cases.PLAYBOOK, yaml.safe_load(text))
