"""The page of a running playbook, and the pieces a plugin uses to embed one in its own.

``GET /playbooks/<id>`` shows the stage picker, the chosen stage's activities (a form for
each one in progress) and the activity log; ``POST /playbooks/<id>/activities/<key>/
<save|complete|skip>`` acts on an activity through the engine.

To show a playbook on a plugin's page (a case, say)::

    from onward.core.views.playbook_pages import playbook_context

    return render_template("myplugin/case.html", case=case,
                           **playbook_context(instance, request.args.get("stage"),
                                              page=request.path))

and in the template::

    {% from "core/_playbook.html" import playbook_panel %}
    {{ playbook_panel(playbook) }}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from onward.core.access import can, scoped
from onward.core.db import db
from onward.core.errors import NotFound, RuleViolation, ValidationFailed
from onward.core.models import User
from onward.core.playbooks import engine
from onward.core.playbooks.models import PlaybookActivity, PlaybookInstance, PlaybookLogEntry
from onward.core.views import blueprint
from onward.core.views.forms import (
    ActivityInputForm,
    ListField,
    input_data,
    input_form,
    list_lines,
)
from onward.core.views.pages import show_errors
from onward.core.views.sign_in import _safe_next

#: what each comparison reads like, after the field's name
_OPERATORS = {
    "eq": "is", "ne": "is not", "in": "is one of", "not_in": "is none of",
    "lt": "is less than", "lte": "is at most", "gt": "is more than", "gte": "is at least",
    "empty": "is empty", "not_empty": "is not empty",
}


@blueprint.app_template_filter("condition_text")
def condition_text(condition: Mapping[str, Any] | None) -> str:
    """A playbook condition in words, e.g. ``integration is not not_required``.

    ``all`` joins its parts with *and*, ``any`` with *or*, each in brackets when it is
    itself combined; ``not`` reads *not (…)*.
    """
    if not condition:
        return ""
    for combinator, word in (("all", " and "), ("any", " or ")):
        if combinator in condition:
            return word.join(_part(part) for part in condition[combinator])
    if "not" in condition:
        return f"not ({condition_text(condition['not'])})"
    words = f"{condition['field']} {_OPERATORS[condition['op']]}"
    if condition["op"] in ("empty", "not_empty"):
        return words
    value = condition.get("value")
    shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return f"{words} {shown}"


def _part(condition: Mapping[str, Any]) -> str:
    text = condition_text(condition)
    return f"({text})" if "all" in condition or "any" in condition else text


# --- what the partial shows -------------------------------------------------------------


@dataclass
class StageView:
    """One stage in the picker: ``done``, ``current`` or ``upcoming``."""

    key: str
    label: str
    state: str
    activities: list[PlaybookActivity]
    selected: bool = False


@dataclass
class ActivityCard:
    """One activity of the chosen stage, with what its card shows."""

    activity: PlaybookActivity
    #: the activity's entry in the playbook definition
    spec: dict[str, Any]
    #: the activity definition's label; ``None`` when its plugin is not installed
    definition_label: str | None
    #: the input form, for an activity in progress the actor may change
    form: ActivityInputForm | None
    #: what was entered, as (label, value) pairs
    entered: list[tuple[str, Any]]


@dataclass
class LogLine:
    """One step of the activity log."""

    entry: PlaybookLogEntry
    who: str
    subject: str
    details: list[tuple[str, Any]]


@dataclass
class PlaybookView:
    """Everything ``core/_playbook.html`` needs; made by :func:`playbook_context`."""

    instance: PlaybookInstance
    record: Any
    #: what kind of record it is, e.g. ``Exemplar case``
    record_label: str
    #: the record's number or name, e.g. ``EXC0000001``
    record_name: str
    stages: list[StageView]
    stage: StageView
    cards: list[ActivityCard]
    log: list[LogLine]
    writable: bool
    #: the path of the page showing the playbook: the stage links and, after success,
    #: the activity forms lead to it (with ``?stage=``)
    page: str


def _definitions():
    return current_app.extensions["onward"].registries.activity_definitions


def _stage_views(instance: PlaybookInstance, chosen: str | None) -> list[StageView]:
    stages = []
    for spec in instance.version.stages():
        activities = [a for a in instance.activities if a.stage_key == spec["key"]]
        if all(activity.finished for activity in activities):
            state = "done"
        elif spec["key"] == instance.current_stage:
            state = "current"
        else:
            state = "upcoming"
        stages.append(StageView(spec["key"], spec["label"], state, activities))
    keys = [stage.key for stage in stages]
    selected = chosen if chosen in keys else instance.current_stage or keys[-1]
    for stage in stages:
        stage.selected = stage.key == selected
    return stages


def _entered(schema: Mapping[str, Any], values: Mapping[str, Any]) -> list[tuple[str, Any]]:
    properties = schema.get("properties") or {}
    shown = []
    for name, value in values.items():
        label = properties.get(name, {}).get("title") or name.replace("_", " ").capitalize()
        items = properties.get(name, {}).get("items")
        if isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, list) and items is not None and ListField.supports(items):
            value = list_lines(value, items)
        shown.append((label, value))
    return shown


def _schema_of(activity) -> Mapping[str, Any]:
    """The input schema of ``activity``'s definition (empty when none is registered)."""
    definition = activity and _definitions().get(activity.definition_key)
    return definition.input_schema if definition else {}


def _card(activity, spec, writable: bool, form: ActivityInputForm | None) -> ActivityCard:
    definition = _definitions().get(activity.definition_key)
    schema = _schema_of(activity)
    if form is None and definition and writable and activity.state == "in_progress":
        form = input_form(schema, prefix=activity.key, data=activity.input)
    return ActivityCard(
        activity=activity,
        spec=spec,
        definition_label=definition.label if definition else None,
        form=form if activity.state == "in_progress" else None,
        entered=_entered(schema, activity.input or {}),
    )


