"""Imports and staging: the import of a task, its files, and their rows in staging.

Files are stored under the instance folder and read a chunk at a time; every chunk is
validated while it is in memory (as the seed's *Import* does: rows arrive *Ready to
publish* or *Needs attention*) and goes to the staging table in one bulk statement. Rows
hold JSON-safe values: dates as ISO text, error cells as ``{"error": "#N/A"}``.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, NamedTuple

from flask import current_app
from sqlalchemy import delete, select
from werkzeug.utils import secure_filename

from onward import (
    Conflict,
    NotFound,
    ValidationFailed,
    db,
    dump_json,
    fewer_collections,
    json_text,
    require,
    utcnow,
    write_columns,
)
from onward.plugins.dataimport.config import setting, target_of
from onward.plugins.dataimport.forked import can_fork, forked_map
from onward.plugins.dataimport.mapping import ColumnMap, Matching, columns_for
from onward.plugins.dataimport.models import DataImport, ImportFile, StagingRow
from onward.plugins.dataimport.publish import Publisher, pick
from onward.plugins.dataimport.reader import workbook
from onward.plugins.dataimport.reader.cells import json_safe, json_safe_column
from onward.plugins.dataimport.rowstatus import status_counts
from onward.plugins.dataimport.validation import (
    First,
    Plan,
    check_columns,
    check_records,
    earlier_rows,
    plan_for,
    sort_new_rows,
)
from onward.plugins.onboarding.models import CaseTask

#: the longest natural key staging keeps whole (it only finds duplicates)
KEY_LENGTH = 255


def staging_name(data_import: DataImport) -> str:
    """The import's staging table as agents know it: the data source's, else the target's."""
    source = data_import.source
    return (source.staging_name if source and source.staging_name
            else f"dataimport_{data_import.target}")


def import_of_task(task: CaseTask, target: str | None = None) -> DataImport:
    """The import of ``task`` (made on first use for ``target``)."""
    found = db.session.scalar(select(DataImport).where(DataImport.task_id == task.id))
    if found is not None:
        if target and target != found.target:
            raise Conflict(f"Task {task.number} imports {found.target}, not {target}.")
        return found
    if not target:
        message = f"Task {task.number} has no import yet: name its target."
        raise ValidationFailed(message, fields={"target": [message]})
    target_of(target)
    data_import = DataImport(task_id=task.id, target=target, account_id=task.account_id,
                             domain_id=task.domain_id)
    require("create", data_import)
    db.session.add(data_import)
    db.session.flush()
    return data_import


def uploads_folder() -> Path:
    """Where uploaded files are kept (made when missing)."""
    folder = Path(current_app.instance_path) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def add_file(data_import: DataImport, name: str, stream: IO[bytes]) -> ImportFile:
    """Keep an uploaded file of ``data_import`` (size-limited; checked when imported).

    Its name is made safe and unique within the import (``locations_2.xlsx`` for a second
    ``locations.xlsx``): rows and their problems name their file.
    """
    record = ImportFile(import_id=data_import.id, account_id=data_import.account_id,
                        domain_id=data_import.domain_id,
                        name=_unique_name(data_import, secure_filename(name) or "upload.xlsx"))
    require("create", record)
    limit = setting("IMPORT_MAX_BYTES")
    stored = f"{uuid.uuid4().hex}.xlsx"
    digest, size = hashlib.sha256(), 0
    path = uploads_folder() / stored
    with path.open("wb") as out:
        while block := stream.read(1 << 16):
            size += len(block)
            if size > limit:
                out.close()
                path.unlink()
                message = (f"{record.name} is larger than the limit of "
                           f"{limit // (1024 * 1024)} MB.")
                raise ValidationFailed(message, fields={"file": [message]})
            digest.update(block)
            out.write(block)
    record.size, record.sha256, record.path = size, digest.hexdigest(), stored
    db.session.add(record)
    db.session.flush()
    return record


