"""Who may do what with onboarding records (seed: "Account onboarding users and roles")."""

from onward import FieldRule, RecordRule, RoleDefinition
from onward.plugins.onboarding.customer_data import (
    CUSTOMER_MODELS,
    OnboardingProduct,
    customer_fields,
)
from onward.plugins.onboarding.guided_models import GuidedCase
from onward.plugins.onboarding.knowledge import OnboardingArticle, customer_reads, not_shut_out
from onward.plugins.onboarding.models import CaseTask, OnboardingCase

#: the customer data: agents manage it, customers read their account's
CUSTOMER_DATA = {model.__tablename__: "r" for model in CUSTOMER_MODELS}
#: guided onboarding cases: agents work them; customers answer through the case's actions
GUIDED_TABLES = ("onboarding_guided_case", "onboarding_guided_member",
                 "onboarding_guided_document")

ROLES = [
    RoleDefinition(
        "onboarding_agent", label="Onboarding agent",
        description="Onboarding manager or foundational data analyst: works onboarding "
                    "cases and their tasks through the playbook.",
        rights={"onboarding_case": "rcw", "onboarding_task": "rcw", "core_account": "r",
                "core_user": "r", "core_domain": "r", "core_playbook_version": "r",
                "onboarding_product": "rcwd", **dict.fromkeys(CUSTOMER_DATA, "rcwd"),
                **dict.fromkeys(GUIDED_TABLES, "rcw"), "onboarding_article": "rcwd",
                "onboarding_task_article": "rcwd"},
    ),
    RoleDefinition(
        "customer", label="Customer", external=True,
        description="A customer contact or data subject-matter expert: sees the cases and "
                    "tasks it is the contact of.",
        rights={"onboarding_case": "r", "onboarding_task": "rw", "core_account": "r",
                "core_user": "r", "onboarding_product": "r", "onboarding_guided_case": "r",
                "onboarding_article": "r",
                **CUSTOMER_DATA},
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
#: what customers read of the catalogue's customer-visible products
PRODUCT_FIELDS = ("name", "model_number", "description", "customer_visible")
#: what customers read of the knowledge articles shared with them
ARTICLE_FIELDS = ("number", "title", "body")
#: what the portal shows a customer of its guided cases
GUIDED_FIELDS = ("number", "short_description", "account_id", "contact_id", "state", "step",
                 "customer_name", "solution", "rejection_reason", "created_at", "updated_at")


def access_rules():
    """Customers see their own cases; tasks and products only when visible to customers."""
    return [
        RecordRule(OnboardingCase, "customer", lambda user: OnboardingCase.contact_id == user.id),
        RecordRule(CaseTask, "customer", lambda user: CaseTask.visible_to_customer.is_(True)
                   & (CaseTask.contact_id == user.id)),
        RecordRule(CaseTask, "customer_case_manager",
                   lambda user: CaseTask.visible_to_customer.is_(True)),
        # products have no account: customers read the customer-visible ones of their domain
        RecordRule(OnboardingProduct, "customer",
                   lambda user: OnboardingProduct.customer_visible.is_(True)),
        FieldRule(OnboardingCase, CASE_FIELDS),
        FieldRule(CaseTask, TASK_FIELDS),
        FieldRule(OnboardingProduct, PRODUCT_FIELDS),
        RecordRule(GuidedCase, "customer", lambda user: GuidedCase.contact_id == user.id),
        FieldRule(GuidedCase, GUIDED_FIELDS),
        # knowledge: nobody reads past its cannot-read roles; customers only what is shared
        RecordRule(OnboardingArticle, "onboarding_agent", not_shut_out),
        RecordRule(OnboardingArticle, "customer", customer_reads),
        FieldRule(OnboardingArticle, ARTICLE_FIELDS),
        *(FieldRule(model, customer_fields(model)) for model in CUSTOMER_MODELS),
    ]
