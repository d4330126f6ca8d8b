"""The onboarding plugin's records: account onboarding cases and their tasks."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
from onward.plugins.onboarding.customer_data import OnboardingProduct

#: Service Exchange integration options (seed: "Enter onboarding related info")
INTEGRATIONS = {
    "not_required": "Not required",
    "remote_catalog": "Remote catalog",
    "remote_task": "Remote task",
    "foundation_data_sync": "Foundation data sync",
}
ONBOARDING_TYPES = {"full": "Full", "phased": "Phased"}
PRIORITIES = {1: "1 - Critical", 2: "2 - High", 3: "3 - Moderate", 4: "4 - Low"}
TASK_TYPES = {
    "data_capture": "Data capture",
    "risk_mitigation": "Risk mitigation",
    "development": "Development",
    "training": "Training",
    "testing": "Testing",
}
CLOSED_STATES = ("Closed", "Canceled")


def days_until(day: dt.date | None, today: dt.date | None = None) -> int | None:
    """Calendar days from today to ``day`` (negative once it has passed)."""
    if day is None:
        return None
    return (day - (today or dt.date.today())).days


#: the catalogue products an onboarding case is about
CASE_PRODUCTS = Table(
    "onboarding_case_product", db.metadata,
    Column("case_id", ForeignKey("onboarding_case.id", ondelete="CASCADE"), primary_key=True),
    Column("product_id", ForeignKey("onboarding_product.id", ondelete="CASCADE"),
           primary_key=True, index=True),
)


class OnboardingCase(NumberedMixin, AccountScopedMixin, TimestampMixin, AuditedMixin,
                     JournalMixin, db.Model):
    """An account onboarding case (``ALEONB…``), worked through the onboarding playbook."""

    __tablename__ = "onboarding_case"
    __number_prefix__ = "ALEONB"
    __domain_column__ = "domain_id"
    __account_column__ = "account_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the customer contact the case is for (customers see the cases they are contact of)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), index=True)
    #: the provider agent working on the case
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), index=True)
    #: one of :data:`INTEGRATIONS`
    integration: Mapped[str] = mapped_column(String(30), default="not_required")
    #: ``full`` or ``phased`` (a phased onboarding of an existing account)
    onboarding_type: Mapped[str] = mapped_column(String(10), default="full")
    go_live_date: Mapped[dt.date | None] = mapped_column(Date)
    #: New, Unassigned, Active, Blocked, Closed, Canceled
    state: Mapped[str | None] = mapped_column(String(20), index=True)
    #: driven by the state (Not started, On track, Paused, Finished; or At risk)
    stage: Mapped[str | None] = mapped_column(String(20))
    priority: Mapped[int] = mapped_column(Integer, default=4)
    short_description: Mapped[str] = mapped_column(String(160), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    #: the case this one was created from, if any
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("onboarding_case.id"))

    account: Mapped[Account] = relationship(foreign_keys="OnboardingCase.account_id")
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    contact: Mapped[User | None] = relationship(foreign_keys=[contact_id])
    parent: Mapped[OnboardingCase | None] = relationship(remote_side=[id])
    tasks: Mapped[list[CaseTask]] = relationship(back_populates="case",
                                                 order_by="CaseTask.id")
    #: the products being onboarded (from the catalogue of the account's domain)
    products: Mapped[list[OnboardingProduct]] = relationship(
        secondary=CASE_PRODUCTS, order_by="OnboardingProduct.name")

    @property
    def product_ids(self) -> list[int]:
        """The ids of :attr:`products`."""
        return [product.id for product in self.products]

    @property
    def days_remaining(self) -> int | None:
        """Days until go-live (computed, never stored)."""
        return days_until(self.go_live_date)

    @property
    def active(self) -> bool:
        """Neither closed nor canceled."""
        return self.state not in CLOSED_STATES

    def __str__(self) -> str:
        return f"{self.number} {self.short_description}".strip()


#: which tasks must be closed before a task may be (links within one case)
TASK_PREREQUISITES = Table(
    "onboarding_task_prerequisite", db.metadata,
    Column("task_id", ForeignKey("onboarding_task.id", ondelete="CASCADE"), primary_key=True),
    Column("prerequisite_id", ForeignKey("onboarding_task.id", ondelete="CASCADE"),
           primary_key=True, index=True),
)


class CaseTask(NumberedMixin, AccountScopedMixin, TimestampMixin, AuditedMixin, JournalMixin,
               db.Model):
    """A task of an onboarding case (``ALETSK…``): assigned by responsibility."""

    __tablename__ = "onboarding_task"
    __number_prefix__ = "ALETSK"
    __domain_column__ = "domain_id"
    __account_column__ = "account_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("onboarding_case.id"), index=True)
    subject: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    #: one of :data:`TASK_TYPES`
    task_type: Mapped[str] = mapped_column(String(20), default="data_capture")
    #: Open, Awaiting customer, Awaiting internal, In Progress, Review, Closed, Canceled
    state: Mapped[str | None] = mapped_column(String(20), index=True)
    #: driven by the state (Not started, Paused, On track, Finished; or At risk)
    progress: Mapped[str | None] = mapped_column(String(20))
    priority: Mapped[int] = mapped_column(Integer, default=4)
    due_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    #: the responsibility that gets the work, e.g. ``servicenow_admin``
    responsibility: Mapped[str | None] = mapped_column(String(80))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), index=True)
    #: the customer contact the task is for
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), index=True)
    visible_to_customer: Mapped[bool] = mapped_column(Boolean, default=False)
    close_notes: Mapped[str] = mapped_column(Text, default="")

    case: Mapped[OnboardingCase] = relationship(back_populates="tasks")
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    contact: Mapped[User | None] = relationship(foreign_keys=[contact_id])
    #: the tasks to close before this one (see :mod:`.prerequisites`)
    prerequisites: Mapped[list[CaseTask]] = relationship(
        secondary=TASK_PREREQUISITES, order_by="CaseTask.id",
        primaryjoin=lambda: CaseTask.id == TASK_PREREQUISITES.c.task_id,
        secondaryjoin=lambda: CaseTask.id == TASK_PREREQUISITES.c.prerequisite_id)

    @property
    def prerequisite_ids(self) -> list[int]:
        """The ids of :attr:`prerequisites`."""
        return [task.id for task in self.prerequisites]

    @property
    def days_remaining(self) -> int | None:
        """Days until the due date."""
        return days_until(self.due_date)

    @property
    def overdue(self) -> bool:
        """Past its due date and neither closed nor canceled."""
        remaining = self.days_remaining
        return remaining is not None and remaining < 0 and self.state not in CLOSED_STATES

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"
