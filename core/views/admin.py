"""Admin pages: users, roles, domains, accounts, plugins and the audit log."""

from __future__ import annotations

from flask import render_template
from flask_login import login_required

from onward.core.views import blueprint


@blueprint.route("/admin/users")
@login_required
def users():
    """Users."""
    return render_template("core/home.html")


@blueprint.route("/admin/roles")
@login_required
def roles():
    """Roles."""
    return render_template("core/home.html")


@blueprint.route("/admin/domains")
@login_required
def domains():
    """Domains."""
    return render_template("core/home.html")


@blueprint.route("/admin/accounts")
@login_required
def accounts():
    """Accounts."""
    return render_template("core/home.html")


@blueprint.route("/admin/plugins")
@login_required
def plugins():
    """Plugins."""
    return render_template("core/home.html")


@blueprint.route("/admin/audit")
@login_required
def audit():
    """Audit log."""
    return render_template("core/home.html")
