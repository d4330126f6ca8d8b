"""The staging backup: old staging rows of active import tasks, as a CSV on the task.

The seed's *Scheduled Staging Data Backup Job*: inactive by default, an admin turns it on
or runs it now (``onward import backup`` too). For every import whose task is neither
Closed nor Canceled, the staging rows created more than ``IMPORT_BACKUP_DAYS`` days ago
are written to a CSV attached to the import, named ``<staging table> - <date
created>.csv`` (the import's creation date). The backup is a copy: staging keeps its rows.
Each run rewrites the import's backup of that name, so a task carries one, up to date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterator
from typing import Any

from flask import current_app
from sqlalchemy import exists, or_, select

from onward import Job, db, require, scoped, utcnow
from onward.plugins.dataimport.config import setting, target_of
from onward.plugins.dataimport.exports import write_csv
from onward.plugins.dataimport.models import DataImport, ImportFile, StagingRow
from onward.plugins.dataimport.staging import file_path, staging_name, uploads_folder
from onward.plugins.onboarding.models import CLOSED_STATES, CaseTask

#: settings (``ONWARD_IMPORT_BACKUP_DAYS``) and their defaults
SETTINGS = {"IMPORT_BACKUP_DAYS": 30}
#: the state of an :class:`ImportFile` that is a backup (never imported)
BACKUP_STATE = "backup"
#: the columns every backup starts and ends with
LEADING = ("Row", "Sheet row", "Status")
TRAILING = ("Problems", "Created")


def backup_days() -> int:
    """How old a staging row is before it is backed up, in days."""
    return int(current_app.config.get("IMPORT_BACKUP_DAYS", SETTINGS["IMPORT_BACKUP_DAYS"]))


def backup_name(data_import: DataImport) -> str:
    """``<staging table> - <date created>.csv``, the date as ``YYYY-MM-DD``."""
    return f"{staging_name(data_import)} - {data_import.created_at.date().isoformat()}.csv"


def active_imports() -> list[DataImport]:
    """The imports whose task is neither Closed nor Canceled (the actor's, by id)."""
    stmt = (scoped(DataImport).join(CaseTask, CaseTask.id == DataImport.task_id)
            .where(or_(CaseTask.state.is_(None), CaseTask.state.not_in(CLOSED_STATES)))
            .order_by(DataImport.id))
    return list(db.session.scalars(stmt))


def _old_rows(data_import: DataImport, before: dt.datetime):
    return select(StagingRow).where(StagingRow.import_id == data_import.id,
                                    StagingRow.created_at < before)


def _csv_rows(data_import: DataImport, before: dt.datetime) -> Iterator[dict[str, Any]]:
    target = target_of(data_import.target)
    stmt = (_old_rows(data_import, before).order_by(StagingRow.id)
            .execution_options(yield_per=setting("IMPORT_CHUNK_ROWS")))
    for row in db.session.scalars(stmt):
        yield {"Row": row.id, "Sheet row": row.row_number, "Status": row.status,
               **{item.title: row.values.get(item.name) for item in target.fields},
               "Problems": "\n".join(problem["message"] for problem in row.problems),
               "Created": row.created_at.isoformat(timespec="seconds")}


def back_up(data_import: DataImport, before: dt.datetime) -> ImportFile | None:
    """Write the import's rows created before ``before`` to its backup CSV.

    Returns the backup file, or ``None`` when no row is that old.
    """
    if not db.session.scalar(select(exists(_old_rows(data_import, before)))):
        return None
    name = backup_name(data_import)
    record = db.session.scalar(select(ImportFile).where(
        ImportFile.import_id == data_import.id, ImportFile.state == BACKUP_STATE,
        ImportFile.name == name))
    if record is None:
        record = ImportFile(import_id=data_import.id, account_id=data_import.account_id,
                            domain_id=data_import.domain_id, name=name, state=BACKUP_STATE,
                            path=f"{uuid.uuid4().hex}.csv")
        require("create", record)
        db.session.add(record)
    else:
        require("write", record)
    target = target_of(data_import.target)
    fields = [*LEADING, *(item.title for item in target.fields), *TRAILING]
    written = uploads_folder() / f"{uuid.uuid4().hex}.part"
    with written.open("w", encoding="utf-8-sig", newline="") as out:
        record.rows = write_csv(out, _csv_rows(data_import, before), fields)
    digest = hashlib.sha256()
    with written.open("rb") as stream:
        while block := stream.read(1 << 16):
            digest.update(block)
    record.size, record.sha256 = written.stat().st_size, digest.hexdigest()
    written.replace(file_path(record))
    record.message = (f"{record.rows} staging rows created before "
                      f"{before:%Y-%m-%d %H:%M} UTC")
    db.session.flush()
    return record


def back_up_staging(now: dt.datetime | None = None) -> list[ImportFile]:
    """Back up every active import's old staging rows; returns the backup files written."""
    before = (now or utcnow()) - dt.timedelta(days=backup_days())
    written = []
    for data_import in active_imports():
        record = back_up(data_import, before)
        if record is not None:
            written.append(record)
    return written


def backup_job(ctx) -> dict[str, Any]:
    """The scheduled job: back up, commit, and say which files were written."""
    files = back_up_staging()
    ctx.progress(100, f"{len(files)} backups written" if files else "Nothing to back up")
    return {"files": [{"import_id": f.import_id, "name": f.name, "rows": f.rows}
                      for f in files]}


JOBS = [
    Job("dataimport_backup", "Back up staging rows", backup_job, schedule="0 2 * * *",
        active=False,
        description=("Writes the staging rows of active import tasks older than "
                     "IMPORT_BACKUP_DAYS to a CSV attached to the task; closed and "
                     "canceled tasks are skipped.")),
]
