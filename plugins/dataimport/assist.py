"""Data validation assist: the validator kinds on offer, and checked rule changes.

A rule is checked before it is stored, so validation never meets a rule it cannot run: its
target exists, a field-level rule names a field of the target and a known kind (one of
:data:`~.models.FIELD_KINDS` or a field validator a plugin registered), a record-level
rule names a registered record validator, and the options of a built-in kind are right
for it (a date format that reads back what it writes, a positive maximum length, a
reference to a table and field that exist).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import current_app

from onward import ValidationFailed, Validator, current_actor, db, require, unstorable_number
from onward.plugins.dataimport.config import target_of
from onward.plugins.dataimport.models import FIELD_KINDS, ValidationRule

#: what the built-in field kinds are called and do (their options in brackets)
FIELD_KIND_TEXTS = {
    "reference": ("Reference", "The value names a record of another table "
                               "(options: table, field)."),
    "choice": ("Choice", "The value is one of the field's choices (option: choices)."),
    "date": ("Date", "The value is a date in a format (option: format, e.g. %d/%m/%Y)."),
    "datetime": ("Date and time", "The value is a date and time in a format (option: format)."),
    "boolean": ("Yes or no", "The value is true/false, yes/no or 1/0."),
    "max_length": ("Maximum length", "The text is at most so many characters "
                                     "(option: max_length)."),
    "number": ("Number", "The value is a whole or decimal number."),
}
#: the options each built-in field kind takes
KIND_OPTIONS = {"reference": {"table", "field"}, "choice": {"choices"}, "date": {"format"},
                "datetime": {"format"}, "boolean": set(), "max_length": {"max_length"},
                "number": set()}
#: a moment every date format must write and read back
SAMPLE = dt.datetime(2031, 5, 30, 13, 45, 10)


def registered_validators() -> dict[str, Validator]:
    """The validators plugins registered, by key."""
    return dict(current_app.extensions["onward"].registries.validators)


def validator_kinds() -> list[dict[str, str]]:
    """The built-in field kinds, then the registered validators (key, label, description, kind).

    A UI offers the ``field`` ones for field-level rules and the ``record`` ones for
    record-level rules.
    """
    kinds = [{"key": key, "label": label, "description": text, "kind": "field"}
             for key, (label, text) in FIELD_KIND_TEXTS.items()]
    kinds += [{"key": item.key, "label": item.label, "description": item.description,
               "kind": item.kind} for item in registered_validators().values()]
    return kinds


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"Invalid {field}. {message}", fields={field: [message]})


def _check_kind(rule: ValidationRule) -> None:
    validators = registered_validators()
    if rule.level == "record":
        found = validators.get(rule.kind)
        if found is None or found.kind != "record":
            known = ", ".join(key for key, item in validators.items() if item.kind == "record")
            raise _invalid("kind", f"No record validator {rule.kind!r}; use one of: "
                                   f"{known or 'none registered'}.")
        if rule.field:
            raise _invalid("field", "A record-level rule checks whole rows: give no field.")
        return
    fields = [key for key, item in validators.items() if item.kind == "field"]
    if rule.kind not in FIELD_KINDS and rule.kind not in fields:
        known = ", ".join((*FIELD_KINDS, *fields))
        raise _invalid("kind", f"No field kind {rule.kind!r}; use one of: {known}.")
    target = target_of(rule.target)
    names = [item.name for item in target.fields]
    if rule.field not in names:
        raise _invalid("field", f"{target.label} has no field {rule.field!r}; use one of: "
                                f"{', '.join(names)}.")


def _check_format(kind: str, options: dict[str, Any]) -> None:
    pattern = options.get("format")
    if not isinstance(pattern, str) or not pattern.strip():
        raise _invalid("options", f"A {kind} rule needs a format, e.g. %d/%m/%Y.")
    try:
        written = SAMPLE.strftime(pattern)
        read = dt.datetime.strptime(written, pattern)
    except ValueError:
        read = None
    if read is None or read.date() != SAMPLE.date() or read.strftime(pattern) != written:
        raise _invalid("options", f"The format {pattern!r} does not read back the {kind} it "
                                  f"writes (30 May 2031 becomes {SAMPLE.strftime(pattern)!r}); "
                                  "it needs a day, a month and a year, e.g. %d/%m/%Y.")


def reference_tables() -> dict[str, list[str]]:
    """Tables a reference rule may look values up in, with their text columns.

    The targets' tables and the tables their fields refer to; nothing else (users,
    tokens …), so a rule can never probe unrelated data.
    """
    tables: dict[str, list[str]] = {}
    for target in current_app.extensions["onward"].registries.import_targets.values():
        models = [target.model, *(item.reference.model for item in target.fields
                                  if item.reference is not None)]
        for model in models:
            tables.setdefault(model.__tablename__, [
                column.key for column in sa.inspect(model).columns
                if isinstance(column.type, sa.String | sa.Text)])
    return tables


def _check_reference(options: dict[str, Any]) -> None:
    table, column = options.get("table"), options.get("field")
    tables = reference_tables()
    if not isinstance(table, str) or table not in tables:
        raise _invalid("options", f"No table {table!r} to look values up in; use one of: "
                                  f"{', '.join(sorted(tables))}.")
    if not isinstance(column, str) or column not in tables[table]:
        raise _invalid("options", f"Table {table!r} has no text field {column!r}; use one "
                                  f"of: {', '.join(tables[table])}.")


def _check_options(rule: ValidationRule) -> None:
    """Options a built-in field kind takes, checked in full; any rule's storable as JSON.

    A plugin's validator checks its own.
    """
    options = rule.options or {}
    if not isinstance(options, dict):
        raise _invalid("options", "Options are an object of option names and values.")
    if rule.level == "field" and rule.kind in KIND_OPTIONS:
        _check_kind_options(rule, options)
    if where := unstorable_number(options):
        raise _invalid("options", f"{where} is a number no database stores: NaN, Infinity or "
                                  "a whole number past 64 bits.")


def _check_kind_options(rule: ValidationRule, options: dict[str, Any]) -> None:
    unknown = sorted(set(options) - KIND_OPTIONS[rule.kind])
    if unknown:
        allowed = ", ".join(sorted(KIND_OPTIONS[rule.kind])) or "none"
        raise _invalid("options", f"A {rule.kind} rule has no option {unknown[0]!r} "
                                  f"(it takes: {allowed}).")
    if rule.kind in ("date", "datetime"):
        _check_format(rule.kind, options)
    elif rule.kind == "max_length":
        size = options.get("max_length")
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 32_767:
            raise _invalid("options", "max_length must be a whole number from 1 to 32767 "
                                      "(the most an Excel cell holds).")
    elif rule.kind == "reference":
        _check_reference(options)
    elif rule.kind == "choice":
        _check_choices(rule, options)


def _check_choices(rule: ValidationRule, options: dict[str, Any]) -> None:
    choices = options.get("choices")
    if choices is None:
        if not target_of(rule.target).field(rule.field).choices:
            raise _invalid("options", f"The field {rule.field!r} has no choices of its own: "
                                      "list them in the option choices.")
        return
    if (not isinstance(choices, list) or not choices
            or not all(isinstance(item, str) and item.strip() for item in choices)):
        raise _invalid("options", "choices must be a list of one or more texts.")


def check_rule(rule: ValidationRule) -> None:
    """Refuse a rule validation could not run (422 naming the field that is wrong)."""
    if rule.level not in ("field", "record"):
        raise _invalid("level", "The level is field or record.")
    target_of(rule.target)
    _check_kind(rule)
    _check_options(rule)


def create_rule(data: dict[str, Any]) -> ValidationRule:
    """Add a validation rule to a target (admins); it applies to the next validation."""
    require("create", ValidationRule)
    rule = ValidationRule(domain_id=current_actor().domain_id, **data)
    check_rule(rule)
    require("create", rule)
    db.session.add(rule)
    db.session.flush()
    return rule


def update_rule(rule: ValidationRule, data: dict[str, Any]) -> ValidationRule:
    """Change the fields sent (admins); the rule is checked again as a whole."""
    require("write", rule)
    for name, value in data.items():
        setattr(rule, name, value)
    check_rule(rule)
    db.session.flush()
    return rule


def delete_rule(rule: ValidationRule) -> None:
    """Remove a validation rule (admins); rows validated already keep their status."""
    require("delete", rule)
    db.session.delete(rule)
    db.session.flush()
