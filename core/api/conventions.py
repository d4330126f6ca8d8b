"""The JSON API's conventions, and a small helper that serves a model by them.

Core's API blueprint and every plugin's (``<plugin>_api``, mounted under ``/api/v1``)
follow the same rules:

* **Authentication.** ``Authorization: Bearer <token>``; such a request never reads or
  sets the session cookie and needs no CSRF token. A cookie-authenticated request that
  changes state must carry the CSRF token in the ``X-CSRFToken`` header. Core refuses a
  request to any ``<plugin>_api`` blueprint without a user (401), before anything else.
* **Paths.** ``/<plural>`` lists (GET) and creates (POST); ``/<plural>/<id>`` reads
  (GET), updates (PATCH) and deletes (DELETE) one record.
* **Lists** take ``q`` (search), ``sort`` (comma-separated fields, ``-`` for
  descending), ``page``, ``page_size`` (capped at ``MAX_PAGE_SIZE``) and one argument per
  filterable field of the list's :class:`~onward.core.listing.ListSpec`; anything else
  is refused (422). They answer ``{"items": [...], "meta": {"page", "page_size",
  "total", "pages"}}``.
* **Records.** GET answers the object; POST answers 201 with the new object; PATCH
  takes only the fields to change and answers the object; DELETE answers 204, no body.
  Unknown fields in a body are refused (422).
* **Errors** always look like ``{"error": {"code", "message", "fields"}}``: 401 not
  signed in, 403 forbidden, 404 not found (also another tenant's record), 409 conflict,
  422 invalid input, with ``fields`` naming each bad field and what is wrong with it.
* **Access.** Reads go through ``scoped``/``get_or_404``, writes through the services
  (which call ``require``); the view commits after the service succeeds. Customer users
  get only ``readable_fields(Model)`` of every object, and may sort, search and filter
  only by those fields.

:func:`add_resource` builds the five endpoints of a model from its schema, list spec and
service functions; :func:`page_response`, :func:`dump`, :func:`reference` and
:func:`errors` are the pieces it uses, for endpoints that need their own view
(:func:`body_field` too).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from http import HTTPStatus
from typing import Any

import flask_smorest
import marshmallow as ma
from flask import request
from sqlalchemy import Select

from onward.core.access import get_or_404, readable_fields, scoped
from onward.core.db import db
from onward.core.errors import NotFound, ValidationFailed
from onward.core.listing import ListSpec, paginate, parse_list_args

Record = Any
Writer = Callable[..., Any]


# --- schemas of the conventions ---------------------------------------------------------


class ErrorDetailSchema(ma.Schema):
    """What went wrong."""

    code = ma.fields.String(metadata={"description": "machine-readable, e.g. `not_found`"})
    message = ma.fields.String(metadata={"description": "a sentence for people"})
    fields = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "field name -> what is wrong with it"},
    )


class ErrorSchema(ma.Schema):
    """The one error shape of the API."""

    error = ma.fields.Nested(ErrorDetailSchema)


class PageMetaSchema(ma.Schema):
    """Where a page sits in its list."""

    page = ma.fields.Integer()
    page_size = ma.fields.Integer()
    total = ma.fields.Integer(metadata={"description": "items in the whole list"})
    pages = ma.fields.Integer()


class ListArgsSchema(ma.Schema):
    """The query arguments every list takes (documentation; parsing is ``parse_list_args``)."""

    q = ma.fields.String(metadata={"description": "search text"})
    sort = ma.fields.String(
        metadata={"description": "comma-separated fields, `-` for descending, e.g. `-created_at`"}
    )
    page = ma.fields.Integer(metadata={"description": "page number, from 1"})
    page_size = ma.fields.Integer(metadata={"description": "items per page (capped)"})


_FILTER_FIELDS = {bool: ma.fields.Boolean, int: ma.fields.Integer}


def list_args_schema(spec: ListSpec) -> ma.Schema:
    """:class:`ListArgsSchema` plus one documented argument per filterable field of ``spec``."""
    extra = {}
    for name, column in spec.filterable.items():
        python_type = getattr(column.type, "python_type", str)
        extra[name] = _FILTER_FIELDS.get(python_type, ma.fields.String)(
            metadata={"description": f"only items whose {name} equals this"}
        )
    sortable = ", ".join(sorted(spec.sortable))
    extra["sort"] = ma.fields.String(
        metadata={"description": f"comma-separated of {sortable}; `-` for descending; "
                                f"default `{spec.default_sort}`"}
    )
    return ListArgsSchema.from_dict(extra, name="ListArgs")()


@cache
def page_schema(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """The schema of a page of ``item_schema`` objects (``items`` and ``meta``)."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    return ma.Schema.from_dict(
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema)),
            "meta": ma.fields.Nested(PageMetaSchema),
        },
        name=name,
    )


# --- pieces for views -------------------------------------------------------------------


def dump(schema: ma.Schema, record: Record, model: type | None = None) -> dict:
    """``record`` serialised by ``schema``, keeping only the fields the actor may read."""
    data = schema.dump(record)
    fields = readable_fields(model or type(record))
    if fields is None:
        return data
    return {name: value for name, value in data.items() if name in fields}


def _readable_spec(spec: ListSpec, model: type) -> ListSpec:
    """``spec`` cut down to the fields the actor may read (customers)."""
    fields = readable_fields(model)
    if fields is None:
        return spec
    default = spec.default_sort if spec.default_sort.lstrip("-") in fields else "id"
    return dataclasses.replace(
        spec,
        sortable={name: column for name, column in spec.sortable.items() if name in fields},
        searchable=tuple(column for column in spec.searchable if column.key in fields),
        filterable={name: column for name, column in spec.filterable.items() if name in fields},
        default_sort=default,
    )


