"""Publishing: ready staging rows into the target, by natural key, in undoable batches.

Each chunk is written through the ORM inside a savepoint, so the target's business rules,
numbering and audit log apply as for any other writer; when a chunk is refused, its rows
are retried one by one and only the refused ones fail (they go to *Needs attention* with
the rule's message). A batch records what it inserted and the old values of what it
updated, so :func:`undo` can take it back.
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from onward import Conflict, ImportTarget, OnwardError, current_actor, db, require, utcnow
from onward.plugins.dataimport.models import DataImport, PublishBatch, StagingRow
from onward.plugins.dataimport.staging import setting, status_counts
from onward.plugins.dataimport.validation import Plan, check_values, plan_for


def _key(values: dict[str, Any], fields: tuple[str, ...]) -> tuple:
    return tuple(v.casefold() if isinstance(v, str) else v
                 for v in (values.get(name) for name in fields))


def _existing(plan: Plan, data_import: DataImport, keys: list[tuple]) -> dict[tuple, Any]:
    """The target's records with these natural keys (in the import's account)."""
    target, model = plan.target, plan.target.model
    if not keys:
        return {}
    columns = [getattr(model, name) for name in target.natural_key]
    compared = [func.lower(c) if plan.target.field(c.key).type in ("string", "email", "text")
                else c for c in columns]
    stmt = select(model).where(tuple_(*compared).in_(keys))
    if target.account_field:
        stmt = stmt.where(getattr(model, target.account_field) == data_import.account_id)
    return {_key({c.key: getattr(record, c.key) for c in columns}, target.natural_key): record
            for record in db.session.scalars(stmt)}


class _Outcome:
    """What a publish run did so far: counts, undo data and the staging rows to update."""

    def __init__(self) -> None:
        self.counts = {"inserted": 0, "updated": 0, "unchanged": 0, "failed": 0}
        self.undo: dict[str, Any] = {"inserted": [], "updated": {}}
        self.rows: list[dict[str, Any]] = []

    def saved(self) -> tuple:
        """A copy to go back to when a chunk is refused."""
        return dict(self.counts), list(self.undo["inserted"]), dict(self.undo["updated"])

    def restore(self, saved: tuple) -> None:
        """Go back to :meth:`saved`."""
        self.counts, self.undo["inserted"], self.undo["updated"] = saved

    def fail(self, row_id: int, problems: list[dict[str, str]]) -> None:
        """A row that could not be published goes back to *Needs attention*."""
        self.counts["failed"] += 1
        self.rows.append({"id": row_id, "status": "needs_attention", "problems": problems,
                          "batch_id": None, "record_id": None})


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _defaults(target: ImportTarget) -> dict[str, Any]:
    """What a blank cell inserts: the column's scalar default, else ``None``."""
    return _column_defaults(target.model, tuple(item.name for item in target.fields))


@functools.cache
def _column_defaults(model: type, names: tuple[str, ...]) -> dict[str, Any]:
    columns = sa.inspect(model).local_table.columns
    return {name: columns[name].default.arg
            if columns[name].default is not None and columns[name].default.is_scalar else None
            for name in names}


def _write(plan: Plan, data_import: DataImport, values: dict[str, Any], existing,
           outcome: _Outcome) -> tuple[Any, bool]:
    """Insert or update one record (not flushed); returns it and whether it is new."""
    target = plan.target
    fields = {name: value for name, value in values.items() if value is not None}
    key = _key(values, target.natural_key)
    record = existing.get(key)
    if record is None:  # every field given, so the inserts batch into few statements
        record = target.model(**{**_defaults(target), **fields})
        if target.account_field:
            setattr(record, target.account_field, data_import.account_id)
        if hasattr(record, "domain_id") and record.domain_id is None:
            record.domain_id = data_import.domain_id
        db.session.add(record)
        existing[key] = record
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
    outcome.undo["updated"].setdefault(
        str(record.id), {name: _plain(value) for name, value in old.items()})
    return record, False


