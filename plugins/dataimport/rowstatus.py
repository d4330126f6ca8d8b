"""Statuses of staging rows: how many are in each, and changes of many at once.

Validation and publishing move whole chunks of rows: the rows that all get the same values
in one ``UPDATE … WHERE id IN (…)`` per few thousand (on PostgreSQL ``= ANY(:ids)``), the
others in one executemany (on PostgreSQL one statement zipping two arrays).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Integer, bindparam, func, literal_column, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import ARRAY

from onward import among, db
from onward.plugins.dataimport.models import NO_PROBLEMS, DataImport, StagingRow

#: rows per statement: inside every database's limit of bound parameters
ROWS_PER_STATEMENT = 5000

_ROWS = StagingRow.__table__
_NEEDS_ATTENTION = (update(_ROWS).where(_ROWS.c.id == bindparam("row_id"))
                    .values(status="needs_attention", problems=bindparam("found"),
                            batch_id=None, record_id=None))
#: each row gets its own record id: one parameter set per row …
_PUBLISHED = (update(_ROWS).where(_ROWS.c.id == bindparam("row_id"))
              .values(status=literal_column("'published'"), problems=NO_PROBLEMS,
                      record_id=bindparam("record"), batch_id=bindparam("batch")))
#: … on SQLite handed to the driver as they are (SQLAlchemy's per-row work costs more) …
_PUBLISHED_SQLITE = _PUBLISHED.compile(dialect=sqlite.dialect())
#: (row id, record id, batch id) -> the compiled statement's parameters, in its order
_in_sqlite_order = itemgetter(*(("row_id", "record", "batch").index(name)
                                for name in _PUBLISHED_SQLITE.positiontup))
#: … or, on PostgreSQL, two arrays zipped by ``unnest``
_IDS = bindparam("ids", type_=ARRAY(Integer))
_PAIRS = select(func.unnest(_IDS).label("row_id"),
                func.unnest(bindparam("records", type_=ARRAY(Integer))).label("record")
                ).subquery("published")
_PUBLISHED_FROM_ARRAYS = (update(_ROWS).where(_ROWS.c.id == _PAIRS.c.row_id)
                          .values(status="published", problems=NO_PROBLEMS,
                                  record_id=_PAIRS.c.record))


def status_counts(data_import: DataImport) -> dict[str, int]:
    """How many staging rows of the import are in each status (an SQL aggregate)."""
    rows = db.session.execute(
        select(StagingRow.status, func.count()).where(StagingRow.import_id == data_import.id)
        .group_by(StagingRow.status))
    return dict(rows.all())


def _slices(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), ROWS_PER_STATEMENT):
        yield items[start:start + ROWS_PER_STATEMENT]


def mark_ready(row_ids: Sequence[int]) -> None:
    """The rows are *Ready to publish*, without problems."""
    connection = db.session.connection()
    for part in _slices(row_ids):
        connection.execute(update(_ROWS).where(among(_ROWS.c.id, part))
                           .values(status="ready", problems=NO_PROBLEMS))


def mark_needs_attention(found: Sequence[tuple[int, list[dict[str, str]]]]) -> None:
    """The rows need attention: ``(row id, its problems)`` pairs."""
    if found:
        db.session.connection().execute(
            _NEEDS_ATTENTION, [{"row_id": row_id, "found": problems}
                               for row_id, problems in found])


def mark_published(records: Sequence[tuple[int, int]], batch_id: int) -> None:
    """The rows are published in batch ``batch_id``: ``(row id, record id)`` pairs."""
    if not records:
        return
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":  # two arrays, one statement
        row_ids, record_ids = zip(*records, strict=True)
        connection.execute(_PUBLISHED_FROM_ARRAYS.values(batch_id=batch_id),
                           {"ids": list(row_ids), "records": list(record_ids)})
        return
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(_PUBLISHED_SQLITE.string, [
            _in_sqlite_order((row_id, record_id, batch_id)) for row_id, record_id in records])
        return
    connection.execute(_PUBLISHED, [{"row_id": row_id, "record": record_id, "batch": batch_id}
                                    for row_id, record_id in records])
