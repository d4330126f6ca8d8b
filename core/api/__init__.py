"""The JSON API: flask-smorest under ``/api/v1``, OpenAPI 3 at ``/api/openapi.json``."""

from __future__ import annotations

import flask_smorest
from flask import Flask

from onward.core.api.conventions import ErrorSchema


class OnwardApi(flask_smorest.Api):
    """flask-smorest's ``Api``, leaving error handling to core's one error shape."""

    #: documents every error response in that shape
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        """Core's handlers (``core/views/errors.py``) answer API and UI errors alike."""


def init_api(app: Flask) -> OnwardApi:
    """Create the API of ``app`` with its bearer-token security scheme."""
    api = OnwardApi(
        app,
        spec_kwargs={
            "info": {"description": "Onward's JSON API. Authenticate with a personal API "
                                    "token: `Authorization: Bearer <token>`."},
            "security": [{"bearer": []}],
        },
    )
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    return api
