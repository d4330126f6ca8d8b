"""Core's API resources: users, roles, domains, accounts and tokens."""

from __future__ import annotations

import flask_smorest

blueprint = flask_smorest.Blueprint(
    "core_api", __name__, url_prefix="", description="Users, roles, domains, accounts, tokens"
)
