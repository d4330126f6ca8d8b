"""Who may do what with onboarding records (seed: "Account onboarding users and roles")."""

from onward import FieldRule, RecordRule, RoleDefinition
from onward.plugins.onboarding.customer_data import CUSTOMER_MODELS, customer_fields
from onward.plugins.onboarding.models import CaseTask, OnboardingCase

#: the customer data: agents manage it, customers read their account's
CUSTOMER_DATA = {model.__tablename__: "r" for model in CUSTOMER_MODELS}

ROLES = [
    RoleDefinition(
        "onboarding_agent", label="Onboarding agent",
        description="Onboarding manager or foundational data analyst: works onboarding "
                    "cases and their tasks through the playbook.",
        rights={"onboarding_case": "rcw", "onboarding_task": "rcw", "core_account": "r",
                "core_user": "r", "core_domain": "r", "core_playbook_version": "r",
                "onboarding_product": "rcwd", **dict.fromkeys(CUSTOMER_DATA, "rcwd")},
    ),
    RoleDefinition(
        "customer", label="Customer", external=True,
        description="A customer contact or data subject-matter expert: sees the cases and "
                    "tasks it is the contact of.",
        rights={"onboarding_case": "r", "onboarding_task": "rw", "core_account": "r",
                "core_user": "r", **CUSTOMER_DATA},
    ),
    RoleDefinition(
        "customer_case_manager", label="Customer case manager", external=True,
        contains=("customer",),
        description="A key team member of the customer: sees every onboarding case of its "
                    "account.",
        rights={"onboarding_case": "r", "onboarding_task": "r"},
    ),
    RoleDefinition(
        "customer_admin", label="Customer onboarding point of contact", external=True,
        contains=("customer_case_manager",),
        description="The customer's point of contact: manages the customer team.",
        rights={"onboarding_case": "rw", "core_user": "rcw"},
    ),
]

#: what customers may read of cases and tasks (seed) plus what the portal shows
CASE_FIELDS = ("number", "short_description", "description", "account_id", "contact_id",
               "go_live_date", "days_remaining", "state", "stage")
TASK_FIELDS = ("number", "subject", "description", "account_id", "case_id", "contact_id",
               "due_date", "days_remaining", "state", "progress", "priority",
               "visible_to_customer")


def access_rules():
    """Customers see their own cases; tasks reach them only when visible to customer."""
    return [
        RecordRule(OnboardingCase, "customer", lambda user: OnboardingCase.contact_id == user.id),
        RecordRule(CaseTask, "customer", lambda user: CaseTask.visible_to_customer.is_(True)
                   & (CaseTask.contact_id == user.id)),
        RecordRule(CaseTask, "customer_case_manager",
                   lambda user: CaseTask.visible_to_customer.is_(True)),
        FieldRule(OnboardingCase, CASE_FIELDS),
        FieldRule(CaseTask, TASK_FIELDS),
        *(FieldRule(model, customer_fields(model)) for model in CUSTOMER_MODELS),
    ]
