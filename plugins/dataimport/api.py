"""The data import's JSON API: ``/api/v1/dataimport/…``.

Imports of onboarding case tasks with their files, staging rows and publish batches; the
actions that run as jobs (import, validate, publish) answer 202 with the job run, to
follow at ``/api/v1/jobs/{id}``. Validation rules (admins write, agents read), the
validator kinds and the import targets describe what validation and publishing do.

Every read goes through ``scoped``/``get_or_404`` (a file, row or batch through its
import first, so another tenant's answers 404) and every write through a service that
calls ``require``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path

import flask_smorest
from flask import current_app, request
from sqlalchemy import String, cast, func, or_, select
from werkzeug.exceptions import RequestEntityTooLarge

from onward import (
    Conflict,
    JobRunSchema,
    ListSpec,
    NotFound,
    ValidationFailed,
    add_resource,
    can,
    db,
    dump,
    get_or_404,
    jobs,
    page_response,
    readable_fields,
    reference,
    require,
    scoped,
    utcnow,
)
from onward.plugins.dataimport import (
    assist,
    config,
    exports,
    rowstatus,
    schemas,
    staging,
)
from onward.plugins.dataimport.jobs import LEASE_SETTINGS
from onward.plugins.dataimport.models import (
    ROW_STATUSES,
    DataImport,
    DataSource,
    ImportFile,
    PublishBatch,
    StagingRow,
    ValidationRule,
)
from onward.plugins.dataimport.publish import check_undo
from onward.plugins.onboarding.models import CaseTask

blueprint = flask_smorest.Blueprint(
    "dataimport_api", __name__, url_prefix="/dataimport",
    description="Data imports: upload, stage, validate and publish customer data")

IMPORT = "/imports/<int:import_id>"
#: file states that can be imported (a refused file again, after its field map changed)
IMPORTABLE = ("uploaded", "refused")
#: the jobs that work on an import (their ``import_id`` argument names it)
JOB_KEYS = ("dataimport_import", "dataimport_validate", "dataimport_publish", "dataimport_undo")

IMPORTS = ListSpec(
    sortable={"id": DataImport.id, "task_id": DataImport.task_id, "target": DataImport.target,
              "state": DataImport.state, "created_at": DataImport.created_at,
              "updated_at": DataImport.updated_at},
    searchable=(DataImport.target,),
    filterable={"task_id": DataImport.task_id, "target": DataImport.target,
                "state": DataImport.state, "account_id": DataImport.account_id},
    default_sort="-id",
)
FILES = ListSpec(
    sortable={"id": ImportFile.id, "name": ImportFile.name, "state": ImportFile.state,
              "created_at": ImportFile.created_at},
    searchable=(ImportFile.name,), filterable={"state": ImportFile.state}, default_sort="id",
)
ROWS = ListSpec(
    sortable={"id": StagingRow.id, "row_number": StagingRow.row_number,
              "status": StagingRow.status, "file_id": StagingRow.file_id},
    filterable={"status": StagingRow.status, "file_id": StagingRow.file_id},
    default_sort="row_number",
)
BATCHES = ListSpec(sortable={"id": PublishBatch.id, "created_at": PublishBatch.created_at},
                   default_sort="-id")
RULES = ListSpec(
    sortable={"id": ValidationRule.id, "target": ValidationRule.target,
              "kind": ValidationRule.kind, "field": ValidationRule.field,
              "created_at": ValidationRule.created_at},
    searchable=(ValidationRule.kind, ValidationRule.field, ValidationRule.description),
    filterable={"target": ValidationRule.target, "level": ValidationRule.level,
                "kind": ValidationRule.kind, "field": ValidationRule.field,
                "active": ValidationRule.active},
    default_sort="target",
)

_import = schemas.DataImportSchema()
_detail = schemas.DataImportDetailSchema()
_file = schemas.ImportFileSchema()
_row = schemas.StagingRowSchema()
_batch = schemas.PublishBatchSchema()
_run = JobRunSchema()


# --- helpers -----------------------------------------------------------------------------


def _endpoint(rule: str, name: str, schema=None, *, method: str = "POST", status: int = 200,
              spec: ListSpec | None = None, download: str | None = None) -> Callable:
    """Route ``rule``; document its success ``schema`` (a page when ``spec``) and errors.

    ``download`` (a content type) documents a file sent as an attachment instead.
    """
    codes = (401, 403, 404, 422) if method == "GET" else (401, 403, 404, 409, 422)

    def decorate(view: Callable) -> Callable:
        if spec is not None:
            view = blueprint.doc(parameters=_list_parameters(spec))(view)
            schema_ = schemas.page_schema(schema)
        else:
            schema_ = schema
        if download is not None:
            view = blueprint.alt_response(
                status, schema={"type": "string", "format": "binary"}, content_type=download,
                description="The file, as an attachment (`Content-Disposition`)",
                success=True)(view)
        elif schema_ is None:
            view = blueprint.alt_response(status, description=HTTPStatus(status).phrase,
                                          success=True)(view)
        else:
            view = blueprint.alt_response(status, schema=schema_, success=True)(view)
        for code in codes:
            view = blueprint.alt_response(code, response=HTTPStatus(code).name)(view)
        return blueprint.route(rule, methods=[method], endpoint=name)(view)

    return decorate


def _list_parameters(spec: ListSpec) -> list[dict]:
    """The query arguments of a list: search, sort, paging and its filters."""
    sortable = ", ".join(sorted(spec.sortable))
    described = {"q": "search text", "page": "page number, from 1",
                 "page_size": "items per page (capped)",
                 "sort": f"comma-separated of {sortable}; `-` for descending; "
                         f"default `{spec.default_sort}`"}
    described.update({name: f"only items whose {name} equals this" for name in spec.filterable})
    return [{"in": "query", "name": name, "description": text, "schema": {"type": "string"}}
            for name, text in described.items()]


def _get_import(import_id: int) -> DataImport:
    return get_or_404(DataImport, import_id)


def _child(model: type, record_id: int, data_import: DataImport):
    """A file or row of ``data_import`` the actor may read (404 when it is another's)."""
    record = get_or_404(model, record_id)
    if record.import_id != data_import.id:
        raise NotFound(f"No {model.__tablename__.split('_', 1)[1]} {record_id} in this import.")
    return record


def _busy(data_import: DataImport) -> bool:
    """Whether a job run holds the import's lease (and is not long dead)."""
    minutes = current_app.config.get("IMPORT_LEASE_MINUTES",
                                     LEASE_SETTINGS["IMPORT_LEASE_MINUTES"])
    return (data_import.lock_run_id is not None and data_import.locked_at is not None
            and data_import.locked_at > utcnow() - dt.timedelta(minutes=minutes))


def _refuse_if_busy(data_import: DataImport, action: str) -> None:
    if _busy(data_import):
        raise Conflict(f"A job is working on this import; {action} once it has ended.")


def _running_job(data_import: DataImport) -> int | None:
    """The newest unfinished job run on the import that the actor may follow."""
    runs = db.session.execute(
        scoped(jobs.JobRun).with_only_columns(jobs.JobRun.id, jobs.JobRun.arguments)
        .where(jobs.JobRun.key.in_(JOB_KEYS), jobs.JobRun.status.in_(("queued", "running")))
        .order_by(jobs.JobRun.id.desc()))
    for run_id, arguments in runs:
        if (arguments or {}).get("import_id") == data_import.id:
            return run_id
    if readable_fields(DataImport) is None:  # staff see the lease holder too
        return data_import.lock_run_id
    return None


def _describe(data_import: DataImport) -> dict:
    """The import with its counts, files, latest batch and running job."""
    data = dump(_detail, data_import)
    counts = rowstatus.status_counts(data_import)
    data["counts"] = {status: counts.get(status, 0) for status in ROW_STATUSES}
    data["files"] = [dump(_file, record) for record in db.session.scalars(
        scoped(ImportFile).where(ImportFile.import_id == data_import.id).order_by(ImportFile.id))]
    data["latest_batch"] = None
    if can("read", PublishBatch):
        latest = db.session.scalars(scoped(PublishBatch).where(
            PublishBatch.import_id == data_import.id).order_by(PublishBatch.id.desc())).first()
        data["latest_batch"] = latest and dump(_batch, latest)
    data["job_run_id"] = _running_job(data_import)
    return data


def _start(key: str, **arguments) -> tuple[dict, int]:
    """Record a run of job ``key``, commit (which hands it to the backend) and answer 202."""
    run = jobs.enqueue(key, **arguments)
    db.session.commit()
    return dump(_run, db.session.get(jobs.JobRun, run.id)), 202


# --- imports -----------------------------------------------------------------------------


@_endpoint("/imports", "imports_list", schemas.DataImportSchema, method="GET", spec=IMPORTS)
def list_imports():
    """List imports.

    Filter by ``task_id``, ``target``, ``state`` or ``account_id``; newest first.
    """
    return page_response(scoped(DataImport), IMPORTS, _import, DataImport)


@_endpoint(IMPORT, "imports_get", schemas.DataImportDetailSchema, method="GET")
def get_import(import_id: int):
    """Get an import.

    With its rows counted per status, its files, the latest publish batch (for those who
    may read batches) and the job run working on it, if any.
    """
    return _describe(_get_import(import_id))


@_endpoint("/imports", "imports_create", schemas.DataImportDetailSchema, status=201)
@blueprint.arguments(schemas.DataImportCreateSchema)
def create_import(data: dict):
    """Create the import of a task.

    The caller must read and write the task. A task has one import: asking again for the
    same target answers it (200); for another target, 409. ``source_id`` names a data
    source of the target, whose field map reads the files.
    """
    task = reference(CaseTask, data["task_id"], "task_id")
    require("write", task)
    source = reference(DataSource, data["source_id"], "source_id")
    existed = db.session.scalar(select(DataImport.id).where(DataImport.task_id == task.id))
    data_import = staging.import_of_task(task, data["target"])
    if existed:
        data_import = get_or_404(DataImport, existed)
    if source is not None:
        if source.target != data_import.target:
            message = (f"Data source {source.name!r} is for {source.target}, "
                       f"not {data_import.target}.")
            raise ValidationFailed(message, fields={"source_id": [message]})
        require("write", data_import)
        data_import.source_id = source.id
    db.session.commit()
    return _describe(data_import), 200 if existed else 201


# --- files -------------------------------------------------------------------------------


@_endpoint(f"{IMPORT}/errors", "imports_errors", method="GET", download=exports.XLSX_TYPE)
def download_errors(import_id: int):
    """Download the rows that need attention.

    An XLSX named ``<task number> needs attention.xlsx``: the target's columns after a
    ``Row`` column (the staging row's id), each problem cell highlighted with the problem
    as its comment. Fix it and upload it again: its rows go back to their staging rows.
    """
    data_import = _get_import(import_id)
    return exports.xlsx_download(exports.errors_workbook(data_import),
                                 exports.errors_file_name(data_import))


@_endpoint(f"{IMPORT}/files", "files_list", schemas.ImportFileSchema, method="GET", spec=FILES)
def list_files(import_id: int):
    """List the files of an import.

    Each with its state: uploaded, imported or refused (``message`` says why).
    """
    data_import = _get_import(import_id)
    return page_response(scoped(ImportFile).where(ImportFile.import_id == data_import.id),
                         FILES, _file, ImportFile)


@_endpoint(f"{IMPORT}/files", "files_upload", schemas.ImportFileSchema(many=True), status=201)
@blueprint.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "array", "items": {"type": "string", "format": "binary"},
                            "description": "one or more XLSX files"}}}}}})
