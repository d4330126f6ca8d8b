"""The import page of a task: files, import job, staging rows, fixing, publishing, closing.

One page (``/dataimport/tasks/<task_id>``) serves agents and, from the portal, the
customer contact of a visible task: the access rules limit what a customer reads, and a
customer may upload, import, fix rows and validate, never publish, undo, restart or
close (the controls are hidden and the posts refused). Long work runs as jobs; the page
follows the running job with ``onward.js`` (``data-job-poll``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileRequired, MultipleFileField
from sqlalchemy import Text, cast, select
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from onward import (
    LARGEST_INTEGER,
    AccessDenied,
    Conflict,
    ListSpec,
    NotFound,
    ValidationFailed,
    current_actor,
    db,
    get_or_404,
    has_right,
    jobs,
    list_page,
    post_action,
    readable_fields,
    scoped,
)
from onward.plugins.dataimport import config, exports, publish, rowstatus, staging
from onward.plugins.dataimport.models import (
    IMPORT_STATES,
    ROW_STATUSES,
    DataImport,
    ImportFile,
    PublishBatch,
    StagingRow,
)
from onward.plugins.onboarding.cases import update_task
from onward.plugins.onboarding.models import TASK_TYPES, CaseTask

blueprint = Blueprint("dataimport", __name__, url_prefix="/dataimport",
                      template_folder="templates")

#: the staging list: filter by status (the tabs), search the values and the problems
ROWS = ListSpec(
    sortable={"id": StagingRow.id, "row_number": StagingRow.row_number},
    searchable=(cast(StagingRow.values, Text), cast(StagingRow.problems, Text)),
    filterable={"status": StagingRow.status, "file_id": StagingRow.file_id},
)
#: the tabs over the rows, in the seed's order (``""``: every row)
TABS = ("", "ready", "needs_attention", "yet_to_validate", "published")
#: the tabs whose rows can be edited in the list
EDITABLE = ("needs_attention", "yet_to_validate")


@blueprint.before_request
@login_required
def _signed_in() -> None:
    """Every page needs a signed-in user; ``scoped`` and the access rules do the rest."""


class StartForm(FlaskForm):
    """Start the import of a task: which target it fills."""

    target = SelectField("Target", validators=[DataRequired()])


class UploadForm(FlaskForm):
    """One or more XLSX files, imported right away unless unticked."""

    files = MultipleFileField("XLSX files", validators=[FileRequired("Choose one or more files.")],
                              render_kw={"accept": ".xlsx", "multiple": True})
    import_now = BooleanField("Import them right away", default=True)


class CloseForm(FlaskForm):
    """Close notes, for *Mark complete*."""

    close_notes = TextAreaField("Close notes", validators=[
        DataRequired("Write the close notes."), Length(max=4000)])


def may_publish() -> bool:
    """Publishing, undoing, restarting and closing are for who may make publish batches."""
    return has_right(current_actor(), "create", PublishBatch.__tablename__)


def _refuse_customers() -> None:
    if not may_publish():
        raise AccessDenied("Only agents may publish, undo, restart or close an import.")


def _chosen_ids(name: str) -> set[int]:
    """The ids the form's ``name`` boxes send (none an id column cannot hold)."""
    return {int(value) for value in request.form.getlist(name)
            if value.isdecimal() and int(value) <= LARGEST_INTEGER}


def _import_of(task: CaseTask) -> DataImport | None:
    """The import of ``task`` if the actor may read it."""
    return db.session.scalars(scoped(DataImport).where(DataImport.task_id == task.id)).first()


def _task_and_import(task_id: int, *, right: str = "write") -> tuple[CaseTask, DataImport]:
    task = get_or_404(CaseTask, task_id)
    data_import = _import_of(task)
    if data_import is None:
        raise ValidationFailed(f"Task {task.number} has no import yet.")
    get_or_404(DataImport, data_import.id, right=right)
    return task, data_import


@blueprint.app_template_global()
def data_import_url(task_id: int, task_type: str | None = None) -> str | None:
    """The import page of a task, for the task pages' links.

    A data capture task always links to it; another task (or one whose type the actor may
    not read, as in the portal) only when it has an import the actor may read.
    """
    found = task_type == "data_capture" or db.session.scalar(
        scoped(DataImport).with_only_columns(DataImport.id).where(DataImport.task_id == task_id))
    return url_for("dataimport.task", task_id=task_id) if found else None


def _page(task_id: int, **args: Any) -> str:
    return url_for("dataimport.task", task_id=task_id, **args)


