"""Core's web UI: sign-in, profile and tokens, the home page and the admin pages."""

from flask import Blueprint

blueprint = Blueprint(
    "core",
    __name__,
    template_folder="../templates",
    static_folder="../static/core",
    static_url_path="/static/core",
)

# Each module adds its routes to the blueprint above.
from onward.core.views import (  # noqa: E402, F401
    admin,
    admin_jobs,
    admin_playbooks,
    admin_roles,
    admin_tenancy,
    admin_users,
    home,
    playbook_pages,
    sign_in,
)
