"""Admin pages for roles: plugins' declared roles (read-only) and admins' own roles.

An admin-made role's rights are edited as a grid, one row per table and one checkbox
per right: the checkboxes of table ``t`` are named ``rights-t`` (values ``r``, ``c``,
``w``, ``d``), every row carries a hidden ``rights_table``, and the empty row at the
bottom adds a table (``new_table`` with its ``new_rights``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from onward.core import lists
from onward.core.access import get_or_404, require, scoped
from onward.core.db import db
from onward.core.errors import ValidationFailed
from onward.core.models import Role
from onward.core.registries import ALL_TABLES
from onward.core.roles import delete_role, save_role
from onward.core.views import blueprint
from onward.core.views.forms import ConfirmForm, RoleForm
from onward.core.views.pages import (
    form_status,
    list_page,
    post_action,
    record_history,
    submit_form,
)

#: the rights a grid row offers, as (letter, label)
RIGHTS = (("r", "Read"), ("c", "Create"), ("w", "Write"), ("d", "Delete"))
#: tables that exist only as names for rights, not in the database
PSEUDO_TABLES = ("core_plugin",)
_TABLE_NAME = re.compile(r"^(\*|[a-z][a-z0-9_]*)$")


def _letters(values: list[str]) -> str:
    return "".join(letter for letter, _label in RIGHTS if letter in values)


def grid_from_request(data: Mapping) -> dict[str, str]:
    """The rights grid as submitted: table -> letters, unticked rows kept (empty)."""
    grid = {table: _letters(data.getlist(f"rights-{table}"))
            for table in data.getlist("rights_table")}
    new_table = (data.get("new_table") or "").strip()
    if new_table:
        grid[new_table] = _letters(data.getlist("new_rights"))
    return grid


def rights_to_save(grid: Mapping[str, str]) -> dict[str, str]:
    """The rights to store: rows with at least one right, after checking table names.

    Raises:
        ValidationFailed: a table name that cannot be one.
    """
    bad = [table for table in grid if not _TABLE_NAME.match(table)]
    if bad:
        message = f"{bad[0]!r} is not a table name: use lower-case letters, digits and _ (or *)."
        raise ValidationFailed(message, fields={"rights": [message]})
    return {table: letters for table, letters in grid.items() if letters}


def known_tables() -> list[str]:
    """Table names of the loaded plugins (and ``*``), offered when adding a grid row."""
    plugins = {name for name, _plugin in current_app.extensions["onward"].pm.list_name_plugin()}
    tables = {name for name in db.metadata.tables if name.split("_", 1)[0] in plugins}
    return [ALL_TABLES, *sorted(tables | set(PSEUDO_TABLES))]


def _contains_choices(form: RoleForm, role: Role | None) -> RoleForm:
    others = db.session.scalars(scoped(Role).where(Role.id != (role.id if role else None))
                                .order_by(Role.name))
    form.contains.choices = [SelectChoice(other.name, other.label or other.name)
                             for other in others]
    return form


def _render(role: Role | None, form: RoleForm, grid: Mapping[str, str]):
    return render_template(
        "core/role_form.html", role=role, form=form, grid=grid, rights=RIGHTS,
        known_tables=known_tables(), confirm_form=ConfirmForm(),
        history=record_history(role) if role else None,
    ), form_status(form)


def _save(role: Role | None, form: RoleForm, grid: Mapping[str, str]) -> Role:
    return save_role(
        role,
        name=form.name.data,
        label=form.label.data or "",
        description=form.description.data or "",
        external=form.external.data,
        contains=form.contains.data,
        rights=rights_to_save(grid),
    )


def _saved(role: Role):
    flash(f"Role {role.name} is saved.", "success")
    return redirect(url_for("core.role_edit", role_id=role.id))


@blueprint.route("/admin/roles", endpoint="roles")
@login_required
def roles_list():
    """Roles: plugins' declared roles and the roles admins made."""
    return list_page(Role, lists.ROLES, "core/roles.html", options=[selectinload(Role.contains)])


@blueprint.route("/admin/roles/new", methods=["GET", "POST"])
@login_required
def role_new():
    """Make a role: name, label, the roles it contains and its table rights."""
    require("create", Role)
    form = _contains_choices(RoleForm(), None)
    grid = grid_from_request(request.form) if form.is_submitted() else {}
    return submit_form(form, lambda: _save(None, form, grid), _saved,
                       lambda: _render(None, form, grid))


@blueprint.route("/admin/roles/<int:role_id>", methods=["GET", "POST"])
@login_required
def role_edit(role_id: int):
    """A role's page: editable when an admin made it, read-only when a plugin declares it."""
    role = get_or_404(Role, role_id)
    if request.method == "POST":
        form = _contains_choices(RoleForm(), role)
        grid = grid_from_request(request.form)
    else:
        form = _contains_choices(
            RoleForm(obj=role, contains=[contained.name for contained in role.contains]), role
        )
        grid = {right.table_name: right.letters for right in role.rights}
    return submit_form(form, lambda: _save(role, form, grid), _saved,
                       lambda: _render(role, form, grid))


@blueprint.route("/admin/roles/<int:role_id>/delete", methods=["POST"])
@login_required
def role_delete(role_id: int):
    """Delete an admin-made role; its users lose it."""
    role = get_or_404(Role, role_id)
    return post_action(
        lambda: delete_role(role), message=f"Role {role.name} is deleted.",
        back=url_for("core.role_edit", role_id=role.id), to=url_for("core.roles"),
    )