def _readable(model: type, name: str) -> bool:
    allowed = readable_fields(model)
    return allowed is None or name in allowed


def _facts(task: CaseTask, data_import: DataImport | None) -> list[tuple[str, Any]]:
    """The seed's import task fields, as far as the actor may read them."""
    source = data_import.source if data_import else None
    target = config.target_of(data_import.target) if data_import else None
    contact = task.contact
    pairs = [
        (DataImport, "source_id", "Source staging table",
         data_import and staging.staging_name(data_import)),
        (DataImport, "target", "Target", target and target.label),
        (DataImport, "source_id", "Data source", source and source.name),
        (DataImport, "state", "Data import state",
         IMPORT_STATES.get(data_import.state) if data_import else IMPORT_STATES["not_loaded"]),
        (CaseTask, "state", "State", task.state),
        (CaseTask, "task_type", "Type", TASK_TYPES.get(task.task_type, task.task_type)),
        (CaseTask, "account_id", "Account", task.case.account.name),
        (CaseTask, "case_id", "Parent", task.case.number),
        (CaseTask, "visible_to_customer", "Visible to customer",
         "Yes" if task.visible_to_customer else "No"),
        (CaseTask, "contact_id", "Contact", contact and (contact.name or contact.email)),
        (CaseTask, "subject", "Subject", task.subject),
        (CaseTask, "description", "Description", task.description),
    ]
    return [(label, value or "—") for model, name, label, value in pairs
            if _readable(model, name)]


def _run_of(data_import: DataImport, run_id: int | None):
    """The job run to follow: ``run_id`` or the one holding the import, if the actor may."""
    run_id = run_id or data_import.lock_run_id
    if run_id is None:
        return None
    run = db.session.scalars(scoped(jobs.JobRun).where(jobs.JobRun.id == run_id)).first()
    mine = run is not None and run.key.startswith("dataimport_") and (
        (run.arguments or {}).get("import_id") == data_import.id)
    return run if mine else None


def _batches(data_import: DataImport) -> list[PublishBatch]:
    return list(db.session.scalars(select(PublishBatch).where(
        PublishBatch.import_id == data_import.id).order_by(PublishBatch.id.desc())))


def _newest_batch(data_import: DataImport) -> PublishBatch | None:
    return db.session.scalars(select(PublishBatch).where(
        PublishBatch.import_id == data_import.id, PublishBatch.undone_at.is_(None))
        .order_by(PublishBatch.id.desc()).limit(1)).first()


def _render(task: CaseTask, data_import: DataImport | None, run_id: int | None = None):
    """The import page (with one page of staging rows once there is an import)."""
    context: dict[str, Any] = {
        "task": task, "data_import": data_import, "facts": _facts(task, data_import),
        "may_publish": may_publish(), "statuses": ROW_STATUSES,
        "back": (url_for("onboarding.task", task_id=task.id) if not current_actor().is_customer
                 else url_for("onboarding_portal.task", task_id=task.id)),
    }
    if data_import is None:
        return render_template("dataimport/task.html", start_form=_start_form(), **context)
    target = config.target_of(data_import.target)
    counts = rowstatus.status_counts(data_import)
    batches = _batches(data_import) if may_publish() else []
    files = list(db.session.scalars(scoped(ImportFile).where(
        ImportFile.import_id == data_import.id).order_by(ImportFile.id)))
    context.update(
        target=target, counts=counts, total=sum(counts.values()),
        tab=request.args.get("status", ""), run=_run_of(data_import, run_id), files=files,
        # rows of several files repeat row numbers: each says its file, a filter picks one
        file_names={file.id: file.name for file in files} if len(files) > 1 else {},
        row_filters=[("file_id", "File", [("", "Any file"), *(
            (str(file.id), file.name) for file in files)])] if len(files) > 1 else [],
        upload_form=UploadForm(), close_form=CloseForm(),
        batches=batches, newest=next((b for b in batches if b.undone_at is None), None),
        max_mb=config.web_upload_limit() // (1024 * 1024),
        editable=EDITABLE, tabs=[(key, ROW_STATUSES.get(key, "All rows")) for key in TABS],
        field_columns=[(item.title, None) for item in target.fields],
    )
    return list_page(StagingRow, ROWS, "dataimport/task.html",
                     where=[StagingRow.import_id == data_import.id], **context)


def _refused(form: FlaskForm, task_id: int, error: Exception | None = None):
    """Back to the page with the form's (or the service's) messages flashed.

    The page is one GET address: re-rendering it from a POST would point its search and
    pager at the POST's address.
    """
    for name, messages in form.errors.items():
        for message in messages:
            flash(f"{form[name].label.text}: {message}" if name in form else message, "error")
    if error is not None:
        flash(error.message, "error")
    return redirect(_page(task_id))


