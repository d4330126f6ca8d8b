"""The onboarding landing page's scorecards, and the list toggles they drill down to.

The toggles (``mine``, ``active``, ``stale``, ``overdue``) are list filters whose "column"
is a condition; the cards count with the same conditions, so a card's number is the
length of the list its link opens.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlalchemy import and_

from onward import ListSpec, Scorecard
from onward.plugins.onboarding.lists import CASES, TASKS
from onward.plugins.onboarding.models import CLOSED_STATES, CaseTask, OnboardingCase

#: a case not updated for longer than this is stale
STALE_AFTER = dt.timedelta(days=3)


def case_toggles(user) -> dict:
    """Conditions on cases: assigned to ``user``, active, and not updated for 3 days."""
    active = OnboardingCase.state.not_in(CLOSED_STATES)
    stale_since = dt.datetime.now(dt.UTC) - STALE_AFTER
    return {
        "mine": OnboardingCase.assigned_to_id == user.id,
        "active": active,
        "stale": and_(active, OnboardingCase.updated_at < stale_since),
    }


def task_toggles(user) -> dict:
    """Conditions on tasks: assigned to ``user``, active, and overdue."""
    active = CaseTask.state.not_in(CLOSED_STATES)
    return {
        "mine": CaseTask.assigned_to_id == user.id,
        "active": active,
        "overdue": and_(active, CaseTask.due_date < dt.date.today()),
    }


def case_spec(user) -> ListSpec:
    """The case list's spec with the toggles for ``user``."""
    return replace(CASES, filterable={**CASES.filterable, **case_toggles(user)})


def task_spec(user) -> ListSpec:
    """The task list's spec with the toggles for ``user``."""
    return replace(TASKS, filterable={**TASKS.filterable, **task_toggles(user)})


def _card(key, label, model, toggles, names, date_field, endpoint, order, description):
    return Scorecard(
        key, label, model=model, date_field=date_field, order=order, description=description,
        where=lambda user: [toggles(user)[name] for name in names],
        drill=(endpoint, dict.fromkeys(names, "1")),
    )


SCORECARDS = [
    _card("onboarding_my_cases", "My active onboarding cases", OnboardingCase, case_toggles,
          ("mine", "active"), "created_at", "onboarding.cases", 10,
          "Open cases assigned to you; the trend counts them by month opened."),
    _card("onboarding_stale_cases", "Not updated in more than 3 days", OnboardingCase,
          case_toggles, ("stale",), "updated_at", "onboarding.cases", 20,
          "Active cases nobody touched for 3 days, by month of their last update."),
    _card("onboarding_active_tasks", "Active onboarding tasks", CaseTask, task_toggles,
          ("active",), "created_at", "onboarding.tasks", 30,
          "Tasks neither closed nor canceled, by month created."),
    _card("onboarding_overdue_tasks", "Overdue onboarding tasks", CaseTask, task_toggles,
          ("overdue",), "due_date", "onboarding.tasks", 40,
          "Active tasks past their due date, by month due."),
]
