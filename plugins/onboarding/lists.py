"""How onboarding cases and tasks are listed (search, sort, filter) in the UI and the API."""

from onward import ListSpec
from onward.plugins.onboarding.models import CaseTask, OnboardingCase

CASES = ListSpec(
    sortable={"id": OnboardingCase.id, "number": OnboardingCase.number,
              "go_live_date": OnboardingCase.go_live_date, "state": OnboardingCase.state,
              "updated_at": OnboardingCase.updated_at, "priority": OnboardingCase.priority},
    searchable=(OnboardingCase.number, OnboardingCase.short_description),
    filterable={"state": OnboardingCase.state, "stage": OnboardingCase.stage,
                "account_id": OnboardingCase.account_id,
                "assigned_to_id": OnboardingCase.assigned_to_id,
                "contact_id": OnboardingCase.contact_id},
    default_sort="-updated_at",
)
TASKS = ListSpec(
    sortable={"id": CaseTask.id, "number": CaseTask.number, "due_date": CaseTask.due_date,
              "state": CaseTask.state, "priority": CaseTask.priority},
    searchable=(CaseTask.number, CaseTask.subject),
    filterable={"state": CaseTask.state, "case_id": CaseTask.case_id,
                "task_type": CaseTask.task_type, "assigned_to_id": CaseTask.assigned_to_id,
                "contact_id": CaseTask.contact_id},
    default_sort="due_date",
)
