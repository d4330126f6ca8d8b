"""Business rules: checks that run before every flush, whoever writes.

Plugins register :class:`~onward.core.registries.Rule` items; case types add the rules of
their state maps. :func:`run_rules` is called from the one ``before_flush`` hook
(``core/db.py``), so the web UI, the API, the CLI, imports and jobs obey the same rules
and get the same message.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import inspect

from onward.core.errors import RuleViolation
from onward.core.registries import CaseType, Rule, StateMap


class Change:
    """What a flush is about to do to one record, for a rule to look at."""

    def __init__(self, record: Any, kind: str):
        self.record = record
        #: ``create``, ``update`` or ``delete``
        self.kind = kind
        self._state = inspect(record)

    def changed(self, *fields: str) -> bool:
        """Whether any of ``fields`` is set (on create) or changes (on update)."""
        if self.kind == "create":
            return any(getattr(self.record, name) is not None for name in fields)
        return any(self._state.attrs[name].history.has_changes() for name in fields)

    def old(self, field: str) -> Any:
        """The field's value before this change (``None`` for a new record)."""
        if self.kind == "create":
            return None
        history = self._state.attrs[field].history
        if history.deleted:
            return history.deleted[0]
        return history.unchanged[0] if history.unchanged else getattr(self.record, field)

    def new(self, field: str) -> Any:
        """The field's value after this change."""
        return getattr(self.record, field)


def rules_for(record: Any, kind: str) -> list[Rule]:
    """The rules of the current app that apply to ``record`` for a ``kind`` change."""
    return rules_for_model(type(record), kind)


def rules_for_model(model: type, kind: str) -> list[Rule]:
    """The rules of the current app that apply to records of ``model`` for a ``kind`` change."""
    rules = current_app.extensions["onward"].registries.rules.values()
    return [rule for rule in rules if issubclass(model, rule.model) and kind in rule.on]


def run_rules(new: list[Any], dirty: list[Any], deleted: list[Any], modified) -> None:
    """Run every applicable rule on the records of a flush; the first refusal stops it.

    Args:
        new: the records about to be inserted.
        dirty: the records that may be updated.
        deleted: the records about to be deleted.
        modified: tells whether a dirty record really has column changes.
    """
    if not has_app_context() or "onward" not in current_app.extensions:
        return
    batches = (("create", new), ("update", [r for r in dirty if modified(r)]),
               ("delete", deleted))
    for kind, records in batches:
        for record in records:
            for rule in rules_for(record, kind):
                rule.check(record, Change(record, kind))


# --- case types -------------------------------------------------------------------------


def _label(field: str) -> str:
    return field.replace("_", " ").capitalize()


def check_state_map(case_type: CaseType, state_map: StateMap, record: Any, change: Change):
    """Set the driven field when the state changes; refuse a value the state does not allow.

    A new state sets the field to that state's default, unless the same change sets the
    field too: then the value must be one the new state allows.
    """
    state = getattr(record, case_type.state_field)
    state_changed = change.changed(case_type.state_field)
    field_changed = change.changed(state_map.field)
    if state is None or not (state_changed or field_changed):
        return
    allowed = state_map.allowed(state)
    if state_changed and not field_changed:
        setattr(record, state_map.field, allowed[0] if allowed else None)
    elif getattr(record, state_map.field) not in allowed:
        _refuse(case_type, state_map, record, state, allowed)


def _refuse(case_type, state_map, record, state, allowed) -> None:
    value = getattr(record, state_map.field)
    choices = ", ".join(allowed) or "none"
    message = (f"{_label(state_map.field)} {value!r} is not allowed when the "
               f"{_label(case_type.state_field).lower()} is {state!r}; allowed: {choices}.")
    raise RuleViolation(message, fields={state_map.field: [message]})


def check_state(case_type: CaseType, record: Any, change: Change) -> None:
    """Refuse a state the case type does not know; a new case starts in its first state."""
    field = case_type.state_field
    state = getattr(record, field)
    if state is None and change.kind == "create":
        setattr(record, field, case_type.initial_state or case_type.states[0])
        return
    if state not in case_type.states:
        message = f"Unknown {_label(field).lower()} {state!r}; use one of: " \
                  f"{', '.join(case_type.states)}."
        raise RuleViolation(message, fields={field: [message]})


def case_type_rules(case_type: CaseType) -> list[Rule]:
    """The rules a case type implies: known states, and each state map."""
    if case_type.model is None:
        return []
    rules = [Rule(f"{case_type.key}.state", case_type.model,
                  lambda record, change, ct=case_type: check_state(ct, record, change),
                  description=f"The state of a {case_type.label} is one of its states.")]
    for state_map in case_type.maps:
        rules.append(Rule(
            f"{case_type.key}.{state_map.field}", case_type.model,
            lambda record, change, ct=case_type, sm=state_map: check_state_map(
                ct, sm, record, change),
            description=f"The state of a {case_type.label} drives its {state_map.field}.",
        ))
    return rules