def page_response(stmt: Select, spec: ListSpec, schema: ma.Schema, model: type, *,
                  exclude: tuple[str, ...] = ()) -> dict:
    """One page of ``stmt`` by the request's list arguments, as ``{"items", "meta"}``.

    ``exclude`` names query arguments the view read itself, which are no list arguments.
    """
    spec = _readable_spec(spec, model)
    args = {name: value for name, value in request.args.items() if name not in exclude}
    page = paginate(stmt, parse_list_args(args, spec), spec)
    return {"items": [dump(schema, item, model) for item in page.items], "meta": page.meta()}


def reference(model: type, record_id: int | None, field: str) -> Record | None:
    """The record a body field points to (``None`` stays ``None``).

    Raises:
        ValidationFailed: no such record the actor may read; the message names ``field``.
    """
    if record_id is None:
        return None
    try:
        return get_or_404(model, record_id)
    except NotFound:
        message = f"No such record: {record_id}."
        raise ValidationFailed(f"Invalid {field}. {message}", fields={field: [message]}) from None


@contextmanager
def body_field(field: str) -> Iterator[None]:
    """Turn a ``NotFound`` in the block into ``ValidationFailed`` naming body ``field``.

    For a body field that names something (a playbook key, a job type): the request is
    invalid, not the URL.
    """
    try:
        yield
    except NotFound as exc:
        raise ValidationFailed(f"Invalid {field}. {exc.message}",
                               fields={field: [exc.message]}) from None


def errors(blueprint: flask_smorest.Blueprint, *codes: int) -> Callable:
    """Document the error responses (in the error shape) an endpoint may answer."""

    def decorate(view: Callable) -> Callable:
        for code in codes:
            view = blueprint.alt_response(code, response=HTTPStatus(code).name)(view)
        return view

    return decorate


def success(blueprint: flask_smorest.Blueprint, code: int, schema: Any = None) -> Callable:
    """Document the success response; the view returns what it serialised itself."""
    if schema is None:
        return blueprint.alt_response(code, description=HTTPStatus(code).phrase, success=True)
    return blueprint.alt_response(code, schema=schema, success=True)


# --- the helper -------------------------------------------------------------------------


def add_resource(
    blueprint: flask_smorest.Blueprint,
    path: str,
    model: type,
    schema: type[ma.Schema],
    spec: ListSpec,
    *,
    create: tuple[type[ma.Schema], Writer] | None = None,
    update: tuple[type[ma.Schema], Writer] | None = None,
    delete: Writer | None = None,
) -> None:
    """Add the list and get endpoints of ``model`` at ``path``, and those writers given.

    Args:
        blueprint: the plugin's API blueprint.
        path: the list's path, e.g. ``"/domains"``; one record is at ``<path>/<id>``.
        model: the model class; reads go through ``scoped``/``get_or_404``.
        schema: dumps a record (customers get only their readable fields of it).
        spec: what the list can be sorted, searched and filtered by.
        create: ``(body schema, service)``; POST calls ``service(data)`` for the new record.
        update: ``(body schema, service)``; PATCH calls ``service(record, data)`` with the
            fields sent.
        delete: DELETE calls ``service(record)``.

    Each service checks rights (``require``) and raises Onward's errors; the view commits.
    A service's docstring becomes its endpoint's description in the OpenAPI document.
    """
    name = path.strip("/").replace("/", "_")
    item_path = f"{path}/<int:record_id>"
    out = schema()

    def _route(rule: str, method: str, action: str, summary: str, service=None) -> Callable:
        doc = {"summary": summary}
        if service is not None and service.__doc__:
            doc["description"] = inspect.getdoc(service)

        def decorate(view: Callable) -> Callable:
            view = blueprint.doc(**doc)(view)
            return blueprint.route(rule, methods=[method], endpoint=f"{name}_{action}")(view)

        return decorate

    thing = model.__tablename__.split("_", 1)[-1].replace("_", " ")

    @_route(path, "GET", "list", f"List {path.strip('/')}")
    @blueprint.doc(parameters=[{"in": "query", "schema": list_args_schema(spec)}])
    @success(blueprint, 200, page_schema(schema))
    @errors(blueprint, 401, 403, 422)
    def _list():
        return page_response(scoped(model), spec, out, model)

    @_route(item_path, "GET", "get", f"Get {thing}")
    @success(blueprint, 200, schema)
    @errors(blueprint, 401, 403, 404)
    def _get(record_id: int):
        return dump(out, get_or_404(model, record_id), model)

    if create is not None:
        create_body, create_record = create

        @_route(path, "POST", "create", f"Create {thing}", create_record)
        @blueprint.arguments(create_body)
        @success(blueprint, 201, schema)
        @errors(blueprint, 401, 403, 409, 422)
        def _create(data: dict):
            record = create_record(data)
            db.session.commit()
            return dump(out, record, model), 201

    if update is not None:
        update_body, update_record = update

        @_route(item_path, "PATCH", "update", f"Update {thing}", update_record)
        @blueprint.arguments(update_body)
        @success(blueprint, 200, schema)
        @errors(blueprint, 401, 403, 404, 409, 422)
        def _update(data: dict, record_id: int):
            record = get_or_404(model, record_id)
            update_record(record, data)
            db.session.commit()
            return dump(out, record, model)

    if delete is not None:

        @_route(item_path, "DELETE", "delete", f"Delete {thing}", delete)
        @success(blueprint, 204)
        @errors(blueprint, 401, 403, 404, 409)
        def _delete(record_id: int):
            delete(get_or_404(model, record_id))
            db.session.commit()
            return "", 204
