"""A task's journal in the API: ``/tasks/<id>/comments`` and ``/tasks/<id>/work-notes``.

Customers read and add additional comments on the tasks they may read (those visible to
them); work notes are for staff only.
"""

from __future__ import annotations

from onward import AccessDenied, db, get_or_404
from onward.plugins.onboarding import journal, schemas
from onward.plugins.onboarding.api import blueprint
from onward.plugins.onboarding.models import CaseTask

_entry = schemas.JournalEntrySchema()


def _task(task_id: int, kind: str) -> CaseTask:
    """The task, if the actor reads it (else 404) and reads journal entries of ``kind``."""
    task = get_or_404(CaseTask, task_id)
    if kind not in journal.readable_kinds():
        raise AccessDenied("Work notes are internal; customers read additional comments.")
    return task


def _routes(path: str, kind: str, label: str) -> None:
    """GET (newest first) and POST of ``kind`` entries at ``/tasks/<id>/<path>``."""
    rule = f"/tasks/<int:task_id>/{path}"
    name = path.replace("-", "_")

    @blueprint.route(rule, methods=["GET"], endpoint=f"task_{name}_list")
    @blueprint.doc(summary=f"List a task's {label}s",
                   description="Newest first, not paged, of a task the caller may read.")
    def _list(task_id: int):
        return {"items": [_entry.dump(e) for e in journal.entries(_task(task_id, kind),
                                                                   (kind,))]}

    @blueprint.route(rule, methods=["POST"], endpoint=f"task_{name}_create")
    @blueprint.arguments(schemas.JournalTextSchema)
    @blueprint.doc(summary=f"Add a {label} to a task",
                   description="Answers 201 with the entry; empty text is refused (422).")
    def _create(data: dict, task_id: int):
        entry = journal.add_entry(_task(task_id, kind), kind, data["text"])
        db.session.commit()
        return _entry.dump(entry), 201


_routes("comments", "comments", "additional comment")
_routes("work-notes", "work_notes", "work note")
