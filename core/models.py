"""The records every feature shares: domains, accounts, users, roles, tokens and logs."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from onward.core.db import (
    AuditedMixin,
    DomainScopedMixin,
    TimestampMixin,
    UTCDateTime,
    db,
    utcnow,
)


class Domain(TimestampMixin, AuditedMixin, db.Model):
    """A tenant, or a managed service provider above its tenants (domains nest)."""

    __tablename__ = "core_domain"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: unique name, e.g. ``global`` or ``acme-msp``
    name: Mapped[str] = mapped_column(String(120), unique=True)
    #: the domain above this one; ``None`` for a top domain
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("core_domain.id"), index=True)

    parent: Mapped[Domain | None] = relationship(
        remote_side=[id], back_populates="children", foreign_keys=[parent_id]
    )
    children: Mapped[list[Domain]] = relationship(back_populates="parent", foreign_keys=[parent_id])

    #: how the access helper finds a record's domain
    __domain_column__ = "id"

    def __str__(self) -> str:
        return self.name


class Account(TimestampMixin, AuditedMixin, db.Model):
    """A customer company, in one domain."""

    __tablename__ = "core_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the company name, unique within its domain
    name: Mapped[str] = mapped_column(String(200))
    #: the domain the account belongs to (indexed by ``ix_core_account_scope``)
    domain_id: Mapped[int] = mapped_column(ForeignKey("core_domain.id"))
    #: inactive accounts stay for history but take no new work
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    domain: Mapped[Domain] = relationship(foreign_keys=[domain_id])

    __table_args__ = (UniqueConstraint("domain_id", "name"),
                      # what an account-scoped record's one scope key refers to
                      Index("ix_core_account_scope", "domain_id", "id", unique=True))
    __domain_column__ = "domain_id"
    __account_column__ = "id"

    def __str__(self) -> str:
        return self.name


user_roles = Table(
    "core_user_role",
    db.metadata,
    Column("user_id", ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("core_role.id", ondelete="CASCADE"), primary_key=True),
)

role_contains = Table(
    "core_role_contains",
    db.metadata,
    Column("role_id", ForeignKey("core_role.id", ondelete="CASCADE"), primary_key=True),
    Column("contained_id", ForeignKey("core_role.id", ondelete="CASCADE"), primary_key=True),
)


class Role(TimestampMixin, AuditedMixin, db.Model):
    """A role: the roles it contains and the table rights it grants."""

    __tablename__ = "core_role"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: unique machine name, e.g. ``onboarding_agent``
    name: Mapped[str] = mapped_column(String(80), unique=True)
    #: what people read
    label: Mapped[str] = mapped_column(String(120), default="")
    #: what the role is for
    description: Mapped[str] = mapped_column(Text, default="")
    #: for customer users (contacts of an account)
    external: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the plugin that declares the role; empty for roles an admin made
    plugin: Mapped[str] = mapped_column(String(80), default="")

    contains: Mapped[list[Role]] = relationship(
        secondary=role_contains,
        primaryjoin=id == role_contains.c.role_id,
        secondaryjoin=id == role_contains.c.contained_id,
        order_by="Role.name",
    )
    rights: Mapped[list[RoleRight]] = relationship(
        back_populates="role", cascade="all, delete-orphan", order_by="RoleRight.table_name"
    )

    def __str__(self) -> str:
        return self.name


class RoleRight(db.Model):
    """Rights a role holds on one table (``*`` for every table)."""

    __tablename__ = "core_role_right"

    id: Mapped[int] = mapped_column(primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("core_role.id", ondelete="CASCADE"))
    #: a table name, or ``*`` for every table
    table_name: Mapped[str] = mapped_column(String(120))
    can_read: Mapped[bool] = mapped_column(Boolean, default=False)
    can_create: Mapped[bool] = mapped_column(Boolean, default=False)
    can_write: Mapped[bool] = mapped_column(Boolean, default=False)
    can_delete: Mapped[bool] = mapped_column(Boolean, default=False)

    role: Mapped[Role] = relationship(back_populates="rights")

    __table_args__ = (UniqueConstraint("role_id", "table_name"),)

    @property
    def letters(self) -> str:
        """The rights as letters, e.g. ``rcw``."""
        flags = (self.can_read, self.can_create, self.can_write, self.can_delete)
        return "".join(letter for letter, on in zip("rcwd", flags, strict=True) if on)


class User(UserMixin, TimestampMixin, AuditedMixin, db.Model):
    """A person who signs in: internal staff, or a customer contact of one account."""

    __tablename__ = "core_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: sign-in name, stored lower-case (so the unique index finds it, whatever the case typed)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: full name as people read it
    name: Mapped[str] = mapped_column(String(200), default="")
    #: werkzeug hash; empty until a password is set
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    #: the domain the user works in (a customer's is its account's)
    domain_id: Mapped[int] = mapped_column(ForeignKey("core_domain.id"), index=True)
    #: set for customer users: the account they belong to
    account_id: Mapped[int | None] = mapped_column(ForeignKey("core_account.id"), index=True)
    #: deactivated users cannot sign in, and their sessions and tokens stop working
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: bumped to end every session of the user at once
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    #: base32 TOTP secret; set once two-factor sign-in is confirmed
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    #: last TOTP time step accepted, so a code works only once
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    #: when the user last signed in
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    domain: Mapped[Domain] = relationship(foreign_keys=[domain_id])
    account: Mapped[Account | None] = relationship(foreign_keys=[account_id])
    roles: Mapped[list[Role]] = relationship(secondary=user_roles, order_by="Role.name")

    __domain_column__ = "domain_id"
    __account_column__ = "account_id"
    #: a user always reads its own record
    __owner_column__ = "id"
    __owner_rights__ = "r"
    __secret_fields__ = frozenset({"password_hash", "totp_secret"})
    #: sign-ins have their own audit entries; the bookkeeping of each would be noise
    __bookkeeping_fields__ = frozenset(
        {"updated_at", "updated_by_id", "last_sign_in_at", "totp_last_step"}
    )

    @validates("email")
    def _lower_case(self, _key: str, email: str | None) -> str | None:
        """Emails are kept lower-case, however a writer (a plugin, a test) spells them."""
        return email.strip().lower() if email else email

    @property
    def is_active(self) -> bool:  # Flask-Login reads this
        """Whether the user may sign in."""
        return self.active

    @property
    def is_customer(self) -> bool:
        """Customer users belong to an account."""
        return self.account_id is not None

    @property
    def totp_enabled(self) -> bool:
        """Whether two-factor sign-in is on."""
        return bool(self.totp_secret)

    def get_id(self) -> str:
        """The session identity: id and epoch, so bumping the epoch ends every session."""
        return f"{self.id}:{self.session_epoch}"

    def __str__(self) -> str:
        return self.name or self.email


class RecoveryCode(db.Model):
    """A one-time code that stands in for a TOTP code (stored hashed)."""

    __tablename__ = "core_recovery_code"
    __events__ = False
    __secret_fields__ = frozenset({"code_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    #: sha256 of the code
    code_hash: Mapped[str] = mapped_column(String(64))
    #: when it was used; a used code never works again
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApiToken(DomainScopedMixin, db.Model):
    """A personal API token: shown once, stored hashed, revocable."""

    __tablename__ = "core_api_token"
    __secret_fields__ = frozenset({"token_hash"})
    __bookkeeping_fields__ = frozenset({"last_used_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    #: what the token is for, e.g. ``CI sync``
    name: Mapped[str] = mapped_column(String(120))
    #: the first characters, to recognise a token in lists
    prefix: Mapped[str] = mapped_column(String(16))
    #: sha256 of the whole token
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: a revoked token never works again
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __domain_column__ = "domain_id"
    #: a user manages its own tokens without any table right
    __owner_column__ = "user_id"
    __owner_rights__ = "rcwd"

    @property
    def active(self) -> bool:
        """Whether the token still works."""
        return self.revoked_at is None


class AuditEntry(db.Model):
    """One line of the audit log: a field change, a sign-in, a failure or a denial."""

    __tablename__ = "core_audit_entry"
    __events__ = False  # the log of what happened is not itself news

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``change``, ``sign_in``, ``sign_in_failed``, ``sign_out``, ``permission_denied`` …
    kind: Mapped[str] = mapped_column(String(40), index=True)
    table_name: Mapped[str | None] = mapped_column(String(120))
    record_id: Mapped[int | None] = mapped_column(Integer)
    #: the field that changed; ``*`` for a whole record created or deleted
    field: Mapped[str | None] = mapped_column(String(120))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    #: who did it (``None``: the system or an anonymous caller)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    #: free text: the email tried, the right denied, the remote address
    detail: Mapped[str | None] = mapped_column(Text)
    #: the domain whose admins see the entry: the record's, else the user's, else the top
    domain_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_domain.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    __table_args__ = (db.Index("ix_core_audit_entry_record", "table_name", "record_id"),)
    __domain_column__ = "domain_id"


class JournalEntry(db.Model):
    """A work note (internal) or additional comment (customer-visible) on any record."""

    __tablename__ = "core_journal_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    table_name: Mapped[str] = mapped_column(String(120))
    record_id: Mapped[int] = mapped_column(Integer)
    #: ``work_notes`` or ``comments``
    kind: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])

    __table_args__ = (db.Index("ix_core_journal_entry_record", "table_name", "record_id"),)
