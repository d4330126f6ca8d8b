"""Statuses of staging rows: how many are in each, and changes of many at once.

Validation and publishing move whole chunks of rows: the rows that all get the same values
in one ``UPDATE … WHERE id IN (…)`` per few thousand (core's ``among``), the others in one
executemany (on PostgreSQL one statement over a JSON array of pairs).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import JSON, Integer, Text, bindparam, cast, func, literal_column, select, update
from sqlalchemy.dialects import sqlite

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
#: … or, on PostgreSQL, one JSON array of ``[row id, record id]`` pairs (psycopg writes
#: long lists as array parameters in Python, several times slower)
_PAIR = func.json_array_elements(cast(bindparam("pairs", type_=Text()), JSON)).table_valued(
    "value")
_PAIRS = select(*(cast(_PAIR.c.value.op("->>")(literal_column(str(index))), Integer)
                  .label(name) for index, name in enumerate(("row_id", "record")))
                ).subquery("published")
_PUBLISHED_FROM_PAIRS = (update(_ROWS).where(_ROWS.c.id == _PAIRS.c.row_id)
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
    if connection.dialect.name == "postgresql":  # one statement
        connection.execute(_PUBLISHED_FROM_PAIRS.values(batch_id=batch_id),
                           {"pairs": orjson.dumps(records).decode()})
        return
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(_PUBLISHED_SQLITE.string, [
            _in_sqlite_order((row_id, record_id, batch_id)) for row_id, record_id in records])
        return
    connection.execute(_PUBLISHED, [{"row_id": row_id, "record": record_id, "batch": batch_id}
                                    for row_id, record_id in records])