def _unique_name(data_import: DataImport, name: str) -> str:
    """The first of ``name``, ``name_2``, ``name_3`` … that no file of the import has."""
    taken = set(db.session.scalars(select(ImportFile.name).where(
        ImportFile.import_id == data_import.id)))
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{stem}_{number}{dot}{suffix}"
    return candidate


def file_path(record: ImportFile) -> Path:
    """The stored bytes of ``record``."""
    return uploads_folder() / record.path


def natural_key(values: dict[str, Any], fields: tuple[str, ...]) -> str:
    """The natural key's values as one text (case and spaces ignored), for SQL checks.

    A key longer than the column keeps its start and a digest of the whole, so two keys
    that differ only at the end stay apart. A NUL (which PostgreSQL's text cannot hold) is
    left out: such a row needs attention anyway.
    """
    parts = []
    for name in fields:
        value = values.get(name)
        parts.append("" if value is None else " ".join(str(value).split()).casefold())
    key = "\x1f".join(parts).replace("\x00", "")
    if len(key) <= KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{key[:KEY_LENGTH - len(digest) - 1]}#{digest}"


def _column_problems(matching: Matching) -> str:
    problems = [f"column {label!r} matches no field"
                + (f" (did you mean {' or '.join(repr(h) for h in hints)}?)" if hints else "")
                for label, hints in matching.unmatched.items()]
    problems += [f"no column holds the required field {title!r}" for title in matching.missing]
    return "; ".join(problems)


@fewer_collections()
def stage_file(data_import: DataImport, record: ImportFile, *,
               progress: Callable[[int], None] | None = None,
               publisher: Publisher | None = None) -> int:
    """Read ``record`` into staging, validating its rows; returns the number of rows staged.

    ``progress(rows so far)`` is called after each chunk (a job commits there). With a
    ``publisher``, each chunk's ready rows are published as they are staged, from the
    values as read (no second pass over staging): they arrive *Published*, or *Needs
    attention* when the target refuses them.

    A file that is not a readable XLSX table, or has a column that matches no field, or
    lacks a required field's column, stages nothing: the file is marked ``refused`` and
    its ``message`` says why (the file itself stays, so nothing is lost; what a
    publisher published from it is taken back).
    """
    require("write", data_import)
    target = target_of(data_import.target)
    stored = data_import.source.columns if data_import.source else None
    mark = publisher.mark() if publisher else None
    try:
        staged = _stage(data_import, record, target, stored, progress, publisher)
    except ValidationFailed as refused:  # damage found part-way: take back what was staged
        if publisher:
            publisher.take_back(mark)
        db.session.execute(delete(StagingRow).where(StagingRow.import_id == data_import.id,
                                                    StagingRow.file_id == record.id))
        record.state, record.rows, record.message = "refused", 0, refused.message
        data_import.state = "loaded" if status_counts(data_import) else "not_loaded"
        db.session.flush()
        return 0
    record.state, record.rows, record.message = "imported", staged, ""
    data_import.state = "validated"
    db.session.flush()
    return staged


def _stage(data_import, record, target, stored, progress, publisher) -> int:
    with workbook.read(file_path(record), chunk_size=setting("IMPORT_CHUNK_ROWS"),
                       max_bytes=setting("IMPORT_MAX_BYTES"),
                       calamine_max_rows=setting("IMPORT_CALAMINE_MAX_ROWS")) as table:
        matching = columns_for(stored, target, table.headers)
        problems = _column_problems(matching)
        if problems:
            above = (f" The header was taken from row {table.header_row}. {table.header_hint}"
                     if table.header_hint else "")
            raise ValidationFailed(f"{record.name}: {problems}.{above}")
        mapped = [(index, column) for index, column in enumerate(matching.columns)
                  if column.field]
        data_import.state = "loading"
        plan, staged = publisher.plan if publisher else plan_for(data_import), 0
        prepare = functools.partial(prepare_chunk, plan, mapped, _file_keys(data_import, table))
        for prepared in (forked_map(prepare, table.chunks()) if _in_child_process(table)
                         else map(prepare, table.chunks())):
            staged += _insert_chunk(data_import, record, plan, prepared, publisher)
            if progress:
                progress(staged)
    return staged


