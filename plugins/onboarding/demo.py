"""Demo onboarding data: cases in several states and stages, with tasks, some overdue."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from onward import SYSTEM, Account, Domain, Role, User, acting_as, db
from onward.plugins.onboarding import guided
from onward.plugins.onboarding.cases import create_case, create_task
from onward.plugins.onboarding.guided_models import GuidedCase
from onward.plugins.onboarding.knowledge_demo import load_articles
from onward.plugins.onboarding.models import OnboardingCase

#: account name -> (state, days to go-live, tasks as (subject, type, days due, visible))
DEMO_CASES = {
    "Genixify": ("Active", 30, [("Import customer contacts", "data_capture", -2, True),
                                ("Import locations", "data_capture", 5, True),
                                ("Plan training", "training", 20, False)]),
    "Northwind Traders": ("New", 60, [("Confirm the go-live date", "risk_mitigation", 3,
                                       True),
                                      ("Send us your locations", "data_capture", 7, True)]),
    "Contoso Ltd": ("Blocked", 10, [("Catalog development", "development", -5, False)]),
    "Fabrikam Inc": ("Closed", -20, []),
}
#: the demo customer's guided cases: (short description, state, step, solution)
DEMO_GUIDED = (
    ("Open a joint account", "Draft", 1, ""),
    ("Business credit line", "Solution proposed", len(guided.STEPS),
     "A credit line of 50,000, reviewed every year."),
)
#: account -> its demo customer user, the contact of its case and of the tasks it sees
DEMO_CONTACTS = {"Northwind Traders": "contact@northwind.example"}
#: demo user -> the onboarding role it gets
DEMO_ROLES = {"agent@example.com": "onboarding_agent",
              "contact@northwind.example": "customer_case_manager"}


def _account(name: str) -> Account:
    account = db.session.scalar(select(Account).where(Account.name == name))
    if account is None:
        top = db.session.scalar(select(Domain).where(Domain.parent_id.is_(None))
                                .order_by(Domain.id))
        account = Account(name=name, domain_id=top.id)
        db.session.add(account)
        db.session.flush()
    return account


def load_demo_data() -> None:
    """Add the knowledge base, the demo cases and the demo users' onboarding roles, once."""
    today = dt.date.today()
    with acting_as(SYSTEM):
        load_articles()  # first, so that the new demo tasks get theirs attached
        for email, role_name in DEMO_ROLES.items():
            user = db.session.scalar(select(User).where(User.email == email))
            role = db.session.scalar(select(Role).where(Role.name == role_name))
            if user is not None and role is not None and role not in user.roles:
                user.roles.append(role)
        agent = db.session.scalar(select(User).where(User.email == "agent@example.com"))
        for name, (state, go_live, tasks) in DEMO_CASES.items():
            account = _account(name)
            if db.session.scalar(select(OnboardingCase.id).where(
                    OnboardingCase.account_id == account.id)):
                continue
            contact = db.session.scalar(select(User.id).where(
                User.email == DEMO_CONTACTS.get(name, "")))
            case = create_case(account, go_live_date=today + dt.timedelta(days=go_live),
                               assigned_to_id=agent.id if agent else None, contact_id=contact)
            case.state = state
            for subject, task_type, due, visible in tasks:
                create_task(case, subject, task_type=task_type, visible_to_customer=visible,
                            due_date=today + dt.timedelta(days=due),
                            assigned_to_id=agent.id if agent else None,
                            contact_id=contact if visible else None)
        _guided_cases(agent)
        db.session.commit()


def _guided_cases(agent: User | None) -> None:
    """A draft and a case with a proposed solution for the Northwind contact, once."""
    customer = db.session.scalar(select(User).where(User.email == "contact@northwind.example"))
    if customer is None or db.session.scalar(select(GuidedCase.id).where(
            GuidedCase.contact_id == customer.id)):
        return
    for description, state, step, solution in DEMO_GUIDED:
        case = guided.create_case(customer, short_description=description)
        case.state, case.step, case.solution = state, step, solution
        case.assigned_to_id = agent.id if agent and state != "Draft" else None
