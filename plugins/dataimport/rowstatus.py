"""Statuses of staging rows: how many are in each, and changes of many at once.

Validation and publishing move whole chunks of rows, each row with its own values (its
problems, its checked values, its record), in one executemany per chunk; on PostgreSQL in
one statement zipping arrays (the ids and the values).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    JSON,
    Integer,
    Text,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    select,
    update,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import ARRAY

from onward import db
from onward.core.db import dump_json
from onward.plugins.dataimport.models import NO_PROBLEMS, DataImport, StagingRow

_ROWS = StagingRow.__table__


def _each(status: str, **values: Any) -> Any:
    """``UPDATE`` of one row (``row_id``) to ``status`` and ``values`` (constants inline)."""
    return (update(_ROWS).where(_ROWS.c.id == bindparam("row_id"))
            .values(status=literal_column(f"'{status}'"), **values))


def _for_the_driver(statement, names: tuple[str, ...]) -> tuple[str, Callable]:
    """``statement`` as SQLite's driver takes it, and its parameters' order.

    The function returned puts a row's values, given in the order of ``names``, in the
    order the statement's parameters need.
    """
    compiled = statement.compile(dialect=sqlite.dialect())
    return compiled.string, itemgetter(*(names.index(name) for name in compiled.positiontup))


#: each row gets its own values: one parameter set per row …
_READY = _each("ready", problems=NO_PROBLEMS, checked=bindparam("value"))
_NEEDS_ATTENTION = _each("needs_attention", problems=bindparam("value"), batch_id=null(),
                         record_id=null())
_PUBLISHED = _each("published", problems=NO_PROBLEMS, record_id=bindparam("record"),
                   batch_id=bindparam("batch"))
#: … on SQLite handed to the driver as they are (SQLAlchemy's per-row work costs more) …
_DRIVER = {statement: _for_the_driver(statement, names) for statement, names in (
    (_READY, ("row_id", "value")), (_NEEDS_ATTENTION, ("row_id", "value")),
    (_PUBLISHED, ("row_id", "record", "batch")))}
#: … or, on PostgreSQL, arrays zipped by ``unnest``: the ids and the values


def _from_arrays(**arrays: Any) -> Any:
    """``UPDATE`` of the rows whose ids are in the ``ids`` array (PostgreSQL).

    Each row gets the columns of ``arrays`` (column -> its array's element type; JSON
    travels as text) from the same place in the array ``<column>_array``.
    """
    given = select(func.unnest(bindparam("ids", type_=ARRAY(Integer))).label("row_id"), *(
        func.unnest(bindparam(f"{name}_array", type_=ARRAY(Text if kind is JSON else kind)))
        .label(name)
        for name, kind in arrays.items())).subquery("given")
    return update(_ROWS).where(_ROWS.c.id == given.c.row_id).values({
        name: cast(given.c[name], JSON) if kind is JSON else given.c[name]
        for name, kind in arrays.items()})


_PUBLISHED_FROM_ARRAYS = _from_arrays(record_id=Integer).values(status="published",
                                                                problems=NO_PROBLEMS)
_READY_FROM_ARRAYS = _from_arrays(checked=JSON).values(status="ready", problems=NO_PROBLEMS)
_NEEDS_ATTENTION_FROM_ARRAYS = _from_arrays(problems=JSON).values(
    status="needs_attention", batch_id=None, record_id=None)


def status_counts(data_import: DataImport) -> dict[str, int]:
    """How many staging rows of the import are in each status (an SQL aggregate)."""
    rows = db.session.execute(
        select(StagingRow.status, func.count()).where(StagingRow.import_id == data_import.id)
        .group_by(StagingRow.status))
    return dict(rows.all())


def mark_ready(checked: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """The rows are *Ready to publish*, without problems: ``(row id, checked values)`` pairs."""
    _update_each(_READY, _READY_FROM_ARRAYS, "checked", checked)


def mark_needs_attention(found: Sequence[tuple[int, list[dict[str, str]]]]) -> None:
    """The rows need attention: ``(row id, its problems)`` pairs."""
    _update_each(_NEEDS_ATTENTION, _NEEDS_ATTENTION_FROM_ARRAYS, "problems", found)


def _update_each(each, from_arrays, column: str, pairs: Sequence[tuple[int, Any]]) -> None:
    """Give each row of ``(row id, value)`` pairs its JSON value in ``column``.

    One statement over two arrays on PostgreSQL, else ``each`` executed many times.
    """
    if not pairs:
        return
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(from_arrays, {
            "ids": [row_id for row_id, _ in pairs],
            f"{column}_array": [dump_json(value) for _, value in pairs]})
    elif connection.dialect.name == "sqlite":
        sql, in_order = _DRIVER[each]
        connection.exec_driver_sql(sql, [in_order((row_id, dump_json(value)))
                                         for row_id, value in pairs])
    else:
        connection.execute(each, [{"row_id": row_id, "value": value} for row_id, value in pairs])


def mark_published(records: Sequence[tuple[int, int]], batch_id: int) -> None:
    """The rows are published in batch ``batch_id``: ``(row id, record id)`` pairs."""
    if not records:
        return
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":  # two arrays, one statement
        row_ids, record_ids = zip(*records, strict=True)
        connection.execute(_PUBLISHED_FROM_ARRAYS.values(batch_id=batch_id),
                           {"ids": list(row_ids), "record_id_array": list(record_ids)})
    elif connection.dialect.name == "sqlite":
        sql, in_order = _DRIVER[_PUBLISHED]
        connection.exec_driver_sql(sql, [in_order((row_id, record_id, batch_id))
                                         for row_id, record_id in records])
    else:
        connection.execute(_PUBLISHED, [
            {"row_id": row_id, "record": record_id, "batch": batch_id}
            for row_id, record_id in records])
