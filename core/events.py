"""Events: what happened, handed to every plugin's ``on_event`` hook after the commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app

from onward.core.db import utcnow


@dataclass(frozen=True)
class Event:
    """Something that happened to a record; ``id`` keys idempotent reactions."""

    id: str
    name: str
    record_type: str = ""
    record_id: int | None = None
    #: field -> (old, new)
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    actor_id: int | None = None
    at: datetime = field(default_factory=utcnow)


def dispatch(event: Event) -> None:
    """Hand ``event`` to every ``on_event`` implementation of the current application."""
    current_app.extensions["onward"].pm.hook.on_event(event=event)