@blueprint.alt_response(413, response=HTTPStatus(413).name)
def upload_files(import_id: int):
    """Upload files to an import.

    Multipart, one or more ``file`` parts. Each file is kept as it came (checked when it
    is imported); a file above ``IMPORT_MAX_BYTES`` is refused (422), a request above
    ``MAX_CONTENT_LENGTH`` too (413). Answers the files, uploaded and not yet imported.
    """
    data_import = _get_import(import_id)
    try:
        uploads = request.files.getlist("file")
    except RequestEntityTooLarge:
        limit = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        raise RequestEntityTooLarge(f"The upload is larger than the limit of {limit} MB; "
                                    "send fewer or smaller files.") from None
    if not uploads:
        message = "Attach one or more XLSX files as multipart parts named file."
        raise ValidationFailed(message, fields={"file": [message]})
    records = [staging.add_file(data_import, upload.filename or "", upload.stream)
               for upload in uploads]
    db.session.commit()
    return [dump(_file, record) for record in records], 201


def delete_file(record: ImportFile) -> Path:
    """Remove an uploaded file that was not imported (an imported one: restart first).

    Returns where its bytes are, to delete once the transaction commits.
    """
    require("delete", record)
    if record.state == "imported":
        raise Conflict(f"{record.name} was imported; restart the import to remove it.")
    path = staging.file_path(record)
    db.session.delete(record)
    db.session.flush()
    return path


