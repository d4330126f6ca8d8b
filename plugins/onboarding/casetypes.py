"""The onboarding case types: State → Stage / Progress maps (seeds 000, 001); guided (002)."""

from onward import CaseType, StateMap
from onward.plugins.onboarding.guided_models import GuidedCase
from onward.plugins.onboarding.models import CaseTask, OnboardingCase

AT_RISK = "At risk"

#: account onboarding case: State → default Stage
CASE_STAGES = {
    "New": "Not started",
    "Unassigned": "Not started",
    "Active": "On track",
    "Blocked": "Paused",
    "Closed": "Finished",
    "Canceled": "Finished",
}

#: account onboarding case task: State → default Progress
TASK_PROGRESS = {
    "Open": "Not started",
    "Awaiting customer": "Paused",
    "Awaiting internal": "Paused",
    "In Progress": "On track",
    "Review": "On track",
    "Closed": "Finished",
    "Canceled": "Finished",
}

ONBOARDING_CASE = CaseType(
    "onboarding_case", "Account onboarding case", "ALEONB", model=OnboardingCase,
    states=tuple(CASE_STAGES),
    maps=(StateMap("stage", CASE_STAGES, alternatives=(AT_RISK,),
                   alternatives_not_in=("Closed", "Canceled")),),
)

ONBOARDING_TASK = CaseType(
    "onboarding_task", "Account onboarding case task", "ALETSK", model=CaseTask,
    states=tuple(TASK_PROGRESS),
    maps=(StateMap("progress", TASK_PROGRESS, alternatives=(AT_RISK,),
                   alternatives_not_in=("Open", "Closed", "Canceled")),),
)

#: guided onboarding case (seed 002): its states, in the order a case passes them
GUIDED_STATES = ("Draft", "New", "Open", "Solution proposed", "Closed")

GUIDED_CASE = CaseType(
    "onboarding_guided_case", "Guided onboarding case", "GONB", model=GuidedCase,
    states=GUIDED_STATES,
)
