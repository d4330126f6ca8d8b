"""Onboarding cases and tasks: the services the UI, the API, the CLI and events call."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from sqlalchemy import select

from onward import Account, ValidationFailed, db, require
from onward.plugins.onboarding.models import (
    INTEGRATIONS,
    ONBOARDING_TYPES,
    TASK_TYPES,
    CaseTask,
    OnboardingCase,
)

PLAYBOOK = "account_onboarding"
#: settings (``ONWARD_ONBOARDING_AUTO_CASE`` …) and their defaults
SETTINGS = {"ONBOARDING_AUTO_CASE": True, "ONBOARDING_DEFAULT_RESPONSIBILITY": "provider_admin"}


def setting(name: str) -> Any:
    """An onboarding setting from the app's configuration, else its default."""
    return current_app.config.get(name, SETTINGS[name])


def _choice(value: str, choices: dict, field: str) -> str:
    if value not in choices:
        message = f"Choose one of: {', '.join(choices)}."
        raise ValidationFailed(f"Invalid {field.replace('_', ' ')} {value!r}. {message}",
                               fields={field: [message]})
    return value


def create_case(account: Account, *, onboarding_type: str = "full",
                go_live_date: dt.date | None = None, short_description: str = "",
                parent: OnboardingCase | None = None, **fields: Any) -> OnboardingCase:
    """Open an onboarding case for ``account`` (a phased one for an existing account)."""
    case = OnboardingCase(
        account_id=account.id, account=account,
        onboarding_type=_choice(onboarding_type, ONBOARDING_TYPES, "onboarding_type"),
        go_live_date=go_live_date,
        short_description=short_description or f"Onboard {account.name}",
        parent_id=parent.id if parent else None, **fields,
    )
    if "integration" in fields:
        _choice(fields["integration"], INTEGRATIONS, "integration")
    require("create", case)
    db.session.add(case)
    db.session.flush()
    return case


def update_case(case: OnboardingCase, data: dict[str, Any]) -> OnboardingCase:
    """Change a case's fields; its state drives its stage (see the case type)."""
    require("write", case)
    if "integration" in data:
        _choice(data["integration"], INTEGRATIONS, "integration")
    if "onboarding_type" in data:
        _choice(data["onboarding_type"], ONBOARDING_TYPES, "onboarding_type")
    for name, value in data.items():
        setattr(case, name, value)
    db.session.flush()
    return case


def create_task(case: OnboardingCase, subject: str, **fields: Any) -> CaseTask:
    """Add a task to a case (by default for the provider's administrator responsibility)."""
    if "task_type" in fields:
        _choice(fields["task_type"], TASK_TYPES, "task_type")
    fields.setdefault("responsibility", setting("ONBOARDING_DEFAULT_RESPONSIBILITY"))
    task = CaseTask(case_id=case.id, case=case, account_id=case.account_id, subject=subject,
                    **fields)
    require("create", task)
    db.session.add(task)
    db.session.flush()
    return task


def update_task(task: CaseTask, data: dict[str, Any]) -> CaseTask:
    """Change a task's fields; its state drives its progress."""
    require("write", task)
    if "task_type" in data:
        _choice(data["task_type"], TASK_TYPES, "task_type")
    for name, value in data.items():
        setattr(task, name, value)
    db.session.flush()
    return task


def open_case_for_new_account(account_id: int) -> OnboardingCase | None:
    """The automatic case of a new account (once; off with ``ONBOARDING_AUTO_CASE``)."""
    if not setting("ONBOARDING_AUTO_CASE"):
        return None
    existing = db.session.scalar(select(OnboardingCase.id).where(
        OnboardingCase.account_id == account_id, OnboardingCase.parent_id.is_(None)))
    account = db.session.get(Account, account_id)
    if existing is not None or account is None:
        return None
    return create_case(account)