@_endpoint(f"{IMPORT}/files/<int:file_id>", "files_delete", method="DELETE", status=204)
def remove_file(import_id: int, file_id: int):
    """Delete a file not yet imported.

    Uploaded or refused files only; an imported file's rows are in staging (409).
    """
    path = delete_file(_child(ImportFile, file_id, _get_import(import_id)))
    db.session.commit()
    path.unlink(missing_ok=True)
    return "", 204


# --- actions (jobs) ----------------------------------------------------------------------


@_endpoint(f"{IMPORT}/import", "imports_stage", JobRunSchema, status=202)
@blueprint.arguments(schemas.ImportFilesSchema)
def stage_files(data: dict, import_id: int):
    """Import files into staging (a job).

    ``file_ids`` names uploaded (or refused) files of the import; by default every
    uploaded one. The job stages them, validating each chunk on the way (with
    ``publish``, publishing its ready rows too); answers 202 with the run.
    """
    data_import = _get_import(import_id)
    require("write", data_import)
    if data["publish"]:
        require("create", PublishBatch)
    waiting = scoped(ImportFile).where(ImportFile.import_id == data_import.id)
    if data["file_ids"] is None:
        records = db.session.scalars(waiting.where(ImportFile.state == "uploaded")).all()
    else:
        records = db.session.scalars(waiting.where(ImportFile.id.in_(data["file_ids"]))).all()
        unknown = sorted(set(data["file_ids"]) - {record.id for record in records})
        if unknown:
            message = f"No file {unknown[0]} in this import."
            raise ValidationFailed(message, fields={"file_ids": [message]})
        imported = [record.name for record in records if record.state == "imported"]
        if imported:
            raise Conflict(f"{imported[0]} was imported already; restart to import it again.")
        other = [record.name for record in records if record.state not in IMPORTABLE]
        if other:
            message = f"{other[0]} is not an uploaded spreadsheet."
            raise ValidationFailed(message, fields={"file_ids": [message]})
    if not records:
        message = "No uploaded file waits to be imported; upload one first."
        raise ValidationFailed(message, fields={"file_ids": [message]})
    return _start("dataimport_import", import_id=data_import.id,
                  file_ids=[record.id for record in records], publish=data["publish"])


