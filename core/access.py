"""Access control in one place: the scoping helper for reads and the check for writes.

* :func:`scoped` builds the query for every read of a model: table right, domain
  separation (own domain and those below it), a customer's own account, plugins' record
  rules, and owner access (a user always reads itself and manages its own tokens).
* :func:`require` guards every write by table right and scope.
* :func:`readable_fields` gives the fields a customer user may read.

A view, API endpoint or command that filters on domain or account by itself is a bug.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, has_app_context, has_request_context, request
from sqlalchemy import Select, false, func, or_, select, true

from onward.core.actor import current_actor
from onward.core.db import LARGEST_INTEGER, db
from onward.core.errors import AccessDenied, NotFound, Unauthenticated
from onward.core.models import AuditEntry, Domain, Role, RoleRight
from onward.core.registries import ALL_TABLES

_RIGHT_COLUMNS = {
    "read": RoleRight.can_read,
    "create": RoleRight.can_create,
    "write": RoleRight.can_write,
    "delete": RoleRight.can_delete,
}
_LETTERS = {"read": "r", "create": "c", "write": "w", "delete": "d"}


def _cache() -> dict:
    if "onward_access_cache" not in g:
        g.onward_access_cache = {}
    return g.onward_access_cache


def clear_cache() -> None:
    """Forget what this request or context learnt about roles and domains."""
    g.pop("onward_access_cache", None)


def is_system(user: Any) -> bool:
    """The system actor (CLI, jobs) passes every check."""
    return getattr(user, "is_system", False)


def effective_roles(user: Any) -> frozenset[str]:
    """Names of the user's roles and every role they contain, transitively."""
    if user is None or is_system(user):
        return frozenset()
    key = ("roles", user.id, user.session_epoch)
    cache = _cache()
    if key not in cache:
        graph = _role_graph()
        found: set[str] = set()
        stack = [role.name for role in user.roles]
        while stack:
            name = stack.pop()
            if name not in found:
                found.add(name)
                stack.extend(graph.get(name, ()))
        cache[key] = frozenset(found)
    return cache[key]


def _role_graph() -> dict[str, list[str]]:
    cache = _cache()
    if "graph" not in cache:
        graph: dict[str, list[str]] = {}
        for role in db.session.scalars(select(Role)):
            graph[role.name] = [contained.name for contained in role.contains]
        cache["graph"] = graph
    return cache["graph"]


def _rights_table() -> dict[tuple[str, str], set[str]]:
    """(role name, table) -> rights, loaded once per request."""
    cache = _cache()
    if "rights" not in cache:
        table: dict[tuple[str, str], set[str]] = {}
        rows = db.session.execute(select(Role.name, RoleRight).join(RoleRight.role))
        for role_name, right in rows:
            table[(role_name, right.table_name)] = set(right.letters)
        cache["rights"] = table
    return cache["rights"]


def roles_with_right(right: str, table: str) -> set[str]:
    """Names of the roles that grant ``right`` on ``table`` directly (not through others)."""
    letter = _LETTERS[right]
    return {
        role
        for (role, table_name), letters in _rights_table().items()
        if table_name in (table, ALL_TABLES) and letter in letters
    }


def has_right(user: Any, right: str, table: str) -> bool:
    """Whether ``user`` holds ``right`` (read, create, write, delete) on ``table``."""
    if user is None:
        return False
    if is_system(user):
        return True
    if right not in _LETTERS:
        raise ValueError(f"unknown right {right!r}")
    return bool(effective_roles(user) & roles_with_right(right, table))


def visible_domain_ids(user: Any) -> set[int] | None:
    """The user's domain and every domain below it; ``None`` means all (the system)."""
    if is_system(user):
        return None
    cache = _cache()
    if "domains" not in cache:
        cache["domains"] = db.session.execute(select(Domain.id, Domain.parent_id)).all()
    children: dict[int | None, list[int]] = {}
    for domain_id, parent_id in cache["domains"]:
        children.setdefault(parent_id, []).append(domain_id)
    found, stack = set(), [user.domain_id]
    while stack:
        domain_id = stack.pop()
        if domain_id not in found:
            found.add(domain_id)
            stack.extend(children.get(domain_id, ()))
    return found


def _column(model: type, attribute: str):
    name = getattr(model, attribute, None)
    return getattr(model, name) if name else None


def _owner_clause(model: type, user: Any, right: str):
    owner = _column(model, "__owner_column__")
    if owner is None or _LETTERS[right] not in getattr(model, "__owner_rights__", ""):
        return None
    return owner == user.id


