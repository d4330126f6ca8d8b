"""The home page: a greeting and cards for the places the user can go."""

from __future__ import annotations

from flask import render_template
from flask_login import login_required

from onward.core.actor import current_actor
from onward.core.views import blueprint
from onward.core.views.navigation import navigation


@blueprint.route("/")
@login_required
def home():
    """The landing page: a greeting, the user's roles and the sections it can reach."""
    sections = [
        (section, [item for item in items if item.endpoint != "core.home"])
        for section, items in navigation()
    ]
    user = current_actor()
    return render_template(
        "core/home.html",
        sections=[(section, items) for section, items in sections if items],
        roles=user.roles,
        account=user.account,
    )
