"""The teams of an onboarding case, and tasks assigned by responsibility.

A case has three teams: the **customer team** (its account's contacts, each with exactly
one responsibility), the **account team** (internal staff with one or two
responsibilities) and an optional **squad** (internal helpers). A task names a
responsibility; :func:`assign_tasks` gives it to the account team member who holds
exactly that one responsibility, else to the member who is only the ServiceNow
administrator (``provider_admin``). A member with two responsibilities gets nothing
automatically (seed: "Add account team").

Whoever may write the case manages its teams; customer users and their roles are made
through core's user services on the case's behalf.
"""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, or_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onward import (
    SYSTEM,
    AccountScopedMixin,
    TimestampMixin,
    User,
    ValidationFailed,
    acting_as,
    create_user,
    db,
    require,
    set_roles,
)
from onward.plugins.onboarding.models import CLOSED_STATES, CaseTask, OnboardingCase

#: a customer contact's responsibility (exactly one each)
CUSTOMER_RESPONSIBILITIES = {
    "point_of_contact": "Customer onboarding point of contact",
    "key_team_member": "Key team member",
    "data_sme": "Data subject-matter expert",
    "technical_admin": "Customer technical admin",
}
#: an account team member's responsibilities (one or two each)
ACCOUNT_RESPONSIBILITIES = {
    "provider_admin": "ServiceNow administrator",
    "onboarding_manager": "Onboarding manager",
    "developer": "Developer/admin",
    "data_analyst": "Foundational data analyst",
    "trainer": "Trainer",
}
#: the role a customer responsibility brings with it
RESPONSIBILITY_ROLES = {"point_of_contact": "customer_admin",
                        "key_team_member": "customer_case_manager"}
#: the role every new customer contact gets
CONTACT_ROLE = "customer"
#: who gets the tasks that no single-responsibility member holds
DEFAULT_RESPONSIBILITY = "provider_admin"
SIDES = ("customer", "account", "squad")


