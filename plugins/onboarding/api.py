"""The onboarding plugin's JSON API: ``/api/v1/onboarding/cases`` and ``/tasks``."""

import flask_smorest

from onward import Account, add_resource, reference
from onward.plugins.onboarding import cases, lists, schemas
from onward.plugins.onboarding.models import CaseTask, OnboardingCase

blueprint = flask_smorest.Blueprint("onboarding_api", __name__, url_prefix="/onboarding",
                                    description="Account onboarding cases and their tasks")


def create_case(data: dict) -> OnboardingCase:
    """Open an onboarding case for an account (a phased one for an existing account)."""
    account = reference(Account, data.pop("account_id"), "account_id")
    parent = reference(OnboardingCase, data.pop("parent_id", None), "parent_id")
    return cases.create_case(account, parent=parent, **data)


def create_task(data: dict) -> CaseTask:
    """Add a task to a case."""
    case = reference(OnboardingCase, data.pop("case_id"), "case_id")
    return cases.create_task(case, data.pop("subject"), **data)


add_resource(blueprint, "/cases", OnboardingCase, schemas.OnboardingCaseSchema, lists.CASES,
             create=(schemas.OnboardingCaseCreateSchema, create_case),
             update=(schemas.OnboardingCaseSchema, cases.update_case))
add_resource(blueprint, "/tasks", CaseTask, schemas.OnboardingTaskSchema, lists.TASKS,
             create=(schemas.OnboardingTaskCreateSchema, create_task),
             update=(schemas.OnboardingTaskSchema, cases.update_task))
from onward.plugins.onboarding import (  # noqa: E402, F401  (they add their routes)
    customer_api,
    guided_api,
    journal_api,
    knowledge_api,
)
