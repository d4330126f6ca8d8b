"""Domains and accounts: the tenancy every account-scoped record hangs from."""

from __future__ import annotations

from sqlalchemy import func, select

from onward.core.access import is_system, require, scoped
from onward.core.actor import current_actor
from onward.core.db import db
from onward.core.errors import Conflict, NotFound, ValidationFailed
from onward.core.models import Account, Domain, User

DEFAULT_DOMAIN = "global"


def _required_name(name: str | None, field: str = "name", limit: int = 200) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(f"The {field} is required.", fields={field: ["Required."]})
    if len(name) > limit:
        message = f"At most {limit} characters."
        raise ValidationFailed(f"The {field} is too long.", fields={field: [message]})
    return name


def default_domain() -> Domain:
    """The top domain (made on first use), where records go when no domain is named."""
    domain = db.session.scalar(
        select(Domain).where(Domain.parent_id.is_(None)).order_by(Domain.id).limit(1)
    )
    if domain is None:
        domain = Domain(name=DEFAULT_DOMAIN)
        db.session.add(domain)
        db.session.flush()
    return domain


def domain_by_name(name: str) -> Domain:
    """The domain called ``name`` (as the actor may see it)."""
    domain = db.session.scalar(scoped(Domain).where(Domain.name == name.strip()))
    if domain is None:
        raise NotFound(f"No domain named {name!r}.")
    return domain


def actor_domain() -> Domain:
    """The acting user's domain, or the default domain for the system."""
    actor = current_actor()
    if actor is None or is_system(actor):
        return default_domain()
    return actor.domain


def create_domain(name: str, parent: Domain | None = None) -> Domain:
    """Make a domain, below ``parent`` (default: the actor's own domain)."""
    name = _required_name(name, limit=120)
    if db.session.scalar(select(Domain.id).where(func.lower(Domain.name) == name.lower())):
        raise Conflict(f"A domain named {name!r} exists already.", fields={"name": ["Taken."]})
    actor = current_actor()
    if parent is None and not is_system(actor):
        parent = actor.domain
    if parent is not None:
        require("read", parent)  # the parent must be within reach (else: not found)
    domain = Domain(name=name, parent_id=parent.id if parent else None)
    require("create", domain)
    db.session.add(domain)
    db.session.flush()
    return domain


def update_domain(domain: Domain, *, name: str | None = None) -> Domain:
    """Rename a domain."""
    require("write", domain)
    if name is not None:
        name = _required_name(name, limit=120)
        clash = db.session.scalar(
            select(Domain.id).where(func.lower(Domain.name) == name.lower(), Domain.id != domain.id)
        )
        if clash:
            raise Conflict(f"A domain named {name!r} exists already.", fields={"name": ["Taken."]})
        domain.name = name
    return domain


def delete_domain(domain: Domain) -> None:
    """Delete an empty domain (no domains, accounts or users below it)."""
    require("delete", domain)
    for model, column, what in (
        (Domain, Domain.parent_id, "domains"),
        (Account, Account.domain_id, "accounts"),
        (User, User.domain_id, "users"),
    ):
        if db.session.scalar(select(func.count(model.id)).where(column == domain.id)):
            raise Conflict(f"Domain {domain.name!r} still has {what}; move or delete them first.")
    db.session.delete(domain)


def create_account(name: str, domain: Domain | None = None) -> Account:
    """Make an account in ``domain`` (default: the actor's domain)."""
    name = _required_name(name)
    domain = domain or actor_domain()
    _check_unique_account(name, domain.id)
    account = Account(name=name, domain_id=domain.id, domain=domain)
    require("create", account)
    db.session.add(account)
    db.session.flush()
    return account


def _check_unique_account(name: str, domain_id: int, exclude: int | None = None) -> None:
    stmt = select(Account.id).where(
        func.lower(Account.name) == name.lower(), Account.domain_id == domain_id
    )
    if exclude is not None:
        stmt = stmt.where(Account.id != exclude)
    if db.session.scalar(stmt):
        raise Conflict(
            f"An account named {name!r} exists already in this domain.",
            fields={"name": ["Taken."]},
        )


def update_account(
    account: Account, *, name: str | None = None, active: bool | None = None
) -> Account:
    """Rename an account or (de)activate it."""
    require("write", account)
    if name is not None:
        name = _required_name(name)
        _check_unique_account(name, account.domain_id, exclude=account.id)
        account.name = name
    if active is not None:
        account.active = active
    return account


def delete_account(account: Account) -> None:
    """Delete an account that has no users; other plugins' records block it through keys."""
    require("delete", account)
    if db.session.scalar(select(func.count(User.id)).where(User.account_id == account.id)):
        raise Conflict(f"Account {account.name!r} still has users; deactivate it instead.")
    db.session.delete(account)


def account_by_name(name: str, domain: Domain | None = None) -> Account:
    """The account called ``name`` that the actor may see (in ``domain`` if given)."""
    stmt = scoped(Account).where(func.lower(Account.name) == name.strip().lower())
    if domain is not None:
        stmt = stmt.where(Account.domain_id == domain.id)
    accounts = db.session.scalars(stmt).all()
    if not accounts:
        raise NotFound(f"No account named {name!r}.")
    if len(accounts) > 1:
        raise Conflict(f"Several accounts are named {name!r}; name the domain too.")
    return accounts[0]
