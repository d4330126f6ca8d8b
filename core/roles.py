"""Roles: write plugins' declared roles to the role tables; admins' own roles."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from onward.core.access import clear_cache, require, require_role
from onward.core.db import db
from onward.core.errors import Conflict, ValidationFailed
from onward.core.models import Role, RoleRight
from onward.core.registries import RoleDefinition


def apply_rights(role: Role, rights: Mapping[str, str]) -> None:
    """Make ``role``'s table rights exactly ``rights`` (table -> letters such as ``rw``).

    Rows are updated in place, so a table keeps its one row per role.
    """
    current = {right.table_name: right for right in role.rights}
    for table, letters in rights.items():
        unknown = set(letters) - set("rcwd")
        if unknown:
            letters = "".join(sorted(unknown))
            message = f"Unknown right letters {letters!r} on {table}; use r, c, w, d."
            raise ValidationFailed(message, fields={"rights": [message]})
        row = current.pop(table, None)
        if row is None:
            row = RoleRight(table_name=table)
            role.rights.append(row)
        row.can_read, row.can_create = "r" in letters, "c" in letters
        row.can_write, row.can_delete = "w" in letters, "d" in letters
    for row in current.values():
        role.rights.remove(row)


def sync_declared_roles(
    definitions: Mapping[str, RoleDefinition], owners: Mapping[str, str]
) -> int:
    """Write the roles plugins declare to the role tables; returns how many were written.

    A declared role's label, contents and rights follow its declaration on every run
    (``onward db upgrade``); roles made by admins are left alone.
    """
    existing = {role.name: role for role in db.session.scalars(select(Role))}
    for name, definition in definitions.items():
        role = existing.get(name)
        if role is None:
            role = existing[name] = Role(name=name)
            db.session.add(role)
        role.label = definition.label or name.replace("_", " ").capitalize()
        role.description = definition.description
        role.external = definition.external
        role.plugin = owners[name]
        apply_rights(role, definition.rights)
    contains = {name: list(definition.contains) for name, definition in definitions.items()}
    for name, definition in definitions.items():
        for whole in definition.part_of:
            if whole not in definitions:
                raise ValidationFailed(f"Role {name!r} is part of unknown role {whole!r}.")
            contains[whole].append(name)
    for name, contained in contains.items():
        missing = [c for c in contained if c not in existing]
        if missing:
            raise ValidationFailed(f"Role {name!r} contains unknown role {missing[0]!r}.")
        existing[name].contains = [existing[c] for c in dict.fromkeys(contained)]
    db.session.flush()
    clear_cache()
    return len(definitions)


def _declared(role: Role, verb: str) -> str:
    return f"Role {role.name!r} is declared by plugin {role.plugin!r}; it cannot be {verb}."


ADMINS_ONLY = "Only administrators may define roles: a role can grant any right."


def save_role(
    role: Role | None,
    *,
    name: str,
    label: str = "",
    description: str = "",
    external: bool = False,
    contains: list[str] | tuple[str, ...] = (),
    rights: Mapping[str, str] | None = None,
) -> Role:
    """Create (``role=None``) or change an admin-made role; declared roles are read-only.

    Besides the table right, this needs the ``admin`` role: a role can grant any right.
    """
    if role is not None and role.plugin:
        raise Conflict(_declared(role, "edited"))
    name = (name or "").strip()
    if not name or not name.replace("_", "").isalnum() or not name.islower():
        message = "Use lower-case letters, digits and underscores."
        raise ValidationFailed(f"Invalid role name {name!r}. {message}", fields={"name": [message]})
    clash = db.session.scalar(select(Role).where(Role.name == name))
    if clash is not None and clash is not role:
        raise Conflict(f"A role named {name!r} exists already.", fields={"name": ["Taken."]})
    if role is None:
        role = Role(name=name)
        require("create", role)
        require_role("admin", message=ADMINS_ONLY)
        db.session.add(role)
    else:
        require("write", role)
        require_role("admin", message=ADMINS_ONLY)
    role.name, role.label, role.description, role.external = name, label, description, external
    from onward.core.users import roles_by_name

    contained = roles_by_name(list(contains))
    if role in contained:
        raise ValidationFailed("A role cannot contain itself.", fields={"contains": ["Cycle."]})
    role.contains = contained
    if rights is not None:
        apply_rights(role, rights)
    db.session.flush()
    _check_no_cycle(role)
    clear_cache()
    return role


def _check_no_cycle(role: Role) -> None:
    stack, seen = list(role.contains), set()
    while stack:
        current = stack.pop()
        if current is role:
            raise ValidationFailed(
                f"Role {role.name!r} would contain itself through {current.name!r}.",
                fields={"contains": ["Cycle."]},
            )
        if current.id not in seen:
            seen.add(current.id)
            stack.extend(current.contains)


def delete_role(role: Role) -> None:
    """Delete an admin-made role (users lose it)."""
    if role.plugin:
        raise Conflict(_declared(role, "deleted"))
    require("delete", role)
    require_role("admin", message=ADMINS_ONLY)
    db.session.delete(role)
    clear_cache()
