"""Services and business rules of the customer data an onboarding captures.

The services check rights (``require``) and write; the rules run before every flush, so
the API, the CLI and imports get the same messages.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from onward import (
    Account,
    Conflict,
    Domain,
    Rule,
    RuleViolation,
    ValidationFailed,
    current_actor,
    db,
    require,
)
from onward.plugins.onboarding.customer_data import (
    REFERENCES,
    CustomerRecord,
    OnboardingContract,
    OnboardingEntitlement,
    OnboardingInstallBaseItem,
    OnboardingInstallBaseSoldProduct,
    OnboardingProduct,
    OnboardingSoldProduct,
)


def _label(model: type) -> str:
    return model.__tablename__.removeprefix("onboarding_").replace("_", " ")


def _a(label: str) -> str:
    return f"{'an' if label[0] in 'aeiou' else 'a'} {label}"


def _refuse(field: str, message: str) -> None:
    raise RuleViolation(message, fields={field: [message]})


# --- services ---------------------------------------------------------------------------


def create_product(data: dict[str, Any]) -> OnboardingProduct:
    """Add a product to the catalogue of the actor's domain (or of ``domain_id``)."""
    domain_id = data.pop("domain_id", None) or getattr(current_actor(), "domain_id", None)
    if domain_id is None:
        message = "Name the domain whose catalogue the product belongs to."
        raise ValidationFailed(message, fields={"domain_id": [message]})
    product = OnboardingProduct(domain_id=domain_id, **data)
    require("create", product)
    db.session.add(product)
    db.session.flush()
    return product


def create_record(model: type[CustomerRecord], account_id: int,
                  data: dict[str, Any]) -> CustomerRecord:
    """Add a ``model`` record to the account ``account_id``."""
    account = db.session.get(Account, account_id)
    record = model(account_id=account_id, domain_id=account.domain_id if account else None,
                   **data)
    require("create", record)
    db.session.add(record)
    db.session.flush()
    return record


def link_sold_product(item: OnboardingInstallBaseItem,
                      sold_product: OnboardingSoldProduct) -> OnboardingInstallBaseSoldProduct:
    """Record that install base ``item`` came from ``sold_product`` (same account)."""
    return create_record(OnboardingInstallBaseSoldProduct, item.account_id,
                         {"install_base_item_id": item.id, "sold_product_id": sold_product.id})


def update_record(record: Any, data: dict[str, Any]) -> Any:
    """Change a record's fields."""
    require("write", record)
    for name, value in data.items():
        setattr(record, name, value)
    db.session.flush()
    return record


def delete_record(record: Any) -> None:
    """Delete a record no other record uses."""
    require("delete", record)
    db.session.delete(record)
    db.session.flush()


# --- rules ------------------------------------------------------------------------------


def check_choices(record: CustomerRecord, change) -> None:
    """A choice field holds one of its choices."""
    for field, choices in record.__choices__.items():
        if change.changed(field) and getattr(record, field) not in choices:
            _refuse(field, f"Unknown {field.replace('_', ' ')} {getattr(record, field)!r}; "
                           f"use one of: {', '.join(choices)}.")


def _dates_in_order(start_field: str, end_field: str, thing: str):
    def check(record: Any, change) -> None:
        start, end = getattr(record, start_field), getattr(record, end_field)
        if change.changed(start_field, end_field) and start and end and end < start:
            _refuse(end_field, f"{thing} cannot end ({end}) before it starts ({start}).")

    return check


def _domain_and_above(domain_id: int) -> set[int]:
    found: set[int] = set()
    while domain_id is not None and domain_id not in found:
        found.add(domain_id)
        domain_id = db.session.scalar(select(Domain.parent_id).where(Domain.id == domain_id))
    return found


def check_references(record: CustomerRecord, change) -> None:
    """Records point only to their own account's records and its domain's catalogue."""
    for field, target_model in REFERENCES.get(type(record), {}).items():
        target_id = getattr(record, field)
        if target_id is not None and change.changed(field, "account_id"):
            _check_reference(record, field, target_model)


def _check_reference(record: CustomerRecord, field: str, target_model: type) -> None:
    target = db.session.get(target_model, getattr(record, field))
    label = _label(target_model)
    name = f"{label.capitalize()} {getattr(record, field)}"
    if target is None:
        _refuse(field, f"{name} does not exist.")
    if isinstance(target, CustomerRecord) and target.account_id != record.account_id:
        _refuse(field, f"{name} belongs to another account; choose one of this account's "
                       f"{label}s.")
    if isinstance(target, OnboardingProduct):
        account = db.session.get(Account, record.account_id)
        if target.domain_id not in _domain_and_above(account.domain_id):
            _refuse(field, f"{name} is not in the catalogue of this account's domain.")


def check_unique(record: CustomerRecord, change) -> None:
    """No two records share the values of the model's ``__unique__`` fields."""
    fields = record.__unique__
    if not fields or not change.changed(*fields):
        return
    model = type(record)
    stmt = select(model.id).where(*(getattr(model, f) == getattr(record, f) for f in fields))
    if record.id is not None:
        stmt = stmt.where(model.id != record.id)
    if _same_in_this_flush(record, fields) or db.session.scalar(stmt) is not None:
        names = " and ".join(f.removesuffix("_id").replace("_", " ") for f in fields
                             if f != "account_id")
        message = f"This account already has {_a(_label(model))} with this {names}."
        raise Conflict(message, fields={fields[-1]: [message]})


def _same_in_this_flush(record: CustomerRecord, fields: tuple[str, ...]) -> bool:
    """Another record of the same flush (not yet in the database) has the same values."""
    return any(type(other) is type(record) and other is not record
               and all(getattr(other, f) == getattr(record, f) for f in fields)
               for other in (*db.session.new, *db.session.dirty))


def _users_of(target_model: type) -> list[tuple[type, str]]:
    return [(model, field) for model, references in REFERENCES.items()
            for field, target in references.items() if target is target_model]


def check_not_in_use(record: Any, _change) -> None:
    """A record other records point to stays until they are gone."""
    uses = []
    for model, field in _users_of(type(record)):
        count = db.session.scalar(select(func.count()).select_from(model)
                                  .where(getattr(model, field) == record.id))
        if count:
            uses.append(f"{count} {_label(model)} record(s)")
    if uses:
        raise RuleViolation(f"This {_label(type(record))} is still used by "
                            f"{' and '.join(uses)}; remove them first.")


def rules() -> list[Rule]:
    """The business rules of the customer data."""
    referenced = {target for references in REFERENCES.values() for target in references.values()}
    return [
        Rule("onboarding_customer_data.choices", CustomerRecord, check_choices,
             description="Choice fields hold one of their choices."),
        Rule("onboarding_customer_data.references", CustomerRecord, check_references,
             description="References stay within the account and its domain's catalogue."),
        Rule("onboarding_customer_data.unique", CustomerRecord, check_unique,
             description="An install base item links a sold product once; an account uses "
                         "a location once per address type."),
        Rule("onboarding_contract.dates", OnboardingContract,
             _dates_in_order("starts", "ends", "A contract"),
             description="A contract ends on or after the day it starts."),
        Rule("onboarding_entitlement.dates", OnboardingEntitlement,
             _dates_in_order("start_date", "end_date", "An entitlement"),
             description="An entitlement ends on or after the day it starts."),
        *(Rule(f"{model.__tablename__}.in_use", model, check_not_in_use, on=("delete",),
               description=f"A {_label(model)} in use is not deleted.")
          for model in sorted(referenced, key=lambda m: m.__tablename__)),
    ]
