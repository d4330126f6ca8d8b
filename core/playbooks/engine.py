"""The playbook engine: walk a record through the stages and activities of a playbook.

:func:`start` makes an instance with every activity *pending* and advances it. Advancing
works on the first stage that has unfinished activities: an activity starts (*in
progress*) when its dependencies are finished and — *after previous* — the activity
before it is finished, or — *with previous* — the activity before it has started; an
activity whose condition does not hold for the record is *skipped* instead. When every
activity of the stage is finished, the next stage begins; after the last, the instance
is complete.

:func:`save` keeps input (checked against the activity definition's schema, nothing
required yet); :func:`complete` checks the whole input, runs the definition's
``complete`` handler (which may refuse through Onward's errors) and advances;
:func:`skip` finishes an optional activity without input. Every step is written to the
instance's log and emitted as an event (``playbook.activity.completed`` …).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from jsonschema import Draft202012Validator
from sqlalchemy import select

from onward.core.access import get_or_404, require
from onward.core.actor import current_actor
from onward.core.db import db, utcnow
from onward.core.errors import NotFound, RuleViolation, ValidationFailed
from onward.core.events import emit
from onward.core.playbooks import definitions
from onward.core.playbooks.conditions import holds
from onward.core.playbooks.models import (
    PlaybookActivity,
    PlaybookInstance,
    PlaybookLogEntry,
    PlaybookVersion,
)
from onward.core.registries import ActivityDefinition


@dataclass
class ActivityContext:
    """What an activity definition's handler gets."""

    instance: PlaybookInstance
    activity: PlaybookActivity
    #: the record the playbook runs for (a case …)
    record: Any
    definition: ActivityDefinition
    #: the activity's settings from the playbook definition (``inputs``)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def input(self) -> dict[str, Any]:
        """What was entered for the activity."""
        return self.activity.input or {}

    def emit(self, name: str, **data: Any) -> None:
        """Emit an event about the record, with the activity named in its data."""
        emit(name, record=self.record, data={**_event_data(self.instance, self.activity),
                                             **data})


# --- records and instances --------------------------------------------------------------


def model_for(record_type: str) -> type:
    """The model class of a table name."""
    for mapper in db.Model.registry.mappers:
        if mapper.local_table.name == record_type:
            return mapper.class_
    raise NotFound(f"No record type {record_type!r}.")


def record_of(instance: PlaybookInstance) -> Any:
    """The record an instance runs for."""
    return db.session.get(model_for(instance.record_type), instance.record_id)


def get_instance(instance_id: int, *, right: str = "read") -> PlaybookInstance:
    """An instance whose record the actor may ``right``; else ``NotFound``/``AccessDenied``."""
    instance = db.session.get(PlaybookInstance, int(instance_id))
    if instance is None:
        raise NotFound(f"No playbook instance {instance_id}.")
    get_or_404(model_for(instance.record_type), instance.record_id, right="read")
    if right != "read":
        require(right, record_of(instance))
    return instance


def get_activity(instance: PlaybookInstance, key_or_id: str | int) -> PlaybookActivity:
    """One activity of ``instance``, by key or id."""
    for activity in instance.activities:
        if activity.key == str(key_or_id) or str(activity.id) == str(key_or_id):
            return activity
    raise NotFound(f"Playbook {instance.version.key!r} has no activity {key_or_id!r}.")


def instances_for(record: Any) -> list[PlaybookInstance]:
    """The playbook instances of a record, newest first."""
    return list(db.session.scalars(
        select(PlaybookInstance)
        .where(PlaybookInstance.record_type == record.__tablename__,
               PlaybookInstance.record_id == record.id)
        .order_by(PlaybookInstance.id.desc())
    ))


def _spec(instance: PlaybookInstance, activity: PlaybookActivity) -> dict[str, Any]:
    for stage in instance.version.stages():
        for spec in stage["activities"]:
            if spec["key"] == activity.key:
                return spec
    raise NotFound(f"Activity {activity.key!r} is not in playbook {instance.version.key!r}.")


def _definition(activity: PlaybookActivity) -> ActivityDefinition:
    definitions_ = current_app.extensions["onward"].registries.activity_definitions
    try:
        return definitions_[activity.definition_key]
    except KeyError:
        raise NotFound(f"Activity definition {activity.definition_key!r} is not installed; "
                       "install its plugin to continue this playbook.") from None


