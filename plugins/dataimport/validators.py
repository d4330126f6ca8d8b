"""The record validators the data import ships (chosen per target in the validation rules)."""

from __future__ import annotations

from typing import Any

from onward import Validator
from onward.plugins.dataimport.mapping import ACCOUNT_FIELD


def account_matches_case(values: dict[str, Any], data_import) -> str | None:
    """The seed's example: a row naming an account names the case's account."""
    named = values.get(ACCOUNT_FIELD)
    account = data_import.account.name
    if named not in (None, "") and str(named).strip().casefold() != account.casefold():
        return f"Account: {named!r} is not the case's account ({account})."
    return None


VALIDATORS = [
    Validator("dataimport_account_matches_case", "Account matches the case",
              func=account_matches_case, kind="record",
              description="A row's Account (or Company) column names the case's account."),
]
