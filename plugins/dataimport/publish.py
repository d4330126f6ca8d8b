"""Publishing: ready staging rows into the target, by natural key, in undoable batches.

Each chunk is written inside a savepoint: its new records with one bulk insert
(:func:`onward.insert_many`, one ``<table>.bulk_created`` event per chunk) and its updates
through the ORM, so the target's business rules, numbering and audit log apply as for any
other writer; its rows stay locked until it is written, so a fix saved meanwhile waits.
A record a rule refuses on insert fails alone and the chunk is written again without it;
when a chunk is refused otherwise, its rows are retried one by one and only the refused
ones fail (they go to *Needs attention* with the rule's message). A batch records what it
inserted (runs of ids) and the old values of what it updated (a :class:`BatchUpdate` row
per record, written with its chunk), so :func:`undo` can take it back.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from onward import (
    Conflict,
    OnwardError,
    among,
    current_actor,
    db,
    fewer_collections,
    insert_many,
    require,
    utcnow,
    write_rows,
)
from onward.plugins.dataimport import rowstatus
from onward.plugins.dataimport.config import setting
from onward.plugins.dataimport.models import BatchUpdate, DataImport, PublishBatch, StagingRow
from onward.plugins.dataimport.rowstatus import status_counts
from onward.plugins.dataimport.validation import Plan, check_values, plan_for


def _key(values: dict[str, Any], fields: tuple[str, ...]) -> tuple:
    return tuple(v.casefold() if isinstance(v, str) else v
                 for v in (values.get(name) for name in fields))


def _existing(plan: Plan, data_import: DataImport, keys: list[tuple]) -> dict[tuple, Any]:
    """The target's records with these natural keys (in the import's account).

    Text is compared lower-cased: an index on ``lower(column)`` (with the account column
    first) keeps this lookup fast however many records the target holds.
    """
    target, model = plan.target, plan.target.model
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    columns = [getattr(model, name) for name in target.natural_key]
    compared = [func.lower(c) if plan.target.field(c.key).type in ("string", "email", "text")
                else c for c in columns]
    stmt = select(model).where(among(compared[0], [key for key, in keys]) if len(compared) == 1
                               else among(compared, keys))
    if target.account_field:
        stmt = stmt.where(getattr(model, target.account_field) == data_import.account_id)
    return {_key({c.key: getattr(record, c.key) for c in columns}, target.natural_key): record
            for record in db.session.scalars(stmt)}


def _add_spans(spans: list[list[int]], ids: list[int]) -> None:
    """Add ``ids`` to ``spans``, ``[first, last]`` runs of consecutive ids (kept short)."""
    for record_id in ids:
        if spans and spans[-1][1] + 1 == record_id:
            spans[-1][1] = record_id
        else:
            spans.append([record_id, record_id])


class _Outcome:
    """What a publish run did so far: counts, undo data and the staging rows to update."""

    def __init__(self) -> None:
        self.counts = {"inserted": 0, "updated": 0, "unchanged": 0, "failed": 0}
        #: runs of inserted ids, ``[first, last]``
        self.inserted: list[list[int]] = []
        #: this chunk's updated records: record id -> old values
        self.updated: dict[int, dict[str, Any]] = {}
        #: staging rows to mark: (row id, record id) published, (row id, problems) failed
        self.published: list[tuple[int, int]] = []
        self.failed: list[tuple[int, list[dict[str, str]]]] = []

    def saved(self) -> tuple:
        """A copy to go back to when a chunk is refused."""
        return (dict(self.counts), [list(span) for span in self.inserted], dict(self.updated))

    def restore(self, saved: tuple) -> None:
        """Go back to :meth:`saved`."""
        self.counts, self.inserted, self.updated = saved

    def fail(self, row_id: int, problems: list[dict[str, str]]) -> None:
        """A row that could not be published goes back to *Needs attention*."""
        self.counts["failed"] += 1
        self.failed.append((row_id, problems))

    def write(self, batch: PublishBatch) -> None:
        """Write the chunk's outcome: staging rows' statuses, the batch's counts and undo data."""
        rowstatus.mark_published(self.published, batch.id)
        rowstatus.mark_needs_attention(self.failed)
        write_rows(db.session.connection(), BatchUpdate.__table__,
                   [{"batch_id": batch.id, "record_id": record_id, "old": old}
                    for record_id, old in self.updated.items()])
        self.published, self.failed, self.updated = [], [], {}
        for name, count in self.counts.items():
            setattr(batch, name, count)
        batch.undo = {"inserted": [list(span) for span in self.inserted]}
        db.session.flush()


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _new_record(plan: Plan, data_import: DataImport) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new record's values besides its cells: (under them, over them).

    Under: the columns' scalar defaults (what a blank cell inserts) and the import's
    domain; over: the import's account.
    """
    target = plan.target
    under = dict(_column_defaults(target.model, tuple(item.name for item in target.fields)))
    if hasattr(target.model, "domain_id"):
        under["domain_id"] = data_import.domain_id
    over = {target.account_field: data_import.account_id} if target.account_field else {}
    return under, over


@functools.cache
def _column_defaults(model: type, names: tuple[str, ...]) -> dict[str, Any]:
    columns = sa.inspect(model).local_table.columns
    return {name: columns[name].default.arg
            if columns[name].default is not None and columns[name].default.is_scalar else None
            for name in names}


def _write(plan: Plan, new_record: tuple[dict[str, Any], dict[str, Any]],
           values: dict[str, Any], key: tuple, existing, outcome: _Outcome) -> tuple[Any, bool]:
    """Update one record (not flushed) or stage a new one; returns it and whether it is new.

    A new record is a ``SimpleNamespace`` of its values (see :func:`_new_record`) until
    :func:`_write_all` inserts it.
    """
    target = plan.target
    fields = {name: value for name, value in values.items() if value is not None}
    record = existing.get(key)
    if record is None:
        under, over = new_record
        record = existing[key] = SimpleNamespace(**{**under, **fields, **over})
        outcome.counts["inserted"] += 1
        return record, True
    old = {name: getattr(record, name) for name, value in fields.items()
           if name not in target.natural_key and getattr(record, name) != value}
    if not old:
        outcome.counts["unchanged"] += 1
        return record, False
    for name in old:
        setattr(record, name, fields[name])
    outcome.counts["updated"] += 1
    if not isinstance(record, SimpleNamespace):  # undo deletes a record inserted in the batch
        outcome.updated.setdefault(record.id,
                                   {name: _plain(value) for name, value in old.items()})
    return record, False


def _write_all(plan, data_import, good, existing, outcome) -> list[tuple[Any, Any]]:
    """Write rows in one savepoint: updates in one flush, new records in one bulk insert.

    Returns (row, record) pairs. A rule's refusal of a new record carries that record's
    staging row as ``row``.
    """
    with db.session.begin_nested():
        new_record = _new_record(plan, data_import)
        written = [(row, *_write(plan, new_record, values, key, existing, outcome))
                   for row, values, key in good]
        db.session.flush()
        new = [(row, record) for row, record, is_new in written if is_new]
        try:
            ids = insert_many(plan.target.model, [vars(record) for _, record in new],
                              events="batch")
        except OnwardError as refused:
            if getattr(refused, "index", None) is not None:
                refused.row = new[refused.index][0]
            raise
    for (_, record), record_id in zip(new, ids, strict=True):
        record.id = record_id
    _add_spans(outcome.inserted, ids)
    return [(row, record) for row, record, _ in written]


#: rule refusals of new records a chunk is written again for, before going one row at a time
_BULK_RETRIES = 3


def _publish_chunk(plan, data_import, batch, chunk, outcome: _Outcome) -> None:
    converted, problems = check_values(plan, data_import, [row.values for row in chunk])
    keys = [_key(values, plan.target.natural_key) for values in converted]
    existing = _existing(plan, data_import, keys)
    good = []
    for row, values, key, found in zip(chunk, converted, keys, problems, strict=True):
        if found:
            outcome.fail(row.id, found)
        else:
            good.append((row, values, key))
    written, retries = None, _BULK_RETRIES
    while written is None:
        before = outcome.saved()
        try:
            written = _write_all(plan, data_import, good, existing, outcome)
        except (OnwardError, IntegrityError) as refused:
            outcome.restore(before)
            existing.clear()
            existing.update(_existing(plan, data_import, keys))
            row, retries = getattr(refused, "row", None), retries - 1
            if row is None or retries < 0:
                break
            outcome.fail(row.id, [{"field": "", "column": "", "message": _message(refused)}])
            good = [item for item in good if item[0] is not row]
    if written is None:  # find the rows refused, one by one
        written = []
        for item in good:
            saved = outcome.saved()
            try:
                written += _write_all(plan, data_import, [item], existing, outcome)
            except (OnwardError, IntegrityError) as refused:
                outcome.restore(saved)
                existing.clear()
                existing.update(_existing(plan, data_import, keys))
                outcome.fail(item[0].id,
                             [{"field": "", "column": "", "message": _message(refused)}])
    outcome.published.extend((row.id, record.id) for row, record in written)


def _message(refused: Exception) -> str:
    return getattr(refused, "message", None) or "the database refused the row"


@fewer_collections()
def publish(data_import: DataImport, row_ids: list[int] | None = None, *,
            progress: Callable[[int, int], None] | None = None) -> PublishBatch:
    """Publish the *Ready to publish* rows (or only ``row_ids`` of them) to the target.

    Returns the batch with its counts: inserted, updated, unchanged and failed. The batch's
    counts and undo data follow each chunk, and ``progress(done, total)`` is called after
    it (a job commits there): a run that dies part-way leaves a batch that undoes what it
    published, and the rows it did not reach still ready.
    """
    require("write", data_import)
    require("create", PublishBatch)  # agents publish; customers only fix and validate
    plan = plan_for(data_import)
    batch = PublishBatch(import_id=data_import.id,
                         created_by_id=getattr(current_actor(), "id", None))
    db.session.add(batch)
    data_import.state = "publishing"
    db.session.flush()
    ready = [StagingRow.import_id == data_import.id, StagingRow.status == "ready"]
    if row_ids is not None:
        ready.append(StagingRow.id.in_(row_ids))
    total = db.session.scalar(select(func.count()).select_from(StagingRow).where(*ready))
    outcome, last_id, size, done = _Outcome(), 0, setting("IMPORT_CHUNK_ROWS"), 0
    while True:
        chunk = db.session.execute(
            select(StagingRow.id, StagingRow.values).where(*ready, StagingRow.id > last_id)
            .order_by(StagingRow.id).limit(size).with_for_update()).all()
        if not chunk:
            break
        last_id = chunk[-1].id
        _publish_chunk(plan, data_import, batch, chunk, outcome)
        outcome.write(batch)
        done += len(chunk)
        if progress:
            progress(done, max(total, done))
    data_import.state = ("published" if not status_counts(data_import).get("ready")
                         else "validated")
    db.session.flush()
    return batch


def undo(batch: PublishBatch) -> PublishBatch:
    """Take a batch back: delete what it inserted, restore what it updated."""
    data_import = db.session.get(DataImport, batch.import_id)
    require("write", data_import)
    require("write", PublishBatch)
    if batch.undone_at is not None:
        raise Conflict(f"Batch {batch.id} was undone already.")
    later = db.session.scalar(select(PublishBatch.id).where(
        PublishBatch.import_id == batch.import_id, PublishBatch.id > batch.id,
        PublishBatch.undone_at.is_(None)))
    if later is not None:
        raise Conflict(f"Undo batch {later} first: batches are undone newest first.")
    plan = plan_for(data_import)
    _restore_updated(plan, batch)
    model = plan.target.model
    for first, last in reversed(batch.undo.get("inserted") or []):
        for record in db.session.scalars(select(model).where(model.id.between(first, last))
                                         .order_by(model.id.desc())):
            db.session.delete(record)
        db.session.flush()
    db.session.execute(update(StagingRow).where(StagingRow.batch_id == batch.id)
                       .values(status="ready", batch_id=None, record_id=None))
    batch.undone_at = utcnow()
    data_import.state = "validated"
    db.session.flush()
    return batch


def _restore_updated(plan: Plan, batch: PublishBatch) -> None:
    """Give the records the batch updated their old values back, a slice at a time.

    Newest first: when the batch changed a record twice, its oldest values are the last
    set.
    """
    model, last_id = plan.target.model, None
    while True:
        stmt = (select(BatchUpdate.id, BatchUpdate.record_id, BatchUpdate.old)
                .where(BatchUpdate.batch_id == batch.id).order_by(BatchUpdate.id.desc())
                .limit(setting("IMPORT_CHUNK_ROWS")))
        if last_id is not None:
            stmt = stmt.where(BatchUpdate.id < last_id)
        changes = db.session.execute(stmt).all()
        if not changes:
            return
        last_id = changes[-1].id
        records = {record.id: record for record in db.session.scalars(
            select(model).where(among(model.id, {change.record_id for change in changes})))}
        for change in changes:
            record = records.get(change.record_id)
            for name, value in (change.old.items() if record is not None else ()):
                setattr(record, name, _typed(plan, name, value))
        db.session.flush()


def _typed(plan: Plan, name: str, value: Any) -> Any:
    """An old value as kept in the batch (dates as ISO text) back in its type."""
    import datetime as dt

    kind = plan.target.field(name).type
    if value is not None and kind == "date":
        return dt.date.fromisoformat(value)
    if value is not None and kind == "datetime":
        return dt.datetime.fromisoformat(value)
    return value