def _context(instance, activity) -> ActivityContext:
    return ActivityContext(instance=instance, activity=activity, record=record_of(instance),
                           definition=_definition(activity),
                           settings=dict(_spec(instance, activity).get("inputs", {})))


def _event_data(instance: PlaybookInstance, activity: PlaybookActivity | None = None) -> dict:
    data = {"instance_id": instance.id, "playbook": instance.version.key,
            "version": instance.version.version}
    if activity is not None:
        data.update(activity=activity.key, stage=activity.stage_key, activity_id=activity.id)
    return data


def _log(instance, action, activity=None, data=None, message="") -> None:
    """Write a step to the instance's log and emit it as ``playbook.<action>``."""
    actor = current_actor()
    db.session.add(PlaybookLogEntry(instance_id=instance.id,
                                    activity_id=activity.id if activity else None,
                                    action=action, data=data or {}, message=message,
                                    actor_id=getattr(actor, "id", None)))
    emit(f"playbook.{action}", record=record_of(instance),
         data={**_event_data(instance, activity), **({"input": data} if data else {})})


# --- starting and advancing -------------------------------------------------------------


def start(record: Any, key: str, *, version: PlaybookVersion | None = None) -> PlaybookInstance:
    """Start playbook ``key`` (its newest version) for ``record``."""
    require("write", record)
    version = version or definitions.latest_or_404(key)
    case_type_key = version.data.get("case_type")
    if case_type_key:
        case_type = current_app.extensions["onward"].registries.case_types.get(case_type_key)
        model = getattr(case_type, "model", None)
        if model is not None and not isinstance(record, model):
            raise RuleViolation(f"Playbook {key!r} runs for {case_type.label} records, "
                                f"not for {record.__tablename__}.")
    domain_column = getattr(record, "__domain_column__", None)
    instance = PlaybookInstance(
        version=version, version_id=version.id, record_type=record.__tablename__,
        record_id=record.id, domain_id=getattr(record, domain_column) if domain_column else None,
    )
    position = 0
    for stage in version.stages():
        for spec in stage["activities"]:
            instance.activities.append(PlaybookActivity(
                stage_key=stage["key"], key=spec["key"], definition_key=spec["definition"],
                label=spec["label"], position=position, optional=spec.get("optional", False),
                responsibility=spec.get("responsibility"), input={}))
            position += 1
    db.session.add(instance)
    db.session.flush()
    _log(instance, "started", message=f"Playbook {version.label} (version {version.version})")
    advance(instance)
    return instance


def _stages(instance: PlaybookInstance) -> list[tuple[str, list[PlaybookActivity]]]:
    by_stage: dict[str, list[PlaybookActivity]] = {}
    for activity in instance.activities:
        by_stage.setdefault(activity.stage_key, []).append(activity)
    return [(stage["key"], by_stage.get(stage["key"], [])) for stage in instance.version.stages()]


def _ready(instance, activity, stage_activities) -> bool:
    spec = _spec(instance, activity)
    finished = {a.key for a in instance.activities if a.finished}
    if not set(spec.get("depends_on", ())) <= finished:
        return False
    index = stage_activities.index(activity)
    if index == 0:
        return True
    previous = stage_activities[index - 1]
    if spec.get("start", "after_previous") == "with_previous":
        return previous.state != "pending"
    return previous.finished


def advance(instance: PlaybookInstance) -> None:
    """Start or skip whatever can move now; move to the next stage; finish the playbook."""
    record = record_of(instance)
    while instance.status == "active":
        current = next(((key, acts) for key, acts in _stages(instance)
                        if not all(a.finished for a in acts)), None)
        if current is None:
            instance.status, instance.current_stage, instance.completed_at = (
                "complete", None, utcnow())
            _log(instance, "completed", message="Every activity is finished.")
            return
        stage_key, stage_activities = current
        if instance.current_stage != stage_key:
            instance.current_stage = stage_key
            _log(instance, "stage.started", data={"stage": stage_key})
        moved = False
        for activity in stage_activities:
            if activity.state != "pending" or not _ready(instance, activity, stage_activities):
                continue
            moved = True
            if not holds(_spec(instance, activity).get("condition"), record):
                _finish(instance, activity, "skipped", reason="condition",
                        message="Skipped: its condition does not hold.")
                continue
            activity.state, activity.started_at = "in_progress", utcnow()
            handler = _definition(activity).handlers.get("start")
            if handler:
                handler(_context(instance, activity))
            _log(instance, "activity.started", activity)
        db.session.flush()
        if not moved:
            return