def _names(actor_ids: set[int]) -> dict[int, str]:
    """Names of the users the actor may read (always itself)."""
    if not actor_ids:
        return {}
    users = db.session.scalars(scoped(User).where(User.id.in_(actor_ids)))
    return {user.id: user.name or user.email for user in users}


def _log(instance: PlaybookInstance, stage_labels: Mapping[str, str]) -> list[LogLine]:
    entries = engine.log_of(instance)
    names = _names({entry.actor_id for entry in entries if entry.actor_id})
    lines = []
    for entry in reversed(entries):
        data = dict(entry.data or {})
        stage = data.pop("stage", None)
        subject = entry.activity.label if entry.activity else stage_labels.get(stage, "")
        who = "system" if entry.actor_id is None else names.get(entry.actor_id, "someone")
        lines.append(LogLine(entry, who, subject, _entered(_schema_of(entry.activity), data)))
    return lines


def record_label(record: Any) -> str:
    """What a record is called: its case type's label, else its table's name."""
    for case_type in current_app.extensions["onward"].registries.case_types.values():
        if case_type.model is type(record):
            return case_type.label
    return record.__tablename__.replace("_", " ").capitalize()


def record_name(record: Any) -> str:
    """A record's number, else its own text if its class has one, else ``#<id>``."""
    number = getattr(record, "number", None)
    if number:
        return number
    if type(record).__str__ is not object.__str__:
        return str(record)
    return f"#{record.id}"


def playbook_context(
    instance: PlaybookInstance,
    stage: str | None = None,
    *,
    forms: Mapping[str, ActivityInputForm] | None = None,
    page: str | None = None,
) -> dict[str, PlaybookView]:
    """The template variables that show ``instance`` with ``core/_playbook.html``.

    Use it on any page that embeds a playbook (a plugin's case page, say): pass the
    result to ``render_template`` and call ``{{ playbook_panel(playbook) }}``.

    Args:
        instance: a playbook instance the actor may read (``engine.get_instance``).
        stage: the key of the stage to show (``?stage=``); default the current one, or
            the last once the playbook is complete.
        forms: activity key -> a submitted form to show instead of a fresh one (the
            typed values and their errors after a refusal).
        page: the path (no query) of the page showing the playbook, which the stage
            links and the activity forms lead back to; default core's playbook page.

    Returns:
        ``{"playbook": PlaybookView}``.
    """
    record = engine.record_of(instance)
    writable = instance.status == "active" and can("write", record)
    stages = _stage_views(instance, stage)
    chosen = next(view for view in stages if view.selected)
    forms = forms or {}
    specs = {spec["key"]: spec for stage_spec in instance.version.stages()
             for spec in stage_spec["activities"]}
    cards = [_card(activity, specs[activity.key], writable, forms.get(activity.key))
             for activity in chosen.activities]
    view = PlaybookView(
        instance=instance, record=record, record_label=record_label(record),
        record_name=record_name(record), stages=stages, stage=chosen, cards=cards,
        log=_log(instance, {view.key: view.label for view in stages}), writable=writable,
        page=page or url_for("core.playbook_instance", instance_id=instance.id),
    )
    return {"playbook": view}


# --- routes -----------------------------------------------------------------------------


@blueprint.route("/playbooks/<int:instance_id>", endpoint="playbook_instance")
@login_required
def instance_page(instance_id: int):
    """A running playbook: its stages, the chosen stage's activities, and its log."""
    instance = engine.get_instance(instance_id)
    context = playbook_context(instance, request.args.get("stage"))
    return render_template("core/playbook_instance.html", **context)


#: action -> (what the engine does, what the flash says it now is)
ACTIONS = {
    "save": (engine.save, "saved"),
    "complete": (engine.complete, "complete"),
    "skip": (lambda instance, activity, _data: engine.skip(instance, activity), "skipped"),
}


@blueprint.route("/playbooks/<int:instance_id>/activities/<key>/<action>",
                 methods=["POST"], endpoint="playbook_activity")
@login_required
def activity_action(instance_id: int, key: str, action: str):
    """Save, complete or skip an activity; a refusal shows the page again (422)."""
    if action not in ACTIONS:
        raise NotFound(f"No action {action!r}; use save, complete or skip.")
    instance = engine.get_instance(instance_id, right="write")
    activity = engine.get_activity(instance, key)
    form = input_form(_schema_of(activity), prefix=activity.key, data=activity.input,
                      formdata=request.form)
    run, done = ACTIONS[action]
    # skipping takes no input, so what is typed need not be valid
    if action != "skip" and not form.validate_on_submit():
        return _refused(instance, activity, form)
    try:
        run(instance, activity, input_data(form))
    except (ValidationFailed, RuleViolation) as error:
        db.session.rollback()
        show_errors(form, error)
        if error.fields:  # the fields show their own messages; say the whole one above
            form.form_errors.insert(0, error.message)
        if activity.state != "in_progress":  # no form to show it on
            flash(error.message, "error")
        return _refused(instance, activity, form)
    label, stage = activity.label, activity.stage_key
    db.session.commit()
    flash(f"{label} is {done}.", "success")
    back = request.form.get("next")
    page = _safe_next(back) if back else url_for("core.playbook_instance",
                                                  instance_id=instance_id)
    return redirect(f"{page}?{urlencode({'stage': stage})}")


def _refused(instance: PlaybookInstance, activity: PlaybookActivity, form: ActivityInputForm):
    context = playbook_context(instance, activity.stage_key, forms={activity.key: form})
    return render_template("core/playbook_instance.html", **context), 422