def _scope_clause(model: type, user: Any, right: str):
    """Rows of ``model`` the user reaches through its table rights (not ownership)."""
    clauses = []
    domain = _column(model, "__domain_column__")
    if domain is not None:
        clauses.append(domain.in_(visible_domain_ids(user)))
    rules = _record_rules(model, user, right)
    if rules is not None:
        clauses.append(rules)
    if user.is_customer:
        account = _column(model, "__account_column__")
        if account is not None:
            clauses.append(account == user.account_id)
        elif rules is None:
            # A record without an account (a domain's catalogue, say) reaches a customer
            # only through record rules of its roles, which say which rows it may use.
            clauses.append(false())
    return clauses


def _record_rules(model: type, user: Any, right: str):
    """The union over the user's roles: a role without a record rule sees every row."""
    table = model.__tablename__
    granting = effective_roles(user) & roles_with_right(right, table)
    rules = current_app.extensions["onward"].registries.record_rules
    narrowed = []
    for role in granting:
        role_rules = [rule for rule in rules if rule.model is model and rule.role == role]
        if not role_rules:
            return None
        narrowed.extend(rule.where(user) for rule in role_rules)
    return or_(*narrowed) if narrowed else None


def scope_filter(model: type, *, user: Any = None, right: str = "read"):
    """The condition that limits ``model``'s rows to those ``user`` may use for ``right``.

    Raises:
        Unauthenticated: nobody is signed in.
        AccessDenied: the user holds neither the table right nor owner access.
    """
    user = current_actor() if user is None else user
    if user is None:
        raise Unauthenticated("Sign in first.")
    if is_system(user):
        return true()
    owner = _owner_clause(model, user, right)
    if not has_right(user, right, model.__tablename__):
        if owner is None:
            deny(f"{right} {model.__tablename__}", user)
        return owner
    clause = true()
    for part in _scope_clause(model, user, right):
        clause = clause & part
    return clause if owner is None else or_(clause, owner)


def scoped(model: type, *, user: Any = None, right: str = "read") -> Select:
    """``select(model)`` limited to the rows ``user`` (default: the actor) may ``right``.

    This is the one scoping helper: every read of an account- or domain-scoped record
    goes through it.
    """
    return select(model).where(scope_filter(model, user=user, right=right))


def get_or_404(model: type, record_id: Any, *, user: Any = None, right: str = "read") -> Any:
    """The record with ``record_id`` if ``user`` may ``right`` it, else :class:`NotFound`.

    A record in another tenant answers exactly like one that does not exist, and so does an
    id no database integer holds.
    """
    try:
        record_id = int(record_id)
    except (TypeError, ValueError):
        raise NotFound(f"No {_label(model)} with id {record_id}.") from None
    if abs(record_id) > LARGEST_INTEGER:
        raise NotFound(f"No {_label(model)} with id {record_id}.")
    user = current_actor() if user is None else user
    stmt = scoped(model, user=user, right=right).where(model.id == record_id)
    record = db.session.scalars(stmt).first()
    if record is None:
        if db.session.get(model, record_id) is not None:  # it exists: a denial, audited
            deny(f"{right} {model.__tablename__} {record_id}", user, not_found=True)
        raise NotFound(f"No {_label(model)} with id {record_id}.")
    return record


def require(right: str, target: Any, *, user: Any = None) -> None:
    """Check that ``user`` may ``right`` the ``target``: a model class or a record.

    A class (or a record not yet flushed) needs the table right, or owner access; a new
    record must also land in the user's domains (a customer's in its account). An
    existing record must be within the user's read scope, or it is :class:`NotFound`,
    never revealing that it exists, and then within the scope of ``right``.

    Raises:
        Unauthenticated, AccessDenied, NotFound.
    """
    user = current_actor() if user is None else user
    if user is None:
        raise Unauthenticated("Sign in first.")
    if is_system(user):
        return
    model = target if isinstance(target, type) else type(target)
    table = model.__tablename__
    if isinstance(target, type) or target.id is None:
        owner = getattr(model, "__owner_column__", None)
        owns = owner and _LETTERS[right] in getattr(model, "__owner_rights__", "")
        if owns and (isinstance(target, type) or getattr(target, owner) == user.id):
            return
        if not has_right(user, right, table):
            deny(f"{right} {table}", user)
        if not isinstance(target, type):
            _require_new_in_scope(target, user)
        return
    for needed in dict.fromkeys(("read", right)):
        clause = scope_filter(model, user=user, right=needed)
        hit = db.session.scalar(select(model.id).where(model.id == target.id).where(clause))
        if hit is None:
            deny(f"{needed} {table} {target.id}", user, not_found=needed == "read")


