"""Task journals: additional comments (customers too) and work notes (staff only).

The pages and the API call these services; rights come from the task (read access is
enough to write in its journal), the kind from who the actor is.
"""

from __future__ import annotations

from typing import Any

from onward import AccessDenied, ValidationFailed, current_actor, db, require

#: journal kind -> its label, internal kinds last
KINDS = {"comments": "Additional comment", "work_notes": "Work note"}


def readable_kinds(user: Any = None) -> tuple[str, ...]:
    """The journal kinds ``user`` (default: the actor) reads: a customer only comments."""
    user = current_actor() if user is None else user
    return ("comments",) if user.is_customer else tuple(KINDS)


def entries(record: Any, kinds: tuple[str, ...] | None = None) -> list:
    """``record``'s journal entries (of ``kinds``) the actor may read, newest first.

    The caller has read ``record`` through ``get_or_404``.
    """
    allowed = readable_kinds()
    return record.journal(tuple(kind for kind in kinds or allowed if kind in allowed))


def add_entry(record: Any, kind: str, text: str | None) -> Any:
    """Write ``text`` in ``record``'s journal as ``kind``; returns the new entry.

    Raises:
        NotFound: the actor may not read the record.
        AccessDenied: a customer writing a work note.
        ValidationFailed: an unknown kind, or no text.
    """
    require("read", record)
    if kind not in KINDS:
        message = f"Choose one of: {', '.join(KINDS)}."
        raise ValidationFailed(f"Unknown journal kind {kind!r}. {message}",
                               fields={"kind": [message]})
    if kind not in readable_kinds():
        raise AccessDenied("Work notes are internal; add an additional comment instead.")
    if not (text or "").strip():
        message = f"Write the {KINDS[kind].lower()} first; it is empty."
        raise ValidationFailed(message, fields={"text": [message]})
    if kind == "comments":
        record.add_comment(text)
    else:
        record.add_work_note(text)
    db.session.flush()
    return record.journal((kind,))[0]


def author_name(entry: Any) -> str:
    """Who wrote ``entry``: a name, else an email; ``System`` for jobs and the CLI."""
    return (entry.author.name or entry.author.email) if entry.author else "System"
