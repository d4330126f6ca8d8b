"""Onboarding cases and tasks: the services the UI, the API, the CLI and events call."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from sqlalchemy import select

from onward import Account, ValidationFailed, db, playbooks, reference, require
from onward.plugins.onboarding import prerequisites
from onward.plugins.onboarding.customer_data import OnboardingProduct
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


#: the fields that take one of a fixed set of values
CHOICES = {"integration": INTEGRATIONS, "onboarding_type": ONBOARDING_TYPES,
           "task_type": TASK_TYPES}


def _check_choices(data: dict[str, Any]) -> None:
    """Refuse a value outside its field's choices, naming the field and the choices."""
    for field, choices in CHOICES.items():
        if field in data and data[field] not in choices:
            message = f"Choose one of: {', '.join(choices)}."
            raise ValidationFailed(
                f"Invalid {field.replace('_', ' ')} {data[field]!r}. {message}",
                fields={field: [message]})


def _update(record: Any, data: dict[str, Any]) -> Any:
    require("write", record)
    _check_choices(data)
    for name, value in data.items():
        setattr(record, name, value)
    db.session.flush()
    return record


def _products(product_ids: list[int]) -> list[OnboardingProduct]:
    """The catalogue products ``product_ids`` names; each must be one the actor may read."""
    return [reference(OnboardingProduct, product_id, "product_ids")
            for product_id in dict.fromkeys(product_ids)]


def create_case(account: Account, *, onboarding_type: str = "full",
                go_live_date: dt.date | None = None, short_description: str = "",
                parent: OnboardingCase | None = None, **fields: Any) -> OnboardingCase:
    """Open an onboarding case for ``account`` (a phased one for an existing account).

    ``product_ids`` names the catalogue products to onboard. The account onboarding
    playbook starts for the case, once the playbook is stored.
    """
    _check_choices({"onboarding_type": onboarding_type, **fields})
    products = _products(fields.pop("product_ids", None) or [])
    case = OnboardingCase(
        account_id=account.id, account=account, onboarding_type=onboarding_type,
        go_live_date=go_live_date,
        short_description=short_description or f"Onboard {account.name}",
        parent_id=parent.id if parent else None, products=products, **fields,
    )
    require("create", case)
    db.session.add(case)
    db.session.flush()
    if playbooks.definitions.latest(PLAYBOOK) is not None:
        playbooks.start(case, PLAYBOOK)
    return case


def update_case(case: OnboardingCase, data: dict[str, Any]) -> OnboardingCase:
    """Change a case's fields (``product_ids`` too); its state drives its stage."""
    data = dict(data)
    if "product_ids" in data:
        data["products"] = _products(data.pop("product_ids") or [])
    return _update(case, data)


def create_task(case: OnboardingCase, subject: str, **fields: Any) -> CaseTask:
    """Add a task to a case (by default for the provider's administrator responsibility).

    ``prerequisite_ids`` names the case's tasks to close before this one.
    """
    prerequisite_ids = fields.pop("prerequisite_ids", None)
    _check_choices(fields)
    fields.setdefault("responsibility", setting("ONBOARDING_DEFAULT_RESPONSIBILITY"))
    task = CaseTask(case_id=case.id, case=case, account_id=case.account_id, subject=subject,
                    **fields)
    require("create", task)
    db.session.add(task)
    db.session.flush()
    if prerequisite_ids:
        prerequisites.set_prerequisites(task, prerequisite_ids)
    return task


def update_task(task: CaseTask, data: dict[str, Any]) -> CaseTask:
    """Change a task's fields (``prerequisite_ids`` too); its state drives its progress."""
    data = dict(data)
    if "prerequisite_ids" in data:
        prerequisites.set_prerequisites(task, data.pop("prerequisite_ids"))
    return _update(task, data)


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
