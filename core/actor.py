"""Who is acting: the signed-in user, an API token's user, or the system (CLI and jobs).

Kept free of model imports so that the database layer can stamp records with the actor.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import flask_login
from flask import g, has_app_context, has_request_context


class SystemActor:
    """Ops at the command line and scheduled jobs: every right, every domain."""

    id = None
    is_system = True
    is_authenticated = True
    is_customer = False
    email = "system"

    def __repr__(self) -> str:
        return "<system>"


SYSTEM = SystemActor()


def current_actor() -> Any:
    """The user acting now, ``SYSTEM`` outside a request, ``None`` for an anonymous request."""
    if has_app_context() and "onward_actor" in g:
        return g.onward_actor
    if has_request_context():
        user = flask_login.current_user
        return user._get_current_object() if user.is_authenticated else None
    return SYSTEM


@contextmanager
def acting_as(actor: Any) -> Iterator[Any]:
    """Run the block as ``actor`` (a user, or ``SYSTEM``); needs an application context."""
    missing = object()
    previous = g.pop("onward_actor", missing)
    g.onward_actor = actor
    try:
        yield actor
    finally:
        g.pop("onward_actor", None)
        if previous is not missing:
            g.onward_actor = previous
