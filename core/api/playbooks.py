"""The API of case types, playbook definitions and running playbooks.

Case types are read by staff. Playbook definitions need rights on
``core_playbook_version``. A running playbook is reached through its record: whoever
may read the record reads its playbooks, whoever may write it works them (the engine
checks, and refuses steps with Onward's errors).
"""

from __future__ import annotations

from operator import itemgetter

from flask import current_app, request
from sqlalchemy import select

from onward.core.access import deny, get_or_404, require, scoped
from onward.core.actor import current_actor
from onward.core.api import schemas
from onward.core.api.conventions import (
    body_field,
    dump,
    errors,
    list_args_schema,
    page_response,
    page_schema,
    reference,
    success,
)
from onward.core.api.resources import blueprint
from onward.core.db import db
from onward.core.errors import NotFound
from onward.core.listing import ListSpec, Page, parse_list_args
from onward.core.lists import PLAYBOOK_INSTANCES, PLAYBOOKS
from onward.core.playbooks import definitions, engine
from onward.core.playbooks.models import PlaybookInstance, PlaybookVersion
from onward.core.registries import CaseType

# --- case types -------------------------------------------------------------------------

#: case types come from the registry, so their list is sorted and searched in memory
CASE_TYPES = ListSpec(sortable={"key": "key", "label": "label", "prefix": "prefix"},
                      searchable=("key", "label"), default_sort="key")


def case_type_data(case_type: CaseType) -> dict:
    """A case type as plain data: its record table, states and state maps."""
    states = list(case_type.states)
    return {
        "key": case_type.key,
        "label": case_type.label,
        "prefix": case_type.prefix,
        "record_type": getattr(case_type.model, "__tablename__", None),
        "states": states,
        "initial_state": case_type.initial_state or (states[0] if states else None),
        "state_field": case_type.state_field,
        "maps": [
            {"field": state_map.field, "defaults": dict(state_map.defaults),
             "alternatives": list(state_map.alternatives),
             "alternatives_not_in": list(state_map.alternatives_not_in),
             "allowed": {state: list(state_map.allowed(state)) for state in states}}
            for state_map in case_type.maps
        ],
    }


def _require_staff() -> None:
    user = current_actor()
    if user.is_customer:
        deny("read case types", user, message="Case types are for staff.")


def _item_page(items: list[dict], spec: ListSpec) -> dict:
    """One page of ``items`` (dicts) by the request's list arguments, sorted in memory."""
    query = parse_list_args(request.args, spec)
    needle = query.q.lower()
    if needle:
        items = [item for item in items
                 if any(needle in str(item[name]).lower() for name in spec.searchable)]
    for part in reversed(query.sort):
        items = sorted(items, key=itemgetter(part.lstrip("-")), reverse=part.startswith("-"))
    start = (query.page - 1) * query.page_size
    page = Page(items[start:start + query.page_size], len(items), query.page, query.page_size)
    return {"items": page.items, "meta": page.meta()}


_case_type = schemas.CaseTypeSchema()


@blueprint.route("/case-types", methods=["GET"], endpoint="case_types_list")
@blueprint.doc(parameters=[{"in": "query", "schema": list_args_schema(CASE_TYPES)}])
@success(blueprint, 200, page_schema(schemas.CaseTypeSchema))
@errors(blueprint, 401, 403, 422)
def list_case_types():
    """List case types.

    Every installed case type with its states and the fields its state drives; for staff.
    """
    _require_staff()
    case_types = current_app.extensions["onward"].registries.case_types.values()
    return _item_page([_case_type.dump(case_type_data(ct)) for ct in case_types], CASE_TYPES)


@blueprint.route("/case-types/<key>", methods=["GET"], endpoint="case_types_get")
@success(blueprint, 200, schemas.CaseTypeSchema)
@errors(blueprint, 401, 403, 404)
def get_case_type(key: str):
    """Get case type.

    Its record table, states, initial state, state field, and per state map the values
    the driven field may hold in each state.
    """
    _require_staff()
    case_type = current_app.extensions["onward"].registries.case_types.get(key)
    if case_type is None:
        raise NotFound(f"No case type {key!r}.")
    return _case_type.dump(case_type_data(case_type))