@_endpoint(f"{IMPORT}/validate", "imports_validate", JobRunSchema, status=202)
def validate_import(import_id: int):
    """Validate the rows that are yet to validate (a job); answers 202 with the run."""
    data_import = _get_import(import_id)
    require("write", data_import)
    return _start("dataimport_validate", import_id=data_import.id)


@_endpoint(f"{IMPORT}/publish", "imports_publish", JobRunSchema, status=202)
@blueprint.arguments(schemas.ImportPublishSchema)
def publish_import(data: dict, import_id: int):
    """Publish ready rows to the target (a job).

    ``row_ids`` names rows that are ready to publish; by default every ready row goes.
    The run's result has the batch and its counts (inserted, updated, unchanged, failed).
    """
    data_import = _get_import(import_id)
    require("write", data_import)
    require("create", PublishBatch)  # customers fix rows; agents publish them
    if data["row_ids"] is not None:
        found = dict(db.session.execute(
            scoped(StagingRow).with_only_columns(StagingRow.id, StagingRow.status)
            .where(StagingRow.import_id == data_import.id, StagingRow.id.in_(data["row_ids"]))
        ).all())
        unknown = sorted(set(data["row_ids"]) - set(found))
        not_ready = sorted(row_id for row_id, status in found.items() if status != "ready")
        if unknown or not_ready:
            message = (f"No row {unknown[0]} in this import." if unknown
                       else f"Row {not_ready[0]} is not ready to publish.")
            raise ValidationFailed(message, fields={"row_ids": [message]})
        if not found:
            message = "Name one or more rows, or leave row_ids out to publish every ready row."
            raise ValidationFailed(message, fields={"row_ids": [message]})
    return _start("dataimport_publish", import_id=data_import.id, row_ids=data["row_ids"])


@_endpoint(f"{IMPORT}/restart", "imports_restart", schemas.DataImportRestartedSchema)
@blueprint.arguments(schemas.ImportRestartSchema)
def restart_import(data: dict, import_id: int):
    """Restart an import: clear every staging row.

    Needs ``{"confirm": true}``. Published records stay; the files go back to uploaded.
    Refused while a job works on the import (409).
    """
    data_import = _get_import(import_id)
    if not data["confirm"]:
        message = "Restarting clears every staging row of the import; send confirm: true."
        raise ValidationFailed(message, fields={"confirm": [message]})
    require("write", data_import)
    require("delete", StagingRow)  # customers fix rows; agents clear them
    _refuse_if_busy(data_import, "restart")
    cleared = staging.restart(data_import)
    db.session.commit()
    return {**_describe(data_import), "cleared": cleared}


# --- batches -----------------------------------------------------------------------------


@_endpoint(f"{IMPORT}/batches", "batches_list", schemas.PublishBatchSchema, method="GET",
           spec=BATCHES)
