"""The JSON API: flask-smorest under ``/api/v1``, OpenAPI 3 at ``/api/openapi.json``."""

from __future__ import annotations

import flask_smorest
from flask import Flask
from webargs.flaskparser import FlaskParser, abort

from onward.core.api.conventions import ErrorSchema
from onward.core.db import unstorable_number


class OnwardParser(FlaskParser):
    """webargs' parser: a JSON body holding a number no database stores is a 400.

    Python's ``json`` reads ``NaN``, ``Infinity`` and whole numbers of any size; JSON
    columns and integer columns hold none of them.
    """

    def load_json(self, req, schema):
        """The body, once no number in it is out of every database's reach."""
        try:
            data = super().load_json(req, schema)
        except RecursionError:  # Python's json gives up on deeply nested arrays and objects
            abort(400, messages={"json": ["The body nests arrays or objects too deeply."]})
        where = unstorable_number(data)
        if where:
            abort(400, messages={"json": [
                f"{where} is a number no database stores: NaN, Infinity or a whole number "
                "past 64 bits."]})
        return data


# every blueprint's @arguments reads bodies through it (plugins' too: they import onward,
# which imports this, before they define their blueprints)
flask_smorest.Blueprint.ARGUMENTS_PARSER = OnwardParser()


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