def _file_keys(data_import: DataImport, table: workbook.SheetTable
               ) -> dict[str, First | int] | None:
    """Where the file's natural keys are kept while it is read: ``{}`` to fill, or ``None``.

    Into an import without rows, a row can only repeat a row of its own file: when the
    reader holds the sheet in memory anyway (python-calamine), its keys (a fraction of
    its size) are kept beside it instead of looked up in staging a chunk at a time. The
    streaming reader keeps memory flat: its rows' keys are looked up.
    """
    empty = db.session.scalar(select(StagingRow.id).where(
        StagingRow.import_id == data_import.id).limit(1)) is None
    return {} if empty and table.engine == "calamine" else None


def _in_child_process(table: workbook.SheetTable) -> bool:
    """Whether the sheet's rows are read and checked in a child process (large sheets)."""
    return can_fork() and (table.last_row - table.header_row
                           >= setting("IMPORT_CHILD_PROCESS_MIN_ROWS"))


class PreparedChunk(NamedTuple):
    """A chunk of rows as far as :func:`prepare_chunk` takes them without the database."""

    #: each row's number in the sheet
    numbers: list[int]
    #: the cells (transformed) of the fields checked against the database, by field
    cells: dict[str, list[Any]]
    #: the converted values of the other fields, by field
    converted: dict[str, list[Any]]
    #: each row's problems so far
    problems: list[list[dict[str, str]]]
    #: each row's values as staging keeps them: JSON text
    values: list[str]
    #: each row's values (JSON-safe) for the record validators, when the plan has any
    staged: list[dict[str, Any]] | None
    #: each row's natural key
    keys: list[str]
    #: each row's earlier row of the file with its natural key (:func:`earlier_rows`),
    #: where the file's keys are kept in memory; else ``None``: looked up in staging
    firsts: list[First | None] | None


def prepare_chunk(plan: Plan, mapped: list[tuple[int, ColumnMap]],
                  file_keys: dict[str, First | int] | None, chunk) -> PreparedChunk:
    """What a chunk of rows becomes without the database: Python work only.

    The cells are transformed and checked column by column as read (a date cell is a
    date, not text to parse), apart from the fields whose checks need the database, then
    kept JSON-safe; with ``file_keys`` (:func:`_file_keys`), the rows' keys are looked
    up there and join it. A large sheet runs this in a child process
    (:func:`forked_map`), which keeps its own ``file_keys``, while this one writes the
    chunk before.
    """
    count = len(chunk)
    columns = {column.field: column.apply_all([row.values[index] for row in chunk])
               for index, column in mapped}
    converted, problems = check_columns(plan, None, columns, count,
                                        [item for item in plan.fields if item.pure])
    names = list(columns)
    staged = [dict(zip(names, values, strict=True)) for values in zip(
        *map(json_safe_column, columns.values()), strict=True)]
    numbers = [row.number for row in chunk]
    keys = [natural_key(values, plan.target.natural_key) for values in staged]
    return PreparedChunk(
        numbers=numbers,
        cells={item.field.name: columns[item.field.name] for item in plan.fields
               if not item.pure and item.field.name in columns},
        converted=converted, problems=problems, values=list(map(dump_json, staged)),
        staged=staged if plan.records else None, keys=keys,
        firsts=None if file_keys is None else earlier_rows(keys, numbers, file_keys))


