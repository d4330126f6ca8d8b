"""Task prerequisites: a task whose prerequisites are open is blocked (cannot be closed).

When the last open prerequisite of a task closes, ``onboarding.task_unblocked`` is emitted
for the task (its data names the assignee), so the next person hears it is their turn.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from onward import Rule, RuleViolation, ValidationFailed, db, emit, reference, require
from onward.plugins.onboarding.models import CLOSED_STATES, TASK_PREREQUISITES, CaseTask

FIELD = "prerequisite_ids"


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={FIELD: [message]})


def _depends_on(task: CaseTask, other: CaseTask) -> bool:
    """Whether ``task`` waits for ``other``, directly or through other prerequisites."""
    seen, todo = set(), list(task.prerequisites)
    while todo:
        current = todo.pop()
        if current.id == other.id:
            return True
        if current.id not in seen:
            seen.add(current.id)
            todo.extend(current.prerequisites)
    return False


def set_prerequisites(task: CaseTask, ids: Iterable[int]) -> CaseTask:
    """Make the tasks ``ids`` (of the same case) the prerequisites of ``task``.

    Raises:
        ValidationFailed: a task the actor cannot read, of another case, the task itself,
            or one that waits for ``task`` already (a cycle).
    """
    require("write", task)
    chosen = []
    for task_id in dict.fromkeys(ids):
        other = reference(CaseTask, task_id, FIELD)
        if other.id == task.id:
            raise _invalid(f"{task.number} cannot be its own prerequisite.")
        if other.case_id != task.case_id:
            raise _invalid(f"{other.number} is a task of another case.")
        if _depends_on(other, task):
            raise _invalid(f"{other.number} waits for {task.number} already; "
                           "prerequisites cannot go round in a circle.")
        chosen.append(other)
    task.prerequisites = chosen
    db.session.flush()
    return task


def open_prerequisites(task: CaseTask) -> list[CaseTask]:
    """The prerequisites of ``task`` that are neither closed nor canceled."""
    return [other for other in task.prerequisites if other.state not in CLOSED_STATES]


def check_not_blocked(task: CaseTask, change) -> None:
    """Refuse to close a task while any of its prerequisites is open."""
    if task.state != "Closed" or not change.changed("state"):
        return
    blocking = open_prerequisites(task)
    if blocking:
        numbers = ", ".join(other.number for other in blocking)
        raise RuleViolation(f"{task.number} is blocked by {numbers}; close them first.",
                            fields={"state": [f"Blocked by {numbers}."]})


def unblock_dependents(task: CaseTask) -> list[CaseTask]:
    """Announce the open tasks whose last open prerequisite was ``task`` (just closed).

    Emits ``onboarding.task_unblocked`` for each and returns them.
    """
    if task.state not in CLOSED_STATES:
        return []
    dependents = db.session.scalars(
        select(CaseTask).join(TASK_PREREQUISITES, TASK_PREREQUISITES.c.task_id == CaseTask.id)
        .where(TASK_PREREQUISITES.c.prerequisite_id == task.id).order_by(CaseTask.id)).all()
    unblocked = [other for other in dependents
                 if other.state not in CLOSED_STATES and not open_prerequisites(other)]
    for other in unblocked:
        emit("onboarding.task_unblocked", record=other,
             data={"assigned_to_id": other.assigned_to_id, "number": other.number,
                   "unblocked_by": task.number})
    return unblocked


RULES = [Rule("onboarding_task.prerequisites", CaseTask, check_not_blocked,
              description="A task whose prerequisites are open cannot be closed.")]