def list_batches(import_id: int):
    """List the publish batches of an import, newest first."""
    data_import = _get_import(import_id)
    return page_response(scoped(PublishBatch).where(PublishBatch.import_id == data_import.id),
                         BATCHES, _batch, PublishBatch)


@_endpoint("/batches/<int:batch_id>/undo", "batches_undo", JobRunSchema, status=202)
def undo_batch(batch_id: int):
    """Undo a publish batch (a job).

    Deletes the records it inserted and restores the values it updated; its rows are
    ready to publish again. Only the newest batch not yet undone (else 409); answers 202
    with the run.
    """
    import_id = db.session.scalar(select(PublishBatch.import_id)
                                  .where(PublishBatch.id == batch_id))
    if import_id is None:
        raise NotFound(f"No batch with id {batch_id}.")
    data_import = _get_import(import_id)  # another tenant's batch: 404
    batch = get_or_404(PublishBatch, batch_id)
    check_undo(batch)
    _refuse_if_busy(data_import, "undo")
    return _start("dataimport_undo", import_id=data_import.id, batch_id=batch.id)


# --- rows --------------------------------------------------------------------------------


@_endpoint(f"{IMPORT}/rows", "rows_list", schemas.StagingRowSchema, method="GET", spec=ROWS)
def list_rows(import_id: int):
    """List the staging rows of an import, with their problems.

    Filter by ``status`` (yet_to_validate, needs_attention, ready, published) or
    ``file_id``; ``q`` searches the values.
    """
    data_import = _get_import(import_id)
    status = request.args.get("status")
    if status and status not in ROW_STATUSES:
        message = f"Use one of: {', '.join(ROW_STATUSES)}."
        raise ValidationFailed(f"No row status {status!r}. {message}",
                               fields={"status": [message]})
    stmt = scoped(StagingRow).where(StagingRow.import_id == data_import.id)
    query = (request.args.get("q") or "").strip().lower()
    if query:
        stmt = stmt.where(_values_hold(query))
    return page_response(stmt, ROWS, _row, StagingRow, exclude=("q",))


def _values_hold(query: str):
    """A row's values hold ``query`` (their JSON text stores non-ASCII letters escaped)."""
    text = func.lower(cast(StagingRow.values, String))
    needles = {query, json.dumps(query)[1:-1]}
    return or_(*(text.contains(needle, autoescape=True) for needle in sorted(needles)))


@_endpoint(f"{IMPORT}/rows/<int:row_id>", "rows_update", schemas.StagingRowSchema,
           method="PATCH")
@blueprint.arguments(schemas.StagingRowUpdateSchema)
def update_row(data: dict, import_id: int, row_id: int):
    """Change cells of a staging row.

    ``values`` maps target fields to new values; the row goes back to yet to validate.
    An unknown field is refused (422), a published row too (409).
    """
    row = _child(StagingRow, row_id, _get_import(import_id))
    staging.edit_row(row, data["values"])
    db.session.commit()
    return dump(_row, row)


# --- validation assist -------------------------------------------------------------------


add_resource(blueprint, "/rules", ValidationRule, schemas.ValidationRuleSchema, RULES,
             create=(schemas.ValidationRuleCreateSchema, assist.create_rule),
             update=(schemas.ValidationRuleSchema, assist.update_rule),
             delete=assist.delete_rule)


@_endpoint("/validators", "validators_list", schemas.ImportValidatorSchema(many=True),
           method="GET")
def list_validators():
    """List the validator kinds rules can use.

    The built-in field kinds and the validators plugins registered; ``kind`` says whether
    a field-level (``field``) or a record-level (``record``) rule uses it.
    """
    require("read", ValidationRule)
    return assist.validator_kinds()


@_endpoint("/targets", "targets_list", schemas.ImportTargetSchema(many=True), method="GET")
def list_targets():
    """List the import targets.

    Each with its importable fields (type, required, choices, max_length, minimum, maximum,
    reference) and the natural key publishing upserts by.
    """
    require("read", DataImport)
    return schemas.ImportTargetSchema(many=True).dump(
        current_app.extensions["onward"].registries.import_targets.values())


@_endpoint("/targets/<key>/template", "targets_template", method="GET",
           download=exports.XLSX_TYPE)
def download_template(key: str):
    """Download the XLSX template of an import target.

    Named after the target (``locations template.xlsx``): the data sheet with a column per
    importable field, drop-down lists and date formats, and an instructions sheet.
    """
    require("read", DataImport)
    return exports.template_download(config.found_target(key))
