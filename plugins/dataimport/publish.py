"""Publishing: ready staging rows into the target, by natural key, in undoable batches.

Each chunk is written inside a savepoint: its new records with one bulk insert
(:func:`onward.insert_columns`, one ``<table>.bulk_created`` event per chunk) and its updates
through the ORM (one ``<table>.bulk_updated`` event per chunk; undo's deletes likewise), so
the target's business rules, numbering and audit log apply as for any other writer; its
rows stay locked until it is written, so a fix saved meanwhile waits.
A record a rule refuses on insert fails alone and the chunk is written again without it;
when a chunk is refused otherwise, its rows are retried one by one and only the refused
ones fail (they go to *Needs attention* with the rule's message). A batch records what it
inserted (runs of ids) and the old values of what it updated (a :class:`BatchUpdate` row
per record, written with its chunk), so :func:`undo` can take it back.

A :class:`Publisher` writes one batch from converted rows: :func:`publish` feeds it the
ready rows of staging, and an import that publishes as it stages feeds it each chunk's
ready rows as read (the one pass).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from onward import (
    Conflict,
    OnwardError,
    among,
    batch_events,
    current_actor,
    db,
    delete_many,
    fewer_collections,
    insert_columns,
    require,
    utcnow,
    write_rows,
)
from onward.plugins.dataimport import rowstatus
from onward.plugins.dataimport.config import setting
from onward.plugins.dataimport.models import BatchUpdate, DataImport, PublishBatch, StagingRow
from onward.plugins.dataimport.rowstatus import status_counts
from onward.plugins.dataimport.validation import Plan, check_values, plan_for


def _keys(columns: dict[str, list[Any]], fields: tuple[str, ...], count: int) -> list[tuple]:
    """Each row's natural key as compared with the target's (text lower-cased)."""
    parts = [[v.casefold() if isinstance(v, str) else v for v in columns[name]]
             if name in columns else [None] * count for name in fields]
    return list(zip(*parts, strict=True))


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
    return {tuple(v.casefold() if isinstance(v, str) else v
                  for v in (getattr(record, c.key) for c in columns)): record
            for record in db.session.scalars(stmt)}


def pick(columns: dict[str, list[Any]], positions: list[int]) -> dict[str, list[Any]]:
    """New lists of the values at ``positions`` (ascending, distinct) of each column.

    Taken in C, not by a loop per value.
    """
    if len(positions) == len(next(iter(columns.values()), ())):  # every row
        return {name: list(column) for name, column in columns.items()}
    if len(positions) < 2:  # itemgetter gives a tuple for two or more only
        return {name: [column[position] for position in positions]
                for name, column in columns.items()}
    take = itemgetter(*positions)
    return {name: list(take(column)) for name, column in columns.items()}


def _add_spans(spans: list[list[int]], ids: list[int]) -> None:
    """Add ``ids`` to ``spans``, ``[first, last]`` runs of consecutive ids (kept short)."""
    for record_id in ids:
        if spans and spans[-1][1] + 1 == record_id:
            spans[-1][1] = record_id
        else:
            spans.append([record_id, record_id])


class Publisher:
    """One publish batch as it is written: converted rows in, records out, a chunk at a time.

    :func:`publish` feeds it the ready rows of staging; an import that publishes as it
    stages (:func:`~onward.plugins.dataimport.staging.stage_file` with ``publisher=``)
    feeds it each chunk's ready rows as read. A row is any object standing for a staging
    row, its values come a field at a time; :meth:`write` gives back which were published
    (with their records' ids) and which failed (with their problems).
    """

    def __init__(self, data_import: DataImport, plan: Plan | None = None) -> None:
        require("write", data_import)
        require("create", PublishBatch)  # agents publish; customers only fix and validate
        self.data_import = data_import
        self.plan = plan or plan_for(data_import)
        self.batch = PublishBatch(import_id=data_import.id,
                                  created_by_id=getattr(current_actor(), "id", None))
        db.session.add(self.batch)
        data_import.state = "publishing"
        db.session.flush()
        self.counts = {"inserted": 0, "updated": 0, "unchanged": 0, "failed": 0}
        #: runs of inserted ids, ``[first, last]``
        self.inserted: list[list[int]] = []
        #: this chunk's updated records: record id -> old values
        self.updated: dict[int, dict[str, Any]] = {}
        #: this chunk's rows that could not be published, with their problems
        self.failed: list[tuple[Any, list[dict[str, str]]]] = []

    def fail(self, row: Any, problems: list[dict[str, str]]) -> None:
        """``row`` cannot be published: it goes back to *Needs attention*."""
        self.counts["failed"] += 1
        self.failed.append((row, problems))

    def write(self, rows: Sequence[Any], columns: dict[str, list[Any]]
              ) -> tuple[list[tuple[Any, int]], list[tuple[Any, list[dict[str, str]]]]]:
        """Publish ``rows`` that passed their checks, as one chunk.

        ``columns`` hold their converted values a field at a time (``{field: [value of
        each row]}``). Returns ``(row, record id)`` for the rows published and ``(row,
        problems)`` for those that failed (with any :meth:`fail` named since the last
        chunk); the batch's counts and undo data follow.
        """
        published = self._records(rows, columns)
        failed, self.failed = self.failed, []
        write_rows(db.session.connection(), BatchUpdate.__table__,
                   [{"batch_id": self.batch.id, "record_id": record_id, "old": old}
                    for record_id, old in self.updated.items()])
        self.updated = {}
        for name, count in self.counts.items():
            setattr(self.batch, name, count)
        self.batch.undo = {"inserted": [list(span) for span in self.inserted]}
        db.session.flush()
        return published, failed

    def finish(self) -> PublishBatch:
        """The batch, once every chunk is written; the import's state follows."""
        self.data_import.state = ("published" if not status_counts(self.data_import).get("ready")
                                  else "validated")
        db.session.flush()
        return self.batch

    def mark(self) -> tuple:
        """Where the batch stands now, for :meth:`take_back`."""
        last_update = db.session.scalar(select(func.max(BatchUpdate.id)).where(
            BatchUpdate.batch_id == self.batch.id))
        return self._saved(), last_update or 0

    def take_back(self, mark: tuple) -> None:
        """Undo what the batch wrote since :meth:`mark` gave ``mark``; it goes on from there.

        An import that publishes as it stages takes back a file refused part-way.
        """
        saved, last_update = mark
        cut = saved[1][-1][1] if saved[1] else 0
        with batch_events():
            _restore_updated(self.plan, self.batch, after=last_update)
            _delete_inserted(self.plan, [[max(first, cut + 1), last]
                                         for first, last in self.inserted if last > cut])
        db.session.execute(delete(BatchUpdate).where(BatchUpdate.batch_id == self.batch.id,
                                                     BatchUpdate.id > last_update))
        self._restore(saved)
        self.failed = []
        self.write([], {})

    def _saved(self) -> tuple:
        return (dict(self.counts), [list(span) for span in self.inserted], dict(self.updated))

    def _restore(self, saved: tuple) -> None:
        self.counts, self.inserted, self.updated = saved

    def _records(self, rows: Sequence[Any], columns: dict[str, list[Any]]
                 ) -> list[tuple[Any, int]]:
        """Write the rows' records: ``(row, record id)`` pairs.

        A chunk a rule refuses is written again without the refused row (a few times),
        then one row at a time.
        """
        if not rows:
            return []
        plan, data_import = self.plan, self.data_import
        chunk = _Chunk(rows, columns, _keys(columns, plan.target.natural_key, len(rows)))
        good = list(range(len(rows)))
        existing = _existing(plan, data_import, chunk.keys)
        retries = _BULK_RETRIES
        while True:
            saved = self._saved()
            try:
                return _write_all(self, chunk, good, existing)
            except (OnwardError, IntegrityError) as refused:
                self._restore(saved)
                existing.clear()
                existing.update(_existing(plan, data_import, chunk.keys))
                position, retries = getattr(refused, "position", None), retries - 1
                if position is None or retries < 0:
                    break
                self.fail(rows[position], [_refusal(refused)])
                good.remove(position)
        written = []  # find the rows refused, one by one
        for position in good:
            if isinstance(existing.get(chunk.keys[position]), int):  # inserted a row before
                existing.update(_existing(plan, data_import, [chunk.keys[position]]))
            saved = self._saved()
            try:
                written += _write_all(self, chunk, [position], existing)
            except (OnwardError, IntegrityError) as refused:
                self._restore(saved)
                existing.clear()
                existing.update(_existing(plan, data_import, chunk.keys))
                self.fail(rows[position], [_refusal(refused)])
        return written


class _Chunk(NamedTuple):
    """The rows :meth:`Publisher.write` was given: their values by field, their keys."""

    rows: Sequence[Any]
    columns: dict[str, list[Any]]
    keys: list[tuple]

    def values(self, position: int) -> dict[str, Any]:
        """The values of one row."""
        return {name: column[position] for name, column in self.columns.items()}


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


@functools.cache
def _column_defaults(model: type, names: tuple[str, ...]) -> dict[str, Any]:
    """The fields' scalar column defaults: what a blank cell of a new record becomes."""
    columns = sa.inspect(model).local_table.columns
    return {name: columns[name].default.arg
            for name in names
            if columns[name].default is not None and columns[name].default.is_scalar}


def _write(publisher: Publisher, chunk: _Chunk, position: int, existing: dict[tuple, Any],
           changed: dict[int, dict[str, Any]]) -> Any:
    """Update the record of one row (not flushed), or note that it is new.

    Returns the record, or for a new one the position of the row that makes it (until
    :func:`_write_all` inserts it, a blank cell, ``None``, getting the column's default);
    a later row of the chunk with the same key changes that new record (``changed``).
    """
    target, key = publisher.plan.target, chunk.keys[position]
    record = existing.get(key)
    if record is None:
        existing[key] = position
        publisher.counts["inserted"] += 1
        return position
    values = chunk.values(position)
    if isinstance(record, int):  # a new record of this chunk
        defaults = _column_defaults(target.model, tuple(item.name for item in target.fields))
        first = {**chunk.values(record), **changed.get(record, {})}
        current = {name: defaults.get(name) if first.get(name) is None else first[name]
                   for name in values}
    else:
        current = {name: getattr(record, name) for name in values}
    old = {name: current[name] for name, value in values.items()
           if value is not None and name not in target.natural_key and current[name] != value}
    if not old:
        publisher.counts["unchanged"] += 1
        return record
    publisher.counts["updated"] += 1
    if isinstance(record, int):  # undo deletes a record inserted in the batch
        changed.setdefault(record, {}).update({name: values[name] for name in old})
        return record
    for name in old:
        setattr(record, name, values[name])
    publisher.updated.setdefault(record.id, {name: _plain(value) for name, value in old.items()})
    return record


def _new_columns(plan: Plan, data_import: DataImport, chunk: _Chunk, new: list[int],
                 changed: dict[int, dict[str, Any]]) -> dict[str, list[Any]]:
    """The new records' values a field at a time, with the import's account and domain."""
    target, count = plan.target, len(new)
    columns = pick(chunk.columns, new)
    for index, position in enumerate(new):
        for name, value in changed.get(position, {}).items():
            columns[name][index] = value
    if hasattr(target.model, "domain_id"):
        columns["domain_id"] = [data_import.domain_id] * count
    if target.account_field:
        columns[target.account_field] = [data_import.account_id] * count
    return columns


def _write_all(publisher: Publisher, chunk: _Chunk, positions: list[int],
               existing: dict[tuple, Any]) -> list[tuple[Any, int]]:
    """Write rows in one savepoint: updates in one flush, new records in one bulk insert.

    Returns (row, record id) pairs. A rule's refusal of a new record carries the position
    of its row as ``position``.
    """
    plan, changed = publisher.plan, {}
    with db.session.begin_nested():
        written = [_write(publisher, chunk, position, existing, changed)
                   for position in positions]
        with batch_events():  # the chunk's updates: one event
            db.session.flush()
        new = [position for position, record in zip(positions, written, strict=True)
               if isinstance(record, int) and record == position]
        try:
            ids = insert_columns(plan.target.model, _new_columns(
                plan, publisher.data_import, chunk, new, changed), events="batch")
        except OnwardError as refused:
            if getattr(refused, "index", None) is not None:
                refused.position = new[refused.index]
            raise
    _add_spans(publisher.inserted, ids)
    inserted = dict(zip(new, ids, strict=True))
    return [(chunk.rows[position], inserted[record] if isinstance(record, int) else record.id)
            for position, record in zip(positions, written, strict=True)]


#: rule refusals of new records a chunk is written again for, before going one row at a time
_BULK_RETRIES = 3


def _refusal(refused: Exception) -> dict[str, str]:
    """The problem of a row the target's rules or the database refused."""
    return {"field": "", "column": "",
            "message": getattr(refused, "message", None) or "the database refused the row"}


def _publish_chunk(publisher: Publisher, chunk) -> None:
    """Check staged rows again (the rules may have changed), publish them, mark them."""
    converted, problems = check_values(publisher.plan, publisher.data_import,
                                       [row.values for row in chunk])
    good = []
    for position, (row, found) in enumerate(zip(chunk, problems, strict=True)):
        if found:
            publisher.fail(row, found)
        else:
            good.append(position)
    published, failed = publisher.write(
        [chunk[position] for position in good], pick(converted, good))
    rowstatus.mark_published([(row.id, record_id) for row, record_id in published],
                             publisher.batch.id)
    rowstatus.mark_needs_attention([(row.id, found) for row, found in failed])


@fewer_collections()
def publish(data_import: DataImport, row_ids: list[int] | None = None, *,
            progress: Callable[[int, int], None] | None = None,
            publisher: Publisher | None = None) -> PublishBatch:
    """Publish the *Ready to publish* rows (or only ``row_ids`` of them) to the target.

    Returns the batch with its counts: inserted, updated, unchanged and failed. The batch's
    counts and undo data follow each chunk, and ``progress(done, total)`` is called after
    it (a job commits there): a run that dies part-way leaves a batch that undoes what it
    published, and the rows it did not reach still ready. A ``publisher`` given goes on
    with its batch (an import that published as it staged).
    """
    publisher = publisher or Publisher(data_import)
    ready = [StagingRow.import_id == data_import.id, StagingRow.status == "ready"]
    if row_ids is not None:
        ready.append(StagingRow.id.in_(row_ids))
    total = db.session.scalar(select(func.count()).select_from(StagingRow).where(*ready))
    last_id, size, done = 0, setting("IMPORT_CHUNK_ROWS"), 0
    while True:
        chunk = db.session.execute(
            select(StagingRow.id, StagingRow.values).where(*ready, StagingRow.id > last_id)
            .order_by(StagingRow.id).limit(size).with_for_update()).all()
        if not chunk:
            break
        last_id = chunk[-1].id
        _publish_chunk(publisher, chunk)
        done += len(chunk)
        if progress:
            progress(done, max(total, done))
    return publisher.finish()


def check_undo(batch: PublishBatch) -> DataImport:
    """The batch's import, if the actor may undo ``batch`` now: the newest batch not undone.

    Raises :class:`~onward.Conflict` otherwise (and refuses those without the rights).
    """
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
    return data_import


@fewer_collections()
def undo(batch: PublishBatch, *,
         progress: Callable[[int, int], None] | None = None) -> PublishBatch:
    """Take a batch back: restore what it updated, delete what it inserted.

    ``progress(done, total)`` follows the records restored and deleted, a chunk at a time
    (a job commits there): a run that dies part-way leaves the batch not undone, and
    running it again finishes the work (restoring twice sets the same values; what was
    deleted is not found again).
    """
    data_import = check_undo(batch)
    plan = plan_for(data_import)
    total = sum(last - first + 1 for first, last in batch.undo.get("inserted") or []) + (
        db.session.scalar(select(func.count()).where(BatchUpdate.batch_id == batch.id)) or 0)
    done = 0

    def moved(count: int) -> None:
        nonlocal done
        done += count
        if progress:
            progress(done, max(total, done))

    with batch_events():  # one event per chunk, not one per record
        _restore_updated(plan, batch, moved=moved)
        _delete_inserted(plan, batch.undo.get("inserted") or [], moved=moved)
    db.session.execute(update(StagingRow).where(StagingRow.batch_id == batch.id)
                       .values(status="ready", batch_id=None, record_id=None))
    batch.undone_at = utcnow()
    data_import.state = "validated"
    db.session.flush()
    return batch


def _delete_inserted(plan: Plan, spans: list[list[int]], *,
                     moved: Callable[[int], None] | None = None) -> None:
    """Delete the records of ``spans`` (runs of ids), newest first, as the ORM would.

    A chunk of ids at a time, each by :func:`onward.delete_many` (the target's ``delete``
    rules, audit rows, one event per chunk); ``moved(ids)`` after each.
    """
    model, size = plan.target.model, setting("IMPORT_CHUNK_ROWS")
    for first, last in reversed(spans):
        for top in range(last, first - 1, -size):
            bottom = max(first, top - size + 1)
            delete_many(model, range(bottom, top + 1), events="batch")
            if moved:
                moved(top - bottom + 1)


def _restore_updated(plan: Plan, batch: PublishBatch, after: int = 0, *,
                     moved: Callable[[int], None] | None = None) -> None:
    """Give the records the batch updated their old values back, a slice at a time.

    Only the changes after :class:`BatchUpdate` id ``after`` are taken back, newest first:
    when the batch changed a record twice, its oldest values are the last set.
    ``moved(changes)`` after each slice.
    """
    model, last_id = plan.target.model, None
    while True:
        stmt = (select(BatchUpdate.id, BatchUpdate.record_id, BatchUpdate.old)
                .where(BatchUpdate.batch_id == batch.id, BatchUpdate.id > after)
                .order_by(BatchUpdate.id.desc())
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
        if moved:
            moved(len(changes))


def _typed(plan: Plan, name: str, value: Any) -> Any:
    """An old value as kept in the batch (dates as ISO text) back in its type."""
    import datetime as dt

    kind = plan.target.field(name).type
    if value is not None and kind == "date":
        return dt.date.fromisoformat(value)
    if value is not None and kind == "datetime":
        return dt.datetime.fromisoformat(value)
    return value
