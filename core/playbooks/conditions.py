"""Declarative conditions over a record's fields: data, never code.

``{"field": "integration", "op": "ne", "value": "not_required"}``, combined with
``{"all": [...]}``, ``{"any": [...]}`` and ``{"not": {...}}``. The playbook schema checks
their shape; :func:`holds` evaluates them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda actual, value: actual == value,
    "ne": lambda actual, value: actual != value,
    "in": lambda actual, value: actual in (value or ()),
    "not_in": lambda actual, value: actual not in (value or ()),
    "lt": lambda actual, value: actual is not None and actual < value,
    "lte": lambda actual, value: actual is not None and actual <= value,
    "gt": lambda actual, value: actual is not None and actual > value,
    "gte": lambda actual, value: actual is not None and actual >= value,
    "empty": lambda actual, _value: actual in (None, "", [], {}),
    "not_empty": lambda actual, _value: actual not in (None, "", [], {}),
}


def holds(condition: Mapping[str, Any] | None, record: Any) -> bool:
    """Whether ``condition`` holds for ``record`` (no condition always holds)."""
    if not condition:
        return True
    if "all" in condition:
        return all(holds(part, record) for part in condition["all"])
    if "any" in condition:
        return any(holds(part, record) for part in condition["any"])
    if "not" in condition:
        return not holds(condition["not"], record)
    actual = getattr(record, condition["field"], None)
    return OPERATORS[condition["op"]](actual, condition.get("value"))


def fields_named(condition: Mapping[str, Any] | None) -> set[str]:
    """Every field a condition reads (to check them against the record's model)."""
    if not condition:
        return set()
    for combinator in ("all", "any"):
        if combinator in condition:
            return set().union(*(fields_named(part) for part in condition[combinator]))
    if "not" in condition:
        return fields_named(condition["not"])
    return {condition["field"]}
