"""Helpers that keep every page a few lines: lists, forms backed by services, history.

Plugins reuse these for their own pages:

* :func:`list_page` renders a list (search, sort, filters, pager) of the rows the actor
  may read, for the macros in ``core/_list.html``;
* :func:`submit_form` runs a service call when a form validates, commits, and turns the
  service's :class:`~onward.core.errors.ValidationFailed` or ``Conflict`` into field
  errors on the form; :func:`post_action` does the same for a button (delete,
  deactivate), flashing a refusal;
* :func:`form_status` is the status to answer a form page with (422 after errors);
* :func:`record_history` reads a record's audit trail, when the actor may see it;
* ``url_with(**changes)`` (a template global) is the current URL with query arguments
  changed, which the sort headers and the pager link to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import SelectChoice

from onward.core.access import can, scoped
from onward.core.db import db
from onward.core.errors import Conflict, OnwardError, RuleViolation, ValidationFailed
from onward.core.listing import ListSpec, paginate, parse_list_args
from onward.core.models import AuditEntry
from onward.core.views import blueprint

#: the service errors a form shows to the person who filled it in
FORM_ERRORS = (ValidationFailed, Conflict, RuleViolation)


@blueprint.app_template_global()
def url_with(**changes: Any) -> str:
    """The current URL with query arguments changed; ``None`` drops an argument."""
    args = request.args.to_dict(flat=False)
    for name, value in changes.items():
        if value is None or value == "":
            args.pop(name, None)
        else:
            args[name] = value
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def list_page(
    model: type,
    spec: ListSpec,
    template: str,
    *,
    where: Iterable[Any] = (),
    options: Iterable[Any] = (),
    **context: Any,
) -> str:
    """Render ``template`` with one page of the ``model`` rows the actor may read.

    The request's ``q``, ``sort``, ``page``, ``page_size`` and filters are checked against
    ``spec``. The template gets ``page`` (a :class:`~onward.core.listing.Page`),
    ``query`` (the :class:`~onward.core.listing.ListQuery`) and ``context``.

    Args:
        model: the model listed; rows come from :func:`~onward.core.access.scoped`.
        spec: what the list may be sorted, searched and filtered by.
        template: the page's template.
        where: extra conditions, e.g. the records of one parent.
        options: loader options, e.g. ``selectinload(Model.relation)``.
        **context: more template variables.

    Raises:
        ValidationFailed: a bad sort field, page number or filter.
    """
    query = parse_list_args(request.args, spec)
    stmt = scoped(model).where(*where).options(*options)
    page = paginate(stmt, query, spec)
    return render_template(template, page=page, query=query, **context)


def show_errors(form: FlaskForm, error: OnwardError) -> None:
    """Put a service error's messages on the form's fields, the others on the form itself."""
    form.error_status = error.status
    for name, messages in error.fields.items():
        field = form._fields.get(name)
        if field is not None:
            field.errors = [*field.errors, *messages]
        else:
            form.form_errors.extend(messages)
    if not error.fields:
        form.form_errors.append(error.message)


def submit_form(
    form: FlaskForm, action: Callable[[], Any], done: Callable[[Any], Any],
    show: Callable[[], Any],
) -> Any:
    """Run ``action`` when ``form`` is submitted and valid, commit and answer ``done(result)``.

    Otherwise answer ``show()``, the page with the form: not yet submitted, invalid, or
    refused by the service, whose messages are then on the form's fields.
    """
    if form.validate_on_submit():
        try:
            result = action()
        except FORM_ERRORS as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            return done(result)
    return show()


def post_action(action: Callable[[], Any], *, message: str, back: str, to: str | None = None):
    """Run a button's service call and commit; flash ``message`` and go ``to`` (or ``back``).

    A refusal (say, a domain that still has accounts) is flashed and leads ``back``.
    """
    try:
        action()
    except FORM_ERRORS as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(back)
    db.session.commit()
    flash(message, "success")
    return redirect(to or back)


def form_status(*forms: FlaskForm) -> int:
    """200 for a fresh form, else the status of what went wrong (422 by default)."""
    for form in forms:
        if form.errors:
            return getattr(form, "error_status", 422)
    return 200


def record_history(record: Any, *, limit: int = 25) -> list[AuditEntry] | None:
    """The newest audit entries about ``record``; ``None`` if the actor may not read them."""
    if not can("read", AuditEntry):
        return None
    stmt = (
        scoped(AuditEntry)
        .where(AuditEntry.table_name == record.__tablename__, AuditEntry.record_id == record.id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def choices(
    model: type,
    label: Callable[[Any], str] = str,
    *,
    order_by: Any = None,
    where: Iterable[Any] = (),
    blank: str | None = None,
) -> list[SelectChoice]:
    """Choices for a picker: the ``model`` rows the actor may read (after ``blank``)."""
    stmt = scoped(model).where(*where).order_by(order_by if order_by is not None else model.id)
    found = [SelectChoice(record.id, label(record)) for record in db.session.scalars(stmt)]
    return [SelectChoice("", blank), *found] if blank is not None else found