def _write_all(plan, data_import, good, existing, outcome) -> list[tuple[Any, Any]]:
    """Write rows in one savepoint and one flush; returns (row, record) pairs."""
    with db.session.begin_nested():
        written = [(row, *_write(plan, data_import, values, existing, outcome))
                   for row, values in good]
        db.session.flush()
    outcome.undo["inserted"].extend(record.id for _, record, new in written if new)
    return [(row, record) for row, record, _ in written]


def _publish_chunk(plan, data_import, batch, chunk, outcome: _Outcome) -> None:
    converted, problems = check_values(plan, data_import, [row.values for row in chunk])
    keys = [_key(values, plan.target.natural_key) for values in converted]
    existing = _existing(plan, data_import, keys)
    good = []
    for row, values, found in zip(chunk, converted, problems, strict=True):
        if found:
            outcome.fail(row.id, found)
        else:
            good.append((row, values))
    before = outcome.saved()
    try:
        written = _write_all(plan, data_import, good, existing, outcome)
    except (OnwardError, IntegrityError):  # find the rows refused, one by one
        outcome.restore(before)
        existing.clear()
        existing.update(_existing(plan, data_import, keys))
        written = []
        for row, values in good:
            saved = outcome.saved()
            try:
                written += _write_all(plan, data_import, [(row, values)], existing, outcome)
            except (OnwardError, IntegrityError) as refused:
                outcome.restore(saved)
                existing.clear()
                existing.update(_existing(plan, data_import, keys))
                message = getattr(refused, "message", None) or "the database refused the row"
                outcome.fail(row.id, [{"field": "", "column": "", "message": message}])
    outcome.rows.extend({"id": row.id, "status": "published", "problems": [],
                         "batch_id": batch.id, "record_id": record.id}
                        for row, record in written)


def publish(data_import: DataImport, row_ids: list[int] | None = None) -> PublishBatch:
    """Publish the *Ready to publish* rows (or only ``row_ids`` of them) to the target.

    Returns the batch with its counts: inserted, updated, unchanged and failed.
    """
    require("write", data_import)
    require("create", PublishBatch)  # agents publish; customers only fix and validate
    plan = plan_for(data_import)
    batch = PublishBatch(import_id=data_import.id,
                         created_by_id=getattr(current_actor(), "id", None))
    db.session.add(batch)
    data_import.state = "publishing"
    db.session.flush()
    outcome, last_id, size = _Outcome(), 0, setting("IMPORT_CHUNK_ROWS")
    while True:
        stmt = (select(StagingRow.id, StagingRow.values)
                .where(StagingRow.import_id == data_import.id, StagingRow.status == "ready",
                       StagingRow.id > last_id).order_by(StagingRow.id).limit(size))
        if row_ids is not None:
            stmt = stmt.where(StagingRow.id.in_(row_ids))
        chunk = db.session.execute(stmt).all()
        if not chunk:
            break
        last_id = chunk[-1].id
        _publish_chunk(plan, data_import, batch, chunk, outcome)
        if outcome.rows:
            db.session.execute(update(StagingRow), outcome.rows)
            outcome.rows = []
    for name, count in outcome.counts.items():
        setattr(batch, name, count)
    batch.undo = outcome.undo
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
    model = plan.target.model
    for record_id, old in (batch.undo.get("updated") or {}).items():
        record = db.session.get(model, int(record_id))
        if record is not None:
            for name, value in old.items():
                setattr(record, name, _typed(plan, name, value))
    for record_id in reversed(batch.undo.get("inserted") or []):
        record = db.session.get(model, record_id)
        if record is not None:
            db.session.delete(record)
    db.session.flush()
    db.session.execute(update(StagingRow).where(StagingRow.batch_id == batch.id)
                       .values(status="ready", batch_id=None, record_id=None))
    batch.undone_at = utcnow()
    data_import.state = "validated"
    db.session.flush()
    return batch


def _typed(plan: Plan, name: str, value: Any) -> Any:
    """An old value as kept in the batch (dates as ISO text) back in its type."""
    import datetime as dt

    kind = plan.target.field(name).type
    if value is not None and kind == "date":
        return dt.date.fromisoformat(value)
    if value is not None and kind == "datetime":
        return dt.datetime.fromisoformat(value)
    return value