def require_role(name: str, *, user: Any = None, message: str | None = None) -> None:
    """Check that ``user`` holds role ``name``, directly or through contained roles.

    Raises:
        Unauthenticated, AccessDenied.
    """
    user = current_actor() if user is None else user
    if user is None:
        raise Unauthenticated("Sign in first.")
    if not is_system(user) and name not in effective_roles(user):
        deny(f"act as {name}", user, message=message or f"Only holders of role {name!r} may.")


def require_grant(role_names: set[str], *, user: Any = None) -> None:
    """Check that ``user`` may give or take away these roles: only roles it holds itself.

    Admins may grant every role; without this, a right to change users would be a right
    to make oneself an admin.
    """
    user = current_actor() if user is None else user
    if user is None:
        raise Unauthenticated("Sign in first.")
    if is_system(user):
        return
    held = effective_roles(user)
    beyond = sorted(role_names - held) if "admin" not in held else []
    if beyond:
        deny(f"grant role {beyond[0]}", user, message=(
            f"You may only give or take away roles you hold yourself; you do not hold "
            f"{beyond[0]!r}."))


def _require_new_in_scope(record: Any, user: Any) -> None:
    """A new record must land in the user's domains, and a customer's in its account."""
    table = record.__tablename__
    domain_attr = getattr(type(record), "__domain_column__", None)
    if domain_attr and domain_attr != "id":
        domain_id = getattr(record, domain_attr)
        if domain_id is not None and domain_id not in visible_domain_ids(user):
            deny(f"create {table} in domain {domain_id}", user, not_found=True)
    account_attr = getattr(type(record), "__account_column__", None)
    foreign = account_attr not in (None, "id") and getattr(record, account_attr) != user.account_id
    if user.is_customer and foreign:
        deny(f"create {table} for another account", user, not_found=True)


def can(right: str, target: Any, *, user: Any = None) -> bool:
    """Whether :func:`require` would pass; for showing or hiding buttons, never audited."""
    g.onward_quiet_denials = True
    try:
        require(right, target, user=user)
    except (AccessDenied, NotFound, Unauthenticated):
        return False
    finally:
        g.pop("onward_quiet_denials", None)
    return True


def deny(what: str, user: Any, *, not_found: bool = False, message: str | None = None) -> None:
    """Record a permission denial in the audit log and raise the matching error.

    ``what`` is ``"<right> <table> [id]"`` (or a phrase, with ``message``) for the log.
    """
    if has_app_context() and not g.get("onward_quiet_denials"):
        detail = f"{what} ({request.method} {request.path})" if has_request_context() else what
        log_security_event("permission_denied", user=user, detail=detail)
    if not_found:
        raise NotFound("Not found.")
    raise AccessDenied(message or f"You may not {what.split(' ', 1)[0]} {_humanise(what)}.")


def _humanise(what: str) -> str:
    parts = what.split(" ")
    return parts[1] if len(parts) > 1 else what


def _label(model: type) -> str:
    return model.__tablename__.split("_", 1)[-1].replace("_", " ")


def log_security_event(kind: str, *, user: Any = None, detail: str = "") -> None:
    """Queue a sign-in, failure, sign-out or denial for the audit log.

    The entry is written on its own connection when the application context ends (see
    :func:`write_security_events`), after the request's own transaction is over: so it
    survives the rollback of the refused request and never waits on its lock.
    """
    address = request.remote_addr if has_request_context() else None
    if address:
        detail = f"{detail} from {address}" if detail else f"from {address}"
    entry = {
        "kind": kind,
        "user_id": getattr(user, "id", None),
        "domain_id": getattr(user, "domain_id", None),
        "detail": detail,
    }
    g.setdefault("onward_security_events", []).append(entry)


def write_security_events(_exc: BaseException | None = None) -> None:
    """Write the queued security events; registered to run after the session is closed."""
    events = g.pop("onward_security_events", None)
    if events:
        with db.engine.begin() as connection:
            top = connection.scalar(select(func.min(Domain.id)).where(Domain.parent_id.is_(None)))
            for event in events:
                event["domain_id"] = event["domain_id"] or top
            connection.execute(AuditEntry.__table__.insert(), events)


def readable_fields(model: type, *, user: Any = None) -> frozenset[str] | None:
    """Fields of ``model`` that ``user`` may read; ``None`` means every field.

    Customer users read only the fields that ``FieldRule`` items list (plus ``id``);
    a model without a field rule shows them nothing but its id.
    """
    user = current_actor() if user is None else user
    if user is None or is_system(user) or not user.is_customer:
        return None
    rules = current_app.extensions["onward"].registries.field_rules
    return rules.get(model, frozenset({"id"}))