def _start_form() -> StartForm:
    form = StartForm()
    targets = current_app.extensions["onward"].registries.import_targets
    form.target.choices = [(key, target.label) for key, target in targets.items()]
    return form


@blueprint.route("/tasks/<int:task_id>", endpoint="task")
@blueprint.route("/tasks/<int:task_id>/runs/<int:run_id>", endpoint="task_run")
def task_page(task_id: int, run_id: int | None = None):
    """The import page of a task (following job run ``run_id``); creates nothing."""
    task = get_or_404(CaseTask, task_id)
    return _render(task, _import_of(task), run_id=run_id)


@blueprint.route("/tasks/<int:task_id>/start", methods=["POST"], endpoint="start")
def start(task_id: int):
    """Start the import of a task into the chosen target."""
    task = get_or_404(CaseTask, task_id, right="write")
    form = _start_form()
    if not form.validate_on_submit():
        return _refused(form, task.id)
    return post_action(lambda: staging.import_of_task(task, form.target.data),
                       message="The import is started: upload its files.",
                       back=_page(task.id))


def _enqueue(key: str, data_import: DataImport, message: str, **arguments: Any):
    """Start job ``key`` on the import and go back to the page, which follows the run."""
    task_id = data_import.task_id
    run = jobs.enqueue(key, import_id=data_import.id, **arguments)
    run_id = run.id
    db.session.commit()  # the backend starts the run once it is committed
    flash(message, "success")
    return redirect(url_for("dataimport.task_run", task_id=task_id, run_id=run_id))


@blueprint.route("/tasks/<int:task_id>/files", methods=["POST"], endpoint="upload")
def upload(task_id: int):
    """Upload XLSX files (size-limited) and, unless unticked, import them right away."""
    task, data_import = _task_and_import(task_id, right="read")
    form = UploadForm()
    if not form.validate_on_submit():
        return _refused(form, task.id)
    try:
        added = [staging.add_file(data_import, stream.filename or "upload.xlsx", stream)
                 for stream in form.files.data if stream]
    except (ValidationFailed, Conflict, AccessDenied) as error:
        db.session.rollback()
        return _refused(form, task.id, error)
    names = ", ".join(record.name for record in added)
    if form.import_now.data:
        return _enqueue("dataimport_import", data_import, f"Importing {names}.",
                        file_ids=[record.id for record in added])
    db.session.commit()
    flash(f"Uploaded {names}.", "success")
    return redirect(_page(task.id))


@blueprint.route("/tasks/<int:task_id>/import", methods=["POST"], endpoint="import_files")
def import_files(task_id: int):
    """*Import from attachments*: stage the chosen files, then validate (a job).

    Ticking *publish* (agents) publishes the ready rows as they are staged.
    """
    _task, data_import = _task_and_import(task_id)
    publish = request.form.get("publish") == "1"
    if publish:
        _refuse_customers()
    chosen = _chosen_ids("file_id")
    file_ids = list(db.session.scalars(scoped(ImportFile).with_only_columns(ImportFile.id).where(
        ImportFile.import_id == data_import.id, ImportFile.id.in_(chosen))
        .order_by(ImportFile.id)))
    if not file_ids:
        flash("Choose the files to import.", "error")
        return redirect(_page(task_id))
    return _enqueue("dataimport_import", data_import,
                    "The import is started; ready rows are published as they are staged."
                    if publish else "The import is started.",
                    file_ids=file_ids, publish=publish)


@blueprint.route("/tasks/<int:task_id>/validate", methods=["POST"], endpoint="validate")
def validate(task_id: int):
    """Validate the rows that are yet to validate (a job)."""
    _task, data_import = _task_and_import(task_id)
    return _enqueue("dataimport_validate", data_import, "Validation is started.")


@blueprint.route("/tasks/<int:task_id>/template", endpoint="template")
def template(task_id: int):
    """*Download the template*: the XLSX template of the import's target."""
    _task, data_import = _task_and_import(task_id, right="read")
    return exports.template_download(config.target_of(data_import.target))


@blueprint.route("/tasks/<int:task_id>/errors", endpoint="errors")
def errors(task_id: int):
    """*Download rows that need attention*: the errors workbook, to fix and upload again."""
    _task, data_import = _task_and_import(task_id, right="read")
    return exports.xlsx_download(exports.errors_workbook(data_import),
                                 exports.errors_file_name(data_import))


