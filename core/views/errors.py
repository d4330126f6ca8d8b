"""Error handlers: the API's one JSON error shape, and friendly pages for the web UI."""

from __future__ import annotations

from flask import Flask, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from onward.core.errors import OnwardError, Unauthenticated, ValidationFailed


def is_api_request() -> bool:
    """Whether the request is for the JSON API."""
    return request.path.startswith("/api/")


def _api_error(status: int, code: str, message: str, fields: dict | None = None):
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return jsonify(body), status


def _page(status: int, title: str, message: str):
    return render_template("core/error.html", status=status, title=title, message=message), status


def handle_onward_error(error: OnwardError):
    """An error raised on purpose: JSON for the API, a page (or sign-in) for the UI."""
    if is_api_request():
        response = _api_error(error.status, error.code, error.message, error.fields)
        if isinstance(error, Unauthenticated):
            response[0].headers["WWW-Authenticate"] = "Bearer"
        return response
    if isinstance(error, Unauthenticated):
        return redirect(url_for("core.sign_in", next=request.full_path.rstrip("?")))
    titles = {403: "Not allowed", 404: "Not found", 409: "Conflict"}
    return _page(error.status, titles.get(error.status, "Cannot do that"), error.message)


def _fields_from(error: HTTPException) -> dict:
    """The fields of a webargs error: ``{location: {field: [messages]}}`` in its data.

    Nested fields come out dotted (``rights.core_user``, ``roles.0``); a problem with a
    whole location (``Invalid JSON body.``) comes under the location's name (``json``).
    """
    messages = (getattr(error, "data", None) or {}).get("messages") or {}
    fields: dict = {}
    for location, location_messages in messages.items():
        if not isinstance(location_messages, dict):
            location_messages = {location: location_messages}
        fields.update(_flatten(location_messages))
    return fields


def _flatten(messages: dict, prefix: str = "") -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(_flatten(value, name))
        else:
            flat[name] = [str(item) for item in value] if isinstance(value, list) else [str(value)]
    return flat


#: the codes of ``OnwardError`` for the same statuses, so a client sees one code for each
_CODES = {401: Unauthenticated.code, 422: ValidationFailed.code}


def handle_http_error(error: HTTPException):
    """Werkzeug's HTTP errors (404, 405, 413, 422, 429 …) in the same shapes."""
    if isinstance(error, CSRFError):
        message = "The form expired or did not come from this site; reload the page and retry."
        if is_api_request():
            return _api_error(400, "csrf_failed", message)
        return _page(400, "Please try again", message)
    code = _CODES.get(error.code) or (error.name or "error").lower().replace(" ", "_")
    code = code.replace("'", "")
    fields = _fields_from(error)
    message = error.description or error.name
    if fields:
        problems = "; ".join(f"{name}: {' '.join(texts)}" for name, texts in fields.items())
        message = f"Some fields are missing or invalid. {problems}"
    if is_api_request():
        return _api_error(error.code or 500, code, message, fields)
    return _page(error.code or 500, error.name, message)


def handle_unexpected(error: Exception):
    """Anything else: log it, and show no internals."""
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    from flask import current_app

    current_app.logger.exception("unexpected error", exc_info=error)
    return handle_http_error(InternalServerError())


def register_error_handlers(app: Flask) -> None:
    """Install the handlers on ``app``."""
    app.register_error_handler(OnwardError, handle_onward_error)
    app.register_error_handler(HTTPException, handle_http_error)
    if not app.testing and not app.debug:
        app.register_error_handler(Exception, handle_unexpected)
