"""The data import's jobs: import files, validate rows, publish them; with progress.

Runs on one import take turns: a run takes the import's lease (an atomic update) before it
works and gives it back when it ends; a second run waits for it. A lease older than
``IMPORT_LEASE_MINUTES`` belongs to a run that died and is taken over.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import current_app
from sqlalchemy import or_, select, update

from onward import Conflict, Job, db, get_or_404, utcnow
from onward.plugins.dataimport import publish as publishing
from onward.plugins.dataimport import reupload, rowstatus, validation
from onward.plugins.dataimport.models import DataImport, ImportFile, PublishBatch

LEASE_SETTINGS = {"IMPORT_LEASE_MINUTES": 30, "IMPORT_LEASE_WAIT_SECONDS": 600}


def _setting(name: str) -> int:
    return current_app.config.get(name, LEASE_SETTINGS[name])


def _take(import_id: int, run_id: int) -> bool:
    stale = utcnow() - dt.timedelta(minutes=_setting("IMPORT_LEASE_MINUTES"))
    taken = db.session.execute(
        update(DataImport).where(DataImport.id == import_id, or_(
            DataImport.lock_run_id.is_(None), DataImport.lock_run_id == run_id,
            DataImport.locked_at < stale))
        .values(lock_run_id=run_id, locked_at=utcnow())).rowcount
    db.session.commit()
    return bool(taken)


@contextmanager
def lease(import_id: int, run_id: int) -> Iterator[None]:
    """Hold the import's lease while the block runs (waiting for another run's end)."""
    deadline = time.monotonic() + _setting("IMPORT_LEASE_WAIT_SECONDS")
    while not _take(import_id, run_id):
        if time.monotonic() > deadline:
            raise Conflict("Another run on this import has not ended; try again later.")
        time.sleep(0.2)
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        db.session.execute(update(DataImport).where(
            DataImport.id == import_id, DataImport.lock_run_id == run_id)
            .values(lock_run_id=None, locked_at=None))
        db.session.commit()


def import_files(ctx, import_id: int, file_ids: list[int], publish: bool = False) -> dict:
    """Stage the files (validating their rows), then validate any row yet to validate.

    With ``publish``, ready rows are published as they are staged, then what is left
    ready (rows fixed in an errors workbook, rows ready before), all in one batch.
    """
    with lease(import_id, ctx.run.id):
        data_import = get_or_404(DataImport, import_id, right="write")
        publisher = publishing.Publisher(data_import) if publish else None
        files = db.session.scalars(select(ImportFile).where(
            ImportFile.import_id == import_id, ImportFile.id.in_(file_ids))
            .order_by(ImportFile.id)).all()
        staged, refused = 0, {}
        for done, record in enumerate(files):
            @_now_and_then
            def progress(rows, done=done, record=record):
                ctx.progress(90 * done / len(files),
                             f"{record.name}: {rows} rows staged and validated")

            staged += reupload.take_file(data_import, record, progress=progress,
                                         publisher=publisher)
            if record.state == "refused":
                refused[record.name] = record.message
            ctx.progress(90 * (done + 1) / len(files), f"{record.name}: {record.rows} rows")
        counts = validation.validate(data_import, progress=_validating(ctx, 90, 10))
        result, published = {"staged": staged, "refused": refused}, None
        if publisher:
            batch = publishing.publish(data_import, publisher=publisher)
            result.update(batch_id=batch.id, **_batch_counts(batch))
            published = batch.inserted + batch.updated + batch.unchanged
            counts = rowstatus.status_counts(data_import)
        ctx.progress(100, _summary(staged, counts, refused, published))
        return {**result, "counts": counts}


#: the import job reports (and commits) the rows staged at most this often
REPORT_SECONDS = 1.0


def _now_and_then(report: Callable[..., None]) -> Callable[..., None]:
    """``report`` at most once every :data:`REPORT_SECONDS`; calls between are dropped.

    Each report commits. Between commits, PostgreSQL copies a chunk's staging rows in
    while the next chunk is read and checked; a commit waits for the copy.
    """
    last = -math.inf

    def maybe(*args: Any) -> None:
        nonlocal last
        if time.monotonic() - last >= REPORT_SECONDS:
            last = time.monotonic()
            report(*args)

    return maybe


def _validating(ctx, start: float, span: float) -> Callable[[int, int], None]:
    """Validation's progress as the run's: ``start`` to ``start + span`` percent."""

    def progress(done: int, total: int) -> None:
        ctx.progress(start + span * done / total, f"Validated {done} of {total} rows")

    return progress


def validate_rows(ctx, import_id: int) -> dict:
    """Validate every row that is yet to validate."""
    with lease(import_id, ctx.run.id):
        data_import = get_or_404(DataImport, import_id, right="write")
        counts = validation.validate(data_import, progress=_validating(ctx, 0, 100))
        ctx.progress(100, f"{counts.get('ready', 0)} ready to publish; "
                          f"{counts.get('needs_attention', 0)} need attention")
        return {"counts": counts}


def _publishing(ctx) -> Callable[[int, int], None]:
    """Publishing's progress as the run's."""

    def progress(done: int, total: int) -> None:
        ctx.progress(100 * done / total, f"Published {done} of {total} rows")

    return progress


def publish_rows(ctx, import_id: int, row_ids: list[int] | None = None) -> dict:
    """Publish the ready rows (or the chosen ones)."""
    with lease(import_id, ctx.run.id):
        data_import = get_or_404(DataImport, import_id, right="write")
        batch = publishing.publish(data_import, row_ids, progress=_publishing(ctx))
        result = _batch_counts(batch)
        ctx.progress(100, ", ".join(f"{count} {name}" for name, count in result.items()))
        return {"batch_id": batch.id, **result}


def undo_batch(ctx, import_id: int, batch_id: int) -> dict:
    """Undo a publish batch: restore what it updated, delete what it inserted."""
    with lease(import_id, ctx.run.id):
        batch = get_or_404(PublishBatch, batch_id, right="write")

        def progress(done: int, total: int) -> None:
            ctx.progress(100 * done / total, f"Took back {done} of {total} records")

        publishing.undo(batch, progress=progress)
        ctx.progress(100, f"Batch {batch.id} is undone: {batch.inserted} records deleted, "
                          f"{batch.updated} restored")
        return {"batch_id": batch.id, "deleted": batch.inserted, "restored": batch.updated}


def _batch_counts(batch) -> dict[str, int]:
    return {name: getattr(batch, name) for name in ("inserted", "updated", "unchanged", "failed")}


def _summary(staged: int, counts: dict[str, int], refused: dict[str, str],
             published: int | None) -> str:
    """The run's closing message; ``published`` is what the run published, if it did."""
    parts = [f"{staged} rows staged", f"{counts.get('ready', 0)} ready to publish",
             f"{counts.get('needs_attention', 0)} need attention"]
    if published is not None:
        parts.insert(1, f"{published} published")
    if refused:
        parts.append(f"refused: {', '.join(refused)}")
    return "; ".join(parts)


JOBS = [
    Job("dataimport_import", "Import files into staging", import_files,
        description="Stages uploaded XLSX files and validates their rows."),
    Job("dataimport_validate", "Validate staging rows", validate_rows,
        description="Validates the rows that are yet to validate."),
    Job("dataimport_publish", "Publish staging rows", publish_rows,
        description="Publishes ready rows to the import target."),
    Job("dataimport_undo", "Undo a publish batch", undo_batch,
        description="Deletes the records a batch inserted and restores those it updated."),
]