@blueprint.route("/tasks/<int:task_id>/rows/<int:row_id>", methods=["POST"], endpoint="row")
def edit_row(task_id: int, row_id: int):
    """Save a row's cells as edited in the list; the row goes back to *Yet to validate*."""
    _task, data_import = _task_and_import(task_id, right="read")
    row = get_or_404(StagingRow, row_id)
    if row.import_id != data_import.id:
        raise NotFound(f"No row {row_id} in this import.")
    target = config.target_of(data_import.target)
    changed = {}
    for item in target.fields:
        if item.name not in request.form:
            continue
        typed = request.form[item.name].strip()
        if typed != _shown(row.values.get(item.name)):
            changed[item.name] = typed or None
    if not changed:
        flash(f"Nothing changed in row {row.row_number}.", "warning")
        return redirect(request.referrer or _page(task_id))
    return post_action(lambda: staging.edit_row(row, changed),
                       message=f"Row {row.row_number} is saved; validate it again.",
                       back=request.referrer or _page(task_id),
                       to=_page(task_id, status="yet_to_validate"))


def _shown(value: Any) -> str:
    """A staging value as the list's input shows it."""
    if value is None:
        return ""
    if isinstance(value, dict) and "error" in value:
        return value["error"]
    return str(value)


blueprint.add_app_template_filter(_shown, "staged")


@blueprint.route("/tasks/<int:task_id>/publish", methods=["POST"], endpoint="publish")
def publish_rows(task_id: int):
    """Publish the selected ready rows, or all of them (``all=1``), as a job."""
    _refuse_customers()
    _task, data_import = _task_and_import(task_id)
    if request.form.get("all") == "1":
        return _enqueue("dataimport_publish", data_import, "Publishing every ready row.")
    row_ids = sorted(_chosen_ids("row_id"))
    if not row_ids:
        flash("Choose the rows to publish.", "error")
        return redirect(request.referrer or _page(task_id))
    return _enqueue("dataimport_publish", data_import,
                    f"Publishing {len(row_ids)} selected rows.", row_ids=row_ids)


def _idle(data_import: DataImport) -> None:
    if data_import.lock_run_id is not None:
        raise Conflict("A job is working on this import; wait for it to end.")


@blueprint.route("/tasks/<int:task_id>/undo", methods=["POST"], endpoint="undo")
def undo(task_id: int):
    """*Undo publish*: take the newest batch back (a job)."""
    _refuse_customers()
    _task, data_import = _task_and_import(task_id)
    batch = _newest_batch(data_import)
    try:
        _idle(data_import)
        if batch is None:
            raise Conflict("Nothing published to undo.")
        publish.check_undo(batch)
    except Conflict as refused:
        flash(refused.message, "error")
        return redirect(_page(task_id))
    return _enqueue("dataimport_undo", data_import, "Undoing the newest publish.",
                    batch_id=batch.id)


@blueprint.route("/tasks/<int:task_id>/restart", methods=["POST"], endpoint="restart")
def restart(task_id: int):
    """*Restart*: clear every staging row of the task (published records stay)."""
    _refuse_customers()
    _task, data_import = _task_and_import(task_id)

    def clear():
        _idle(data_import)
        staging.restart(data_import)

    return post_action(clear, message="Every staging row of this task is cleared.",
                       back=_page(task_id))


def summary(data_import: DataImport) -> str:
    """The Data Import Summary: rows per status and the publish batches."""
    counts = rowstatus.status_counts(data_import)
    lines = [f"Data Import Summary ({data_import.target})"]
    lines += [f"{label}: {counts.get(key, 0)}" for key, label in ROW_STATUSES.items()]
    for batch in reversed(_batches(data_import)):
        lines.append(f"Batch {batch.id}: {batch.inserted} inserted, {batch.updated} updated, "
                     f"{batch.unchanged} unchanged, {batch.failed} failed"
                     + (" (undone)" if batch.undone_at else ""))
    return "\n".join(lines)


@blueprint.route("/tasks/<int:task_id>/close", methods=["POST"], endpoint="close")
def close(task_id: int):
    """*Mark complete*: close the task with its notes; the summary goes to the work notes."""
    _refuse_customers()
    task, data_import = _task_and_import(task_id)
    form = CloseForm()
    if not form.validate_on_submit():
        return _refused(form, task.id)

    def complete():
        _idle(data_import)
        update_task(task, {"state": "Closed", "close_notes": form.close_notes.data})
        task.add_work_note(summary(data_import))

    return post_action(complete, message=f"{task.number} is complete.", back=_page(task_id))
