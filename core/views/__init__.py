"""Core's web UI: sign-in, profile and tokens, the home page and the admin pages."""

from flask import Blueprint

blueprint = Blueprint(
    "core",
    __name__,
    template_folder="../templates",
    static_folder="../static",
    static_url_path="/static/core",
)

# Each module adds its routes to the blueprint above.
from onward.core.views import admin, home, sign_in  # noqa: E402, F401
