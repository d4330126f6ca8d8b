"""Core's demo data: a provider domain, a tenant, accounts and users of every kind.

``onward demo`` loads it through core's ``register_demo_data`` hook and prints
:func:`demo_sign_ins`, which the tests and the browser tests use as well. Every record
is looked up by name or email first, so a second run adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from sqlalchemy import func

from onward.core import auth, totp
from onward.core.access import scoped
from onward.core.db import db
from onward.core.models import Account, Domain
from onward.core.tenancy import create_account, create_domain, default_domain
from onward.core.users import create_user

#: the password of every demo user
DEMO_PASSWORD = "onward-demo-password"  # noqa: S105 - published on purpose
#: the demo admin's TOTP secret (base32): admins must sign in with a second factor
DEMO_ADMIN_TOTP_SECRET = "ONWARDDEMOTOTPSECRETFORADMINONLY"  # noqa: S105
#: the tenant domain below the top domain
TENANT_DOMAIN = "acme-msp"
#: account name -> whether it lives in the tenant domain (else in the top domain)
DEMO_ACCOUNTS = {"Northwind Traders": False, "Contoso Ltd": False, "Fabrikam Inc": True}


@dataclass(frozen=True)
class DemoSignIn:
    """One demo user that can sign in, with what it is for."""

    email: str
    password: str
    note: str
    #: the TOTP secret of a user who signs in with a second factor
    totp_secret: str | None = None


@dataclass(frozen=True)
class _DemoUser:
    email: str
    name: str
    note: str
    roles: tuple[str, ...] = ()
    account: str | None = None
    totp_secret: str | None = None


DEMO_USERS = (
    _DemoUser("admin@example.com", "Ada Admin", "administrator; two-factor sign-in required",
              roles=("admin",), totp_secret=DEMO_ADMIN_TOTP_SECRET),
    _DemoUser("agent@example.com", "Alex Agent",
              "internal staff; plugins give it their agent roles (e.g. onboarding)"),
    _DemoUser("contact@northwind.example", "Nora Northwind", "customer user of Northwind Traders",
              account="Northwind Traders"),
)


def demo_sign_ins() -> list[DemoSignIn]:
    """The demo users: email, password, what each is for and its TOTP secret, if any."""
    return [DemoSignIn(user.email, DEMO_PASSWORD, user.note, user.totp_secret)
            for user in DEMO_USERS]


def _domain(name: str, parent: Domain) -> Domain:
    found = db.session.scalar(scoped(Domain).where(Domain.name == name))
    return found or create_domain(name, parent)


def _account(name: str, domain: Domain) -> Account:
    found = db.session.scalar(
        scoped(Account).where(func.lower(Account.name) == name.lower(),
                              Account.domain_id == domain.id)
    )
    return found or create_account(name, domain)


def load_demo_data(app: Flask) -> None:
    """Add core's demo domains, accounts and users, idempotently.

    Runs as the system actor, inside an application context; the caller commits.
    """
    top = default_domain()
    tenant = _domain(TENANT_DOMAIN, top)
    accounts = {
        name: _account(name, tenant if in_tenant else top)
        for name, in_tenant in DEMO_ACCOUNTS.items()
    }
    for demo in DEMO_USERS:
        if auth.find_user(demo.email) is not None:
            continue
        user = create_user(
            demo.email,
            name=demo.name,
            roles=demo.roles,
            account=accounts[demo.account] if demo.account else None,
            password=DEMO_PASSWORD,
        )
        if demo.totp_secret:
            # Recovery codes are made too (and not shown): the user can renew them in its
            # profile, and is not warned at each sign-in that it has none left.
            totp.enable(user, demo.totp_secret)
