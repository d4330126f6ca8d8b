"""The data import's settings and the import targets plugins registered, as the app has them."""

from __future__ import annotations

from typing import Any

from flask import current_app

from onward import ImportTarget, NotFound, ValidationFailed
from onward.plugins.dataimport.reader import workbook

#: settings (``ONWARD_IMPORT_…``) and their defaults
SETTINGS = {"IMPORT_MAX_BYTES": 100 * 1024 * 1024, "IMPORT_CHUNK_ROWS": 5000,
            "IMPORT_CALAMINE_MAX_ROWS": workbook.DEFAULT_CALAMINE_MAX_ROWS,
            # sheets with at least this many rows are read and checked in a child process
            "IMPORT_CHILD_PROCESS_MIN_ROWS": 20_000}


def setting(name: str) -> Any:
    """A data import setting."""
    return current_app.config.get(name, SETTINGS[name])


def web_upload_limit() -> int:
    """The largest file a web upload can bring: the import limit, or the request limit."""
    request_limit = current_app.config.get("MAX_CONTENT_LENGTH")
    return min(setting("IMPORT_MAX_BYTES"), request_limit or setting("IMPORT_MAX_BYTES"))


def found_target(key: str) -> ImportTarget:
    """The registered import target ``key`` named by a URL (404 when there is none)."""
    target = current_app.extensions["onward"].registries.import_targets.get(key)
    if target is None:
        raise NotFound(f"No import target {key!r}.")
    return target


def target_of(key: str) -> ImportTarget:
    """The registered import target ``key``."""
    targets = current_app.extensions["onward"].registries.import_targets
    if key not in targets:
        message = f"No import target {key!r}; use one of: {', '.join(targets)}."
        raise ValidationFailed(message, fields={"target": [message]})
    return targets[key]