# --- playbook definitions ---------------------------------------------------------------

_playbook = schemas.PlaybookSchema()
_playbook_detail = schemas.PlaybookDetailSchema()


@blueprint.route("/playbooks", methods=["GET"], endpoint="playbooks_list")
@blueprint.doc(parameters=[{"in": "query", "schema": list_args_schema(PLAYBOOKS)}])
@success(blueprint, 200, page_schema(schemas.PlaybookSchema))
@errors(blueprint, 401, 403, 422)
def list_playbooks():
    """List playbooks.

    Each playbook key once, by its newest version, with how many versions it has.
    """
    stmt = scoped(PlaybookVersion).where(definitions.is_newest())
    return page_response(stmt, PLAYBOOKS, _playbook, PlaybookVersion)


@blueprint.route("/playbooks/<key>", methods=["GET"], endpoint="playbooks_get")
@blueprint.arguments(schemas.PlaybookVersionArgsSchema, location="query", as_kwargs=True)
@success(blueprint, 200, schemas.PlaybookDetailSchema)
@errors(blueprint, 401, 403, 404, 422)
def get_playbook(key: str, version: int | None = None):
    """Get playbook.

    The newest version of a playbook (or ``?version=N``), with its definition.
    """
    return dump(_playbook_detail, definitions.get_version(key, version))


@blueprint.route("/playbooks", methods=["POST"], endpoint="playbooks_create")
@blueprint.arguments(schemas.PlaybookDefinitionSchema)
@success(blueprint, 201, schemas.PlaybookStoredSchema)
@success(blueprint, 200, schemas.PlaybookStoredSchema)
@errors(blueprint, 401, 403, 422)
def store_playbook(data: dict):
    """Store playbook definition.

    The body is the definition. A definition that differs from the newest version of
    its key is stored as the next version (201); the same again stores nothing (200,
    ``created: false``). Running instances keep their version. An invalid definition is
    refused (422) with ``fields`` keyed by JSON path, e.g. ``$.stages[0].key``.
    """
    version, created = definitions.store(data, source="admin")
    db.session.commit()
    return {**dump(_playbook_detail, version), "created": created}, 201 if created else 200


@blueprint.route("/playbooks/validate", methods=["POST"], endpoint="playbooks_validate")
@blueprint.arguments(schemas.PlaybookDefinitionSchema)
@success(blueprint, 200, schemas.ValidSchema)
@errors(blueprint, 401, 403, 422)
def validate_playbook(data: dict):
    """Validate playbook definition.

    Checks a definition without storing it: ``{"valid": true}``, or 422 listing every
    problem in ``fields`` by JSON path.
    """
    require("read", PlaybookVersion)
    definitions.validate(data)
    return {"valid": True}


# --- running playbooks ------------------------------------------------------------------

_instance = schemas.PlaybookInstanceSchema()
_instance_detail = schemas.PlaybookInstanceDetailSchema()


def _detail(instance: PlaybookInstance) -> dict:
    return dump(_instance_detail, instance, PlaybookInstance)


@blueprint.route("/playbook-instances", methods=["GET"], endpoint="playbook_instances_list")
@blueprint.arguments(schemas.RecordArgsSchema, location="query")
@blueprint.doc(parameters=[{"in": "query", "schema": schemas.RecordArgsSchema},
                           {"in": "query", "schema": list_args_schema(PLAYBOOK_INSTANCES)}])
