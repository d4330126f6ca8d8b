"""The errors Onward raises on purpose; each knows its HTTP status and error code.

The web UI shows them as messages, the JSON API as ``{"error": {"code", "message",
"fields"}}`` and the CLI as a one-line error without a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping


class StartupError(RuntimeError):
    """The application cannot start: a plugin or its contributions are wrong."""


class OnwardError(Exception):
    """An error meant for the person who caused it, with an HTTP status and a code."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: Mapping[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})

    def to_dict(self) -> dict:
        """The API's error shape."""
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


class ValidationFailed(OnwardError):
    """Input is missing or malformed; ``fields`` names the fields and what is wrong."""

    status = 422
    code = "validation_failed"


class RuleViolation(OnwardError):
    """A business rule refused the change."""

    status = 422
    code = "rule_violation"


class Conflict(OnwardError):
    """The change clashes with an existing record (a duplicate, for example)."""

    status = 409
    code = "conflict"


class AccessDenied(OnwardError):
    """The caller lacks the right it needs."""

    status = 403
    code = "forbidden"


class NotFound(OnwardError):
    """No such record, or none the caller may see (never reveals which)."""

    status = 404
    code = "not_found"


class Unauthenticated(OnwardError):
    """No valid sign-in or API token came with the request."""

    status = 401
    code = "unauthenticated"
