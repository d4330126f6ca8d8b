"""The home page."""

from __future__ import annotations

from flask import render_template
from flask_login import login_required

from onward.core.views import blueprint


@blueprint.route("/")
@login_required
def home():
    """The landing page: a greeting and the places this user can go."""
    return render_template("core/home.html")