def _insert_chunk(data_import: DataImport, record: ImportFile, plan: Plan,
                  prepared: PreparedChunk, publisher: Publisher | None) -> int:
    """A prepared chunk, checked against the database, into staging in one bulk statement.

    No ORM objects: the staging rows are written a column at a time.
    """
    count, converted, problems = len(prepared.numbers), prepared.converted, prepared.problems
    looked_up = [item for item in plan.fields if not item.pure]
    if looked_up:
        found, more = check_columns(plan, data_import, prepared.cells, count, looked_up)
        converted = {**converted, **found}
        order = {item.field.name: index for index, item in enumerate(plan.fields)}
        for row_problems, extra in zip(problems, more, strict=True):
            if extra:  # the row's problems in the order of the fields
                row_problems.extend(extra)
                row_problems.sort(key=lambda problem: order[problem["field"]])
    if plan.records:
        check_records(plan, data_import, prepared.staged, problems)
    statuses = sort_new_rows(plan, data_import, record, prepared.keys, prepared.numbers,
                             problems, prepared.firsts)
    batch_ids = record_ids = [None] * count
    if publisher:
        batch_ids, record_ids = _publish_ready(publisher, statuses, problems, converted)
    # PostgreSQL copies the rows in while the next chunk is read and checked
    write_columns(db.session.connection(), StagingRow.__table__, {
        "import_id": [data_import.id] * count, "file_id": [record.id] * count,
        "account_id": [data_import.account_id] * count,
        "domain_id": [data_import.domain_id] * count, "created_at": [utcnow()] * count,
        "row_number": prepared.numbers, "values": list(map(json_text, prepared.values)),
        "natural_key": prepared.keys, "status": statuses, "problems": problems,
        "batch_id": batch_ids, "record_id": record_ids}, wait=False)
    return count


def _publish_ready(publisher: Publisher, statuses: list[str],
                   problems: list[list[dict[str, str]]], converted: dict[str, list[Any]]
                   ) -> tuple[list[int | None], list[int | None]]:
    """Publish a chunk's ready rows from their converted values.

    Their statuses and problems follow the outcome; returns each row's batch id and
    record id (``None`` where it was not published).
    """
    ready = [position for position, status in enumerate(statuses) if status == "ready"]
    published, failed = publisher.write(ready, pick(converted, ready))
    batch_ids, record_ids = [None] * len(statuses), [None] * len(statuses)
    for position, record_id in published:
        statuses[position], record_ids[position] = "published", record_id
        batch_ids[position] = publisher.batch.id
    for position, found in failed:
        statuses[position], problems[position] = "needs_attention", found
    return batch_ids, record_ids


def edit_row(row: StagingRow, values: dict[str, Any]) -> StagingRow:
    """Change cells of a staging row; it goes back to *Yet to validate*."""
    require("write", row)
    if row.status == "published":
        raise Conflict(f"Row {row.row_number} is published; change the record itself.")
    target = target_of(db.session.get(DataImport, row.import_id).target)
    known = {item.name for item in target.fields}
    unknown = sorted(set(values) - known)
    if unknown:
        message = f"{target.label} has no field {unknown[0]!r}."
        raise ValidationFailed(message, fields={unknown[0]: [message]})
    row.values = {**row.values, **{name: json_safe(value) for name, value in values.items()}}
    row.natural_key = natural_key(row.values, target.natural_key)
    row.status, row.problems = "yet_to_validate", []
    db.session.flush()
    return row


def restart(data_import: DataImport) -> int:
    """Clear every staging row of the import (published records stay); returns how many."""
    require("write", data_import)
    require("delete", StagingRow)  # agents only: customers fix rows, never clear them
    cleared = db.session.execute(delete(StagingRow).where(
        StagingRow.import_id == data_import.id)).rowcount
    for record in data_import.files:
        if record.state != "backup":
            record.state, record.rows = "uploaded", 0
    data_import.state = "not_loaded"
    db.session.flush()
    return cleared


def get_row(data_import: DataImport, row_id: int) -> StagingRow:
    """A staging row of ``data_import`` (404 when it is another import's)."""
    row = db.session.get(StagingRow, row_id)
    if row is None or row.import_id != data_import.id:
        raise NotFound(f"No row {row_id} in this import.")
    return row
