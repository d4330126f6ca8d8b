"""The guided onboarding case (seed 002): the case, its members and its documents."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from onward import (
    Account,
    AccountScopedMixin,
    AuditedMixin,
    JournalMixin,
    NumberedMixin,
    TimestampMixin,
    User,
    db,
)

#: how the customer reached the agent who opened the case
CHANNELS = {"phone": "Phone", "email": "Email", "chat": "Chat"}
#: the pre-approval's outcome
APPROVAL_STATUSES = {"pending": "Pending", "approved": "Approved", "declined": "Declined"}
#: what a document is; the checklist names the kinds a case needs
DOCUMENT_KINDS = {
    "identity": "Proof of identity",
    "proof_of_address": "Proof of address",
    "bank_statement": "Bank statement",
    "other": "Other",
}
#: a document's review status
DOCUMENT_STATUSES = {"received": "Received", "valid": "Valid", "invalid": "Invalid"}


class GuidedCase(NumberedMixin, AccountScopedMixin, TimestampMixin, AuditedMixin, JournalMixin,
                 db.Model):
    """A guided onboarding case (``GONB…``) an agent opens on behalf of a customer."""

    __tablename__ = "onboarding_guided_case"
    __number_prefix__ = "GONB"
    __domain_column__ = "domain_id"
    __account_column__ = "account_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the customer user the case is for (its account is the case's account)
    contact_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    #: one of :data:`CHANNELS`
    channel: Mapped[str] = mapped_column(String(10), default="phone")
    #: the basic customer information the agent collects
    customer_name: Mapped[str] = mapped_column(String(120), default="")
    customer_email: Mapped[str] = mapped_column(String(254), default="")
    customer_phone: Mapped[str] = mapped_column(String(40), default="")
    short_description: Mapped[str] = mapped_column(String(160), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    #: Draft, New, Open, Solution proposed, Closed (see :mod:`.guided`)
    state: Mapped[str | None] = mapped_column(String(20), index=True)
    #: the agent working the case
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), index=True)
    #: the agent the case is offered to, until that agent accepts it
    pending_assignee_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"),
                                                            index=True)
    #: the current processing step, from 1 (see :data:`.guided.STEPS`)
    step: Mapped[int] = mapped_column(Integer, default=1)
    #: one of :data:`APPROVAL_STATUSES`, set at pre-approval
    approval_status: Mapped[str] = mapped_column(String(10), default="pending")
    #: the solution proposed to the customer (cleared when the customer rejects it)
    solution: Mapped[str] = mapped_column(Text, default="")
    #: why the customer rejected the last solution
    rejection_reason: Mapped[str] = mapped_column(Text, default="")

    account: Mapped[Account] = relationship(foreign_keys="GuidedCase.account_id")
    contact: Mapped[User] = relationship(foreign_keys=[contact_id])
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    pending_assignee: Mapped[User | None] = relationship(foreign_keys=[pending_assignee_id])
    members: Mapped[list[GuidedMember]] = relationship(back_populates="case",
                                                       order_by="GuidedMember.id")
    documents: Mapped[list[GuidedDocument]] = relationship(back_populates="case",
                                                           order_by="GuidedDocument.id")

    def __str__(self) -> str:
        return f"{self.number} {self.short_description}".strip()


class GuidedMember(AccountScopedMixin, TimestampMixin, AuditedMixin, db.Model):
    """An additional contact (member) of a guided case's application."""

    __tablename__ = "onboarding_guided_member"
    __domain_column__ = "domain_id"
    __account_column__ = "account_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("onboarding_guided_case.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    #: how the member relates to the customer, e.g. co-applicant
    relation: Mapped[str] = mapped_column(String(80), default="")

    case: Mapped[GuidedCase] = relationship(back_populates="members")


class GuidedDocument(AccountScopedMixin, TimestampMixin, AuditedMixin, db.Model):
    """A document the customer sent, stored in the database, size-limited on upload."""

    __tablename__ = "onboarding_guided_document"
    __domain_column__ = "domain_id"
    __account_column__ = "account_id"
    #: the file's bytes stay out of the audit and event logs
    __bookkeeping_fields__ = frozenset({"content", "updated_at", "updated_by_id"})

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("onboarding_guided_case.id"), index=True)
    #: one of :data:`DOCUMENT_KINDS`
    kind: Mapped[str] = mapped_column(String(30))
    #: the uploaded file's name, made safe
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    #: bytes
    size: Mapped[int] = mapped_column(Integer)
    #: the file itself; loaded only when asked for
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    #: one of :data:`DOCUMENT_STATUSES`
    status: Mapped[str] = mapped_column(String(10), default="received")
    #: why a document is invalid (told to the customer)
    note: Mapped[str] = mapped_column(Text, default="")

    case: Mapped[GuidedCase] = relationship(back_populates="documents")