class TeamMember(AccountScopedMixin, TimestampMixin, db.Model):
    """A user on one of a case's teams, with its responsibilities there."""

    __tablename__ = "onboarding_team_member"
    __domain_column__ = "domain_id"
    __account_column__ = "account_id"
    __table_args__ = (UniqueConstraint("case_id", "user_id", "side"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("onboarding_case.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    #: ``customer``, ``account`` or ``squad``
    side: Mapped[str] = mapped_column(String(10))
    #: keys of :data:`CUSTOMER_RESPONSIBILITIES` or :data:`ACCOUNT_RESPONSIBILITIES`
    responsibilities: Mapped[list] = mapped_column(JSON, default=list)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def __str__(self) -> str:
        return f"{self.user} ({', '.join(self.responsibilities) or self.side})"


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def members(case: OnboardingCase, side: str) -> list[TeamMember]:
    """The members of one of ``case``'s teams, in the order they joined."""
    require("read", case)
    return list(db.session.scalars(select(TeamMember).where(
        TeamMember.case_id == case.id, TeamMember.side == side).order_by(TeamMember.id)))


def _member(case: OnboardingCase, user: User, side: str) -> TeamMember:
    member = db.session.scalar(select(TeamMember).where(
        TeamMember.case_id == case.id, TeamMember.user_id == user.id, TeamMember.side == side))
    if member is None:
        member = TeamMember(case_id=case.id, account_id=case.account_id, user_id=user.id,
                            user=user, side=side, responsibilities=[])
        db.session.add(member)
    return member


def internal_user(user_id: int, field: str = "user_id") -> User:
    """An active internal user by id (a team member, an assignee); else ``ValidationFailed``."""
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.is_customer:
        raise _invalid(field, f"No active internal user {user_id}.")
    return user


# --- the customer team ------------------------------------------------------------------


def add_customer_contact(case: OnboardingCase, first_name: str, last_name: str,
                         email: str) -> TeamMember:
    """Put a contact of the case's account on its customer team, making the user if new."""
    require("write", case)
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is not None and user.account_id != case.account_id:
        raise _invalid("email", f"{email} is not a contact of {case.account.name}.")
    if user is None:
        with acting_as(SYSTEM):
            user = create_user(email, name=f"{first_name} {last_name}".strip(),
                               roles=[CONTACT_ROLE], account=case.account)
    return _member(case, user, "customer")


def set_customer_responsibility(case: OnboardingCase, user: User,
                                responsibility: str) -> TeamMember:
    """Give a customer team member its one responsibility, and the role it brings."""
    require("write", case)
    if responsibility not in CUSTOMER_RESPONSIBILITIES:
        raise _invalid("responsibility", f"Unknown customer responsibility {responsibility!r}; "
                                         f"choose one of: {', '.join(CUSTOMER_RESPONSIBILITIES)}.")
    member = db.session.scalar(select(TeamMember).where(
        TeamMember.case_id == case.id, TeamMember.user_id == user.id,
        TeamMember.side == "customer"))
    if member is None:
        raise _invalid("email", f"{user.email} is not on the customer team; add it first.")
    member.responsibilities = [responsibility]
    role = RESPONSIBILITY_ROLES.get(responsibility)
    held = [r.name for r in user.roles]
    if role and role not in held:
        with acting_as(SYSTEM):
            set_roles(user, [*held, role])
    db.session.flush()
    return member


# --- the account team and the squad -----------------------------------------------------


def add_account_member(case: OnboardingCase, user: User,
                       responsibilities: list[str]) -> TeamMember:
    """Put an internal user on the account team with one or two responsibilities."""
    require("write", case)
    responsibilities = list(dict.fromkeys(responsibilities))
    if not 1 <= len(responsibilities) <= 2:
        raise _invalid("responsibilities",
                       "An account team member holds one or two responsibilities.")
    unknown = [r for r in responsibilities if r not in ACCOUNT_RESPONSIBILITIES]
    if unknown:
        raise _invalid("responsibilities", f"Unknown account responsibility {unknown[0]!r}; "
                                           f"choose from: {', '.join(ACCOUNT_RESPONSIBILITIES)}.")
    if user.is_customer:
        raise _invalid("user_id", f"{user.email} is a customer user; the account team is "
                                  "internal staff.")
    member = _member(case, user, "account")
    member.responsibilities = responsibilities
    db.session.flush()
    assign_tasks(case)
    return member


def add_squad_member(case: OnboardingCase, user: User) -> TeamMember:
    """Put an internal user on the case's squad."""
    require("write", case)
    if user.is_customer:
        raise _invalid("user_id", f"{user.email} is a customer user; the squad is internal.")
    member = _member(case, user, "squad")
    db.session.flush()
    return member


# --- assignment by responsibility -------------------------------------------------------


def assignee(case: OnboardingCase, responsibility: str | None) -> int | None:
    """The account team member's user id that a task for ``responsibility`` goes to."""
    holders: dict[str, int] = {}
    for member in members(case, "account"):
        if len(member.responsibilities) == 1:
            holders.setdefault(member.responsibilities[0], member.user_id)
    return holders.get(responsibility or DEFAULT_RESPONSIBILITY, holders.get(
        DEFAULT_RESPONSIBILITY))


def assign_tasks(case: OnboardingCase) -> int:
    """(Re-)assign the case's open tasks by responsibility; returns how many changed."""
    require("write", case)
    changed = 0
    tasks = db.session.scalars(select(CaseTask).where(
        CaseTask.case_id == case.id,
        or_(CaseTask.state.is_(None), CaseTask.state.not_in(CLOSED_STATES))))
    for task in tasks:
        user_id = assignee(case, task.responsibility)
        if user_id is not None and task.assigned_to_id != user_id:
            task.assigned_to_id = user_id
            changed += 1
    db.session.flush()
    return changed
