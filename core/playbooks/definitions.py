"""Playbook definitions: parse (JSON or YAML), validate, and store them as versions.

A definition is checked twice: against ``playbook.schema.json`` (its shape), then against
what is installed (activity definitions and case types exist, keys are unique, an
activity depends only on activities before it, conditions name the case's fields). Every
problem comes with the JSON path where it is. Loading a definition that differs from the
newest version of its key stores a new version; running instances keep theirs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml
from flask import current_app
from jsonschema import Draft202012Validator, validators
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import aliased

from onward.core.access import require, scoped
from onward.core.actor import current_actor
from onward.core.db import db
from onward.core.errors import NotFound, ValidationFailed
from onward.core.playbooks.conditions import fields_named
from onward.core.playbooks.models import PlaybookVersion


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition (or an input): where, and what."""

    path: str
    message: str


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema every playbook definition must satisfy."""
    text = resources.files("onward.core.playbooks").joinpath("playbook.schema.json").read_text()
    return json.loads(text)


def _path(error) -> str:
    path = error.json_path
    if error.validator == "required":
        missing = next(name for name in error.validator_value if name not in error.instance)
        path = f"{path}.{missing}"
    return path


def schema_problems(validator: Draft202012Validator, data: Any) -> list[Problem]:
    """Every JSON Schema error of ``data``, as problems at JSON paths, in path order."""
    found = [Problem(_path(error), error.message) for error in validator.iter_errors(data)]
    return sorted(found, key=lambda problem: problem.path)


def _without_required(validator, required, instance, schema):
    return iter(())


#: validates a partial input (while saving): types and formats, but nothing is required
PartialValidator = validators.extend(Draft202012Validator, {"required": _without_required})


def parse(text: str, filename: str = "") -> dict[str, Any]:
    """A definition from JSON or YAML text (YAML also reads JSON).

    Raises:
        ValidationFailed: the text is neither; the message says where it broke.
    """
    try:
        data = json.loads(text) if filename.endswith(".json") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        message = f"{filename or 'The definition'} is not valid JSON or YAML: {exc}"
        raise ValidationFailed(message, fields={"$": [str(exc)]}) from None
    if not isinstance(data, dict):
        raise ValidationFailed("A playbook definition is a mapping (an object) at the top.",
                               fields={"$": ["Expected an object."]})
    return data


def problems(data: Mapping[str, Any]) -> list[Problem]:
    """What is wrong with a definition: its shape, then what it refers to."""
    found = schema_problems(Draft202012Validator(schema()), data)
    if found:
        return found
    return list(_reference_problems(data))


def _reference_problems(data: Mapping[str, Any]) -> Iterable[Problem]:
    registries = current_app.extensions["onward"].registries
    case_type = None
    if "case_type" in data:
        case_type = registries.case_types.get(data["case_type"])
        if case_type is None:
            yield Problem("$.case_type", f"No case type {data['case_type']!r} is installed.")
    seen_stages: set[str] = set()
    seen: set[str] = set()
    for s, stage in enumerate(data["stages"]):
        where = f"$.stages[{s}]"
        if stage["key"] in seen_stages:
            yield Problem(f"{where}.key", f"Stage key {stage['key']!r} is used twice.")
        seen_stages.add(stage["key"])
        for a, activity in enumerate(stage["activities"]):
            at = f"{where}.activities[{a}]"
            key = activity["key"]
            if key in seen:
                yield Problem(f"{at}.key", f"Activity key {key!r} is used twice.")
            if activity["definition"] not in registries.activity_definitions:
                yield Problem(f"{at}.definition",
                              f"No activity definition {activity['definition']!r} is installed.")
            for d, dependency in enumerate(activity.get("depends_on", ())):
                if dependency not in seen:
                    yield Problem(f"{at}.depends_on[{d}]",
                                  f"{key!r} may depend only on an activity before it; "
                                  f"{dependency!r} is not.")
            model = getattr(case_type, "model", None)
            for name in sorted(fields_named(activity.get("condition"))):
                if model is not None and not hasattr(model, name):
                    yield Problem(f"{at}.condition",
                                  f"The condition reads {name!r}, which a "
                                  f"{case_type.label} does not have.")
            seen.add(key)


def validate(data: Mapping[str, Any]) -> None:
    """Raise ``ValidationFailed`` listing every problem by JSON path, if there is one."""
    found = problems(data)
    if found:
        fields: dict[str, list[str]] = {}
        for problem in found:
            fields.setdefault(problem.path, []).append(problem.message)
        count = f"{len(found)} problem{'s' if len(found) > 1 else ''}"
        raise ValidationFailed(f"The playbook definition has {count}: "
                               f"{found[0].path}: {found[0].message}", fields=fields)


def checksum(data: Mapping[str, Any]) -> str:
    """A fingerprint of the definition's content."""
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def latest(key: str) -> PlaybookVersion | None:
    """The newest stored version of playbook ``key``."""
    return db.session.scalar(select(PlaybookVersion).where(PlaybookVersion.key == key)
                             .order_by(PlaybookVersion.version.desc()).limit(1))


def latest_or_404(key: str) -> PlaybookVersion:
    """The newest version of ``key``, or ``NotFound``."""
    version = latest(key)
    if version is None:
        raise NotFound(f"No playbook {key!r}.")
    return version


def is_newest() -> ColumnElement[bool]:
    """A condition on :class:`PlaybookVersion`: the row is the newest version of its key."""
    other = aliased(PlaybookVersion)
    newest = select(func.max(other.version)).where(other.key == PlaybookVersion.key)
    return PlaybookVersion.version == newest.scalar_subquery()


def version_count(key: str) -> int:
    """How many versions of playbook ``key`` are stored."""
    return db.session.scalar(select(func.count()).where(PlaybookVersion.key == key)) or 0


def get_version(key: str, number: int | None = None) -> PlaybookVersion:
    """Version ``number`` (default: the newest) of playbook ``key``, if the actor may read it.

    Raises:
        NotFound: no such playbook or version.
        AccessDenied: the actor may not read playbooks.
    """
    stmt = scoped(PlaybookVersion).where(PlaybookVersion.key == key)
    stmt = stmt.where(is_newest() if number is None else PlaybookVersion.version == number)
    found = db.session.scalars(stmt).first()
    if found is None:
        which = "" if number is None else f" version {number}"
        raise NotFound(f"No playbook {key!r}{which}.")
    return found


def store(data: Mapping[str, Any], *, source: str = "admin") -> tuple[PlaybookVersion, bool]:
    """Validate and store ``data`` as the next version of its key, unless unchanged.

    Returns:
        The version now newest, and whether it was added.
    """
    require("create", PlaybookVersion)
    validate(data)
    newest = latest(data["key"])
    fingerprint = checksum(data)
    if newest is not None and newest.checksum == fingerprint:
        return newest, False
    number = (db.session.scalar(select(func.max(PlaybookVersion.version))
                                .where(PlaybookVersion.key == data["key"])) or 0) + 1
    version = PlaybookVersion(key=data["key"], version=number, label=data["label"],
                              data=dict(data), checksum=fingerprint, source=source,
                              created_by_id=getattr(current_actor(), "id", None))
    db.session.add(version)
    db.session.flush()
    return version, True


def store_registered() -> list[PlaybookVersion]:
    """Store the plugins' playbooks (``register_playbooks``) whose content changed."""
    playbooks = current_app.extensions["onward"].registries.playbooks
    added = []
    for key, playbook in playbooks.items():
        version, created = store(playbook.data, source=f"plugin:{playbooks.owners[key]}")
        if created:
            added.append(version)
    return added