@success(blueprint, 200, page_schema(schemas.PlaybookInstanceSchema))
@errors(blueprint, 401, 403, 404, 422)
def list_instances(args: dict):
    """List playbook instances of a record.

    ``record_type`` (the record's table) and ``record_id`` are required: the playbooks
    of one record you may read, newest first.
    """
    record = get_or_404(engine.model_for(args["record_type"]), args["record_id"])
    stmt = select(PlaybookInstance).where(PlaybookInstance.record_type == record.__tablename__,
                                          PlaybookInstance.record_id == record.id)
    return page_response(stmt, PLAYBOOK_INSTANCES, _instance, PlaybookInstance,
                         exclude=("record_type", "record_id"))


@blueprint.route("/playbook-instances", methods=["POST"], endpoint="playbook_instances_create")
@blueprint.arguments(schemas.PlaybookStartSchema)
@success(blueprint, 201, schemas.PlaybookInstanceDetailSchema)
@errors(blueprint, 401, 403, 422)
def start_instance(data: dict):
    """Start a playbook for a record.

    Needs the right to write the record. The newest version of the playbook starts:
    its first activities are in progress (or skipped, when their condition does not
    hold).
    """
    with body_field("record_type"):
        model = engine.model_for(data["record_type"])
    record = reference(model, data["record_id"], "record_id")
    with body_field("playbook"):
        version = definitions.latest_or_404(data["playbook"])
    instance = engine.start(record, version.key, version=version)
    db.session.commit()
    return _detail(instance), 201


@blueprint.route("/playbook-instances/<int:instance_id>", methods=["GET"],
                 endpoint="playbook_instances_get")
@success(blueprint, 200, schemas.PlaybookInstanceDetailSchema)
@errors(blueprint, 401, 403, 404)
def get_instance(instance_id: int):
    """Get playbook instance.

    Its activities (state, input so far, and the JSON Schema of their input) and its
    log, oldest step first.
    """
    return _detail(engine.get_instance(instance_id))


def _act(instance_id: int, key: str, step, *args) -> dict:
    """Run engine ``step`` on activity ``key`` of an instance whose record the actor writes."""
    instance = engine.get_instance(instance_id, right="write")
    step(instance, engine.get_activity(instance, key), *args)
    db.session.commit()
    return _detail(instance)


_ACTIVITY = "/playbook-instances/<int:instance_id>/activities/<key>"


@blueprint.route(f"{_ACTIVITY}/save", methods=["POST"], endpoint="playbook_activities_save")
@blueprint.arguments(schemas.ActivityInputSchema)
@success(blueprint, 200, schemas.PlaybookInstanceDetailSchema)
@errors(blueprint, 401, 403, 404, 422)
def save_activity(data: dict, instance_id: int, key: str):
    """Save input of an activity.

    Keeps input for an activity in progress: checked against its schema, but nothing is
    required yet. Bad input is 422 with ``fields`` keyed by input field.
    """
    return _act(instance_id, key, engine.save, data["input"])


@blueprint.route(f"{_ACTIVITY}/complete", methods=["POST"],
                 endpoint="playbook_activities_complete")
@blueprint.arguments(schemas.ActivityInputSchema)
@success(blueprint, 200, schemas.PlaybookInstanceDetailSchema)
@errors(blueprint, 401, 403, 404, 422)
def complete_activity(data: dict, instance_id: int, key: str):
    """Complete an activity.

    Completes an activity in progress with its whole input (what was saved, and the
    ``input`` sent), then moves the playbook on. Bad input is 422 ``validation_failed``
    with ``fields`` keyed by input field; a refusal by a business rule is 422
    ``rule_violation`` with the rule's message.
    """
    return _act(instance_id, key, engine.complete, data["input"])


@blueprint.route(f"{_ACTIVITY}/skip", methods=["POST"], endpoint="playbook_activities_skip")
@success(blueprint, 200, schemas.PlaybookInstanceDetailSchema)
@errors(blueprint, 401, 403, 404, 422)
def skip_activity(instance_id: int, key: str):
    """Skip an optional activity.

    Only an optional activity in progress can be skipped (else 422 ``rule_violation``);
    then the playbook moves on.
    """
    return _act(instance_id, key, engine.skip)
