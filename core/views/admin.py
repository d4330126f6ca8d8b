"""Admin pages for what is installed and what happened: plugins and the audit log.

The other admin pages live beside this module: users (``admin_users``), roles
(``admin_roles``), domains and accounts (``admin_tenancy``).
"""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import login_required
from sqlalchemy.orm import selectinload

from onward.core import lists
from onward.core.access import deny, has_right
from onward.core.actor import current_actor
from onward.core.models import AuditEntry
from onward.core.plugins import plugin_info
from onward.core.views import blueprint
from onward.core.views.pages import list_page

ADMIN_PREFIX = "/admin/"


@blueprint.before_app_request
def _staff_only() -> None:
    """Refuse customer users the administration pages, which show every field.

    Customers read only what field rules allow; the portal shows them that.
    """
    actor = current_actor()
    if request.path.startswith(ADMIN_PREFIX) and getattr(actor, "is_customer", False):
        deny("open the administration pages", actor,
             message="The administration pages are for staff; customers use the portal.")


#: the kinds of audit entries, as (value, label) for the filter
AUDIT_KINDS = (
    ("sign_in", "Sign-in"),
    ("sign_in_failed", "Failed sign-in"),
    ("sign_out", "Sign-out"),
    ("permission_denied", "Permission denied"),
    ("change", "Change"),
)


@blueprint.route("/admin/plugins", endpoint="plugins")
@login_required
def plugins_list():
    """The loaded plugins: version, distribution, requirements and hooks."""
    actor = current_actor()
    if not has_right(actor, "read", "core_plugin"):
        deny("read core_plugin", actor)
    infos = plugin_info(current_app.extensions["onward"].pm)
    return render_template("core/plugins.html", plugins=infos)


@blueprint.route("/admin/audit", endpoint="audit")
@login_required
def audit_log():
    """The audit log: sign-ins, failures, denials and field changes, newest first."""
    return list_page(
        AuditEntry, lists.AUDIT, "core/audit.html", kinds=AUDIT_KINDS,
        options=[selectinload(AuditEntry.user)],
    )