def _finish(instance, activity, state, *, reason=None, message="", data=None) -> None:
    activity.state, activity.completed_at = state, utcnow()
    activity.skip_reason = reason
    activity.completed_by_id = getattr(current_actor(), "id", None)
    _log(instance, f"activity.{'completed' if state == 'complete' else 'skipped'}", activity,
         data=data, message=message)
    stage_done = all(a.finished for a in instance.activities if a.stage_key == activity.stage_key)
    if stage_done:
        _log(instance, "stage.completed", data={"stage": activity.stage_key})


# --- acting on activities ---------------------------------------------------------------


def _open(instance: PlaybookInstance, activity: PlaybookActivity, verb: str) -> None:
    require("write", record_of(instance))
    if instance.status != "active":
        raise RuleViolation(f"The playbook is {instance.status}; nothing can be {verb}.")
    if activity.state != "in_progress":
        state = activity.state.replace("_", " ")
        raise RuleViolation(f"{activity.label!r} is {state}; only an activity in progress "
                            f"can be {verb}.")


def input_problems(activity: PlaybookActivity, data: dict, *, partial: bool) -> dict:
    """``{field path: [messages]}`` of ``data`` against the activity's input schema."""
    schema = dict(_definition(activity).input_schema)
    validator_class = definitions.PartialValidator if partial else Draft202012Validator
    found = definitions.schema_problems(validator_class(schema), data)
    fields: dict[str, list[str]] = {}
    for problem in found:
        fields.setdefault(problem.path.removeprefix("$.").removeprefix("$"), []).append(
            problem.message)
    return fields


def _check_input(activity, data, *, partial) -> None:
    if not isinstance(data, dict):
        raise ValidationFailed("The input of an activity is an object.",
                               fields={"input": ["Expected an object."]})
    fields = input_problems(activity, data, partial=partial)
    if fields:
        first = next(iter(fields.items()))
        where = f"{first[0]}: " if first[0] else ""
        raise ValidationFailed(f"{activity.label}: {where}{first[1][0]}", fields=fields)


def save(instance: PlaybookInstance, activity: PlaybookActivity, data: dict) -> PlaybookActivity:
    """Keep input for an activity in progress (checked, but nothing is required yet)."""
    _open(instance, activity, "saved")
    _check_input(activity, data, partial=True)
    activity.input = {**(activity.input or {}), **data}
    handler = _definition(activity).handlers.get("save")
    if handler:
        handler(_context(instance, activity))
    _log(instance, "activity.saved", activity, data=data)
    db.session.flush()
    return activity


def complete(instance: PlaybookInstance, activity: PlaybookActivity,
             data: dict | None = None) -> PlaybookActivity:
    """Mark an activity complete with its whole input, then move the playbook on."""
    _open(instance, activity, "completed")
    merged = {**(activity.input or {}), **(data or {})}
    _check_input(activity, merged, partial=False)
    activity.input = merged
    handler = _definition(activity).handlers.get("complete")
    if handler:
        handler(_context(instance, activity))
    _finish(instance, activity, "complete", data=merged)
    advance(instance)
    db.session.flush()
    return activity


def skip(instance: PlaybookInstance, activity: PlaybookActivity) -> PlaybookActivity:
    """Skip an optional activity in progress, then move the playbook on."""
    _open(instance, activity, "skipped")
    if not activity.optional:
        raise RuleViolation(f"{activity.label!r} is not optional; complete it instead.")
    _finish(instance, activity, "skipped", reason="by hand", message="Skipped by hand.")
    advance(instance)
    db.session.flush()
    return activity


def log_of(instance: PlaybookInstance) -> list[PlaybookLogEntry]:
    """The instance's log, oldest first."""
    return list(db.session.scalars(
        select(PlaybookLogEntry).where(PlaybookLogEntry.instance_id == instance.id)
        .order_by(PlaybookLogEntry.id)
    ))
