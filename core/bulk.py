"""Bulk work: many records in a few statements, lookups by the thousand, fewer collections.

:func:`insert_many` does for a batch of new records what the ``before_flush`` and
``after_flush`` hooks of ``core/db.py`` do for each record the ORM inserts — the actor and
timestamps, a block of numbers, the domain of the account, the model's ``create`` rules,
column defaults, the audit log and the event log — but with one bulk statement for the
whole batch instead of one unit-of-work pass per object. :func:`write_rows` is its storage
step (``COPY`` on PostgreSQL); :func:`among` an ``IN`` for thousands of values;
:func:`fewer_collections` keeps Python's garbage collector out of the way meanwhile.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from operator import itemgetter, methodcaller
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    BindParameter,
    Column,
    ColumnElement,
    String,
    Table,
    any_,
    bindparam,
    event,
    func,
    insert,
    inspect,
    literal,
    select,
    tuple_,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapper
from sqlalchemy.types import NullType, TypeDecorator

from onward.core.actor import current_actor
from onward.core.db import (
    LARGEST_INTEGER,
    AccountScopedMixin,
    AuditedMixin,
    NumberedMixin,
    TimestampMixin,
    batch_events,
    db,
    dump_json,
    log_batch_created,
    log_changes,
    next_numbers,
    utcnow,
)
from onward.core.errors import OnwardError

logger = logging.getLogger(__name__)


def insert_many(model: type, rows: Sequence[Mapping[str, Any]], *,
                events: Literal["each", "batch"] = "each") -> list[int]:
    """Insert one new ``model`` record per row (``{field: value}``); returns their ids in order.

    The records get exactly what an ORM flush would give them: ``created_by``/``updated_by``
    and timestamps, numbers (one block per batch, gap-free), the domain of their account,
    the model's ``create`` rules, column defaults, audit and event rows (dispatched after
    commit). Everything happens in one savepoint: when a rule refuses a record, its error
    is raised with ``index`` (the refused row's position in ``rows``) set on it, and
    nothing of the batch is written.

    ``events="batch"`` writes one event for the whole batch instead of one per record:
    ``<table>.bulk_created``, the new ids in ``data["ids"]``. It is for writers of
    thousands of records (a data import), whose reactions should not run record by record.

    A model whose writes a bulk insert cannot reproduce (its own constructor, ``@validates``,
    server-side or SQL defaults, inheritance, a composite key) is written through the ORM
    instead, in one flush, with an event per record; a refusal then carries no ``index``.
    """
    if not rows:
        return []
    if _bulk_mapper(model) is None:
        return _insert_by_orm(model, rows)
    names = set().union(*rows)
    return insert_columns(model, {name: [row.get(name) for row in rows] for name in names},
                          events=events)


def insert_columns(model: type, columns: Mapping[str, Sequence[Any]], *,
                   events: Literal["each", "batch"] = "each") -> list[int]:
    """:func:`insert_many` with the values given a field at a time: ``{field: [values]}``.

    Every list holds one value per record, in the same order. For writers that hold their
    values by column (a data import's converted cells): the statement's parameters are
    made a column at a time, and no record object is made unless the model's ``create``
    rules, its audit log or per-record events need them.
    """
    count = _length(columns)
    if not count:
        return []
    mapper, session = _bulk_mapper(model), db.session
    if mapper is None:
        return _insert_by_orm(model, [dict(zip(columns, values, strict=True))
                                      for values in zip(*columns.values(), strict=True)])
    unknown = set(columns) - _attributes(mapper)
    if unknown:
        raise TypeError(f"{', '.join(sorted(unknown))}: not a column of "
                        f"{mapper.class_.__name__}.")
    with session.begin_nested():
        columns = _stamped(session, model, dict(columns), count)
        records = _records(mapper, columns, count) if _needs_records(model, events) else None
        if records is not None:
            _check_rules(session, records)
            columns = {name: [record.__dict__.get(name) for record in records]
                       for name in _attributes(mapper)}  # as the rules left them
        _fill_defaults(mapper, columns, count, records)
        table, key = mapper.local_table, mapper.primary_key[0]
        ids = _insert(session.connection(), table, key, _by_column_name(mapper, columns))
        if records is not None:
            attribute = mapper.get_property_by_column(key).key
            for record, record_id in zip(records, ids, strict=True):
                record.__dict__[attribute] = record_id
            log_changes(session, (("create", records),), events=events)
        elif model.__events__:  # one batch event: only its first record is needed
            first = _records(mapper, {name: values[:1] for name, values in columns.items()}, 1)
            first[0].__dict__[mapper.get_property_by_column(key).key] = ids[0]
            log_batch_created(session, first[0], ids)
    return ids


def _insert_by_orm(model: type, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    records = [model(**row) for row in rows]
    with db.session.begin_nested():
        db.session.add_all(records)
        db.session.flush()
    return [inspect(record).identity[0] for record in records]


def _length(columns: Mapping[str, Sequence[Any]]) -> int:
    """The one length of the columns' lists."""
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns of different lengths: {sorted(lengths)}")
    return lengths.pop() if lengths else 0


def _needs_records(model: type, events: str) -> bool:
    """Whether inserting ``model`` needs record objects: rules, audit rows, per-record events."""
    from onward.core.rules import rules_for_model

    return (bool(rules_for_model(model, "create")) or issubclass(model, AuditedMixin)
            or (bool(model.__events__) and events == "each"))


@functools.cache
def _bulk_mapper(model: type) -> Mapper | None:
    """The model's mapper when a bulk insert writes it as the ORM would, else ``None``."""
    mapper = inspect(model)
    plain = (mapper.inherits is None and len(mapper.primary_key) == 1
             and not mapper.validators
             and mapper.class_manager.original_init is db.Model.__init__)
    columns = [attr.columns[0] for attr in mapper.column_attrs]
    python_defaults = all(
        column.primary_key or (column.server_default is None and (
            column.default is None or column.default.is_scalar or column.default.is_callable))
        for column in columns)
    return mapper if plain and python_defaults else None


def _records(mapper: Mapper, columns: Mapping[str, Sequence[Any]], count: int) -> list[Any]:
    """Transient records holding the columns' values (set without attribute events)."""
    new_instance, records, names = mapper.class_manager.new_instance, [], list(columns)
    for values in zip(*columns.values(), strict=True) if names else [()] * count:
        record = new_instance()
        record.__dict__.update(zip(names, values, strict=True))
        records.append(record)
    return records


def _stamped(session, model: type, columns: dict[str, Any], count: int) -> dict[str, Any]:
    """Actor, time, numbers and account domains, as ``before_flush`` stamps new records.

    The records of a batch share one moment (as SQL's ``now()`` within a transaction),
    where the ORM would ask the clock once per record.
    """
    if issubclass(model, TimestampMixin):
        actor_id, now = getattr(current_actor(), "id", None), utcnow()
        for name, stamp in (("created_by_id", actor_id), ("created_at", now),
                            ("updated_at", now)):
            given = columns.get(name)
            columns[name] = ([stamp] * count if given is None
                             else [stamp if value is None else value for value in given])
        columns["updated_by_id"] = [actor_id] * count
    if issubclass(model, NumberedMixin):
        numbers = list(columns.get("number") or [None] * count)
        unnumbered = [index for index, number in enumerate(numbers) if not number]
        for index, number in zip(unnumbered, next_numbers(
                session, model.__number_prefix__, len(unnumbered)), strict=True):
            numbers[index] = number
        columns["number"] = numbers
    if issubclass(model, AccountScopedMixin) and "account_id" in columns:
        from onward.core.models import Account

        accounts = set(columns["account_id"]) - {None}
        domains = dict(session.execute(
            select(Account.id, Account.domain_id).where(Account.id.in_(accounts))).all())
        given = columns.get("domain_id") or [None] * count
        columns["domain_id"] = [domains.get(account, domain) for account, domain
                                in zip(columns["account_id"], given, strict=True)]
    return columns


#: ids per statement of :func:`delete_many`: inside every database's limit of parameters
DELETE_SLICE = 5000


def delete_many(model: type, ids: Iterable[int], *,
                events: Literal["each", "batch"] = "each") -> int:
    """Delete the ``model`` records with these ids, as an ORM flush would; returns how many.

    The records are loaded (in id order, :data:`DELETE_SLICE` ids per query) and the
    model's ``delete`` rules run on each (a refusal raises with ``index``, the refused
    record's position among those found, and deletes nothing); ``DELETE`` statements
    remove them, in a savepoint, with their audit and event rows (``events="batch"``: one
    ``<table>.bulk_deleted`` event listing the ids). Ids without a record are passed over.
    The deleted records leave the session.

    A model whose deletes the ORM does more for — relationships it cascades to or unlinks
    (one-to-many, many-to-many), inheritance, its own delete listeners — is deleted
    through the ORM instead, in one flush (a refusal then carries no ``index``).
    """
    mapper, session, ids = inspect(model), db.session, sorted(set(ids))
    key = mapper.primary_key[0]
    parts = [ids[start:start + DELETE_SLICE] for start in range(0, len(ids), DELETE_SLICE)]
    records = [record for part in parts for record in session.scalars(
        select(model).where(among(key, part)).order_by(key))]
    if not records:
        return 0
    if not _bulk_deletable(mapper):
        with session.begin_nested(), batch_events() if events == "batch" else nullcontext():
            for record in records:
                session.delete(record)
            session.flush()
        return len(records)
    with session.begin_nested():
        _check_rules(session, records, "delete")
        found = [getattr(record, mapper.get_property_by_column(key).key) for record in records]
        for start in range(0, len(found), DELETE_SLICE):
            session.execute(mapper.local_table.delete().where(
                among(key, found[start:start + DELETE_SLICE])))
        log_changes(session, (("delete", records),), events=events)
    for record in records:
        session.expunge(record)
    return len(records)


@functools.cache
def _bulk_deletable(mapper: Mapper) -> bool:
    """Whether one ``DELETE`` removes the model's records as the ORM would."""
    from sqlalchemy.orm import MANYTOONE

    return (mapper.inherits is None and not mapper.polymorphic_map
            and len(mapper.primary_key) == 1 and mapper.version_id_col is None
            and not (mapper.dispatch.before_delete or mapper.dispatch.after_delete)
            and all(rel.viewonly or rel.direction is MANYTOONE for rel in mapper.relationships))


def _check_rules(session, records: list[Any], kind: str = "create") -> None:
    """Run the model's ``kind`` rules on each record; a refusal names its row's index."""
    from onward.core.rules import Change, rules_for

    rules = rules_for(records[0], kind)
    if not rules:
        return
    with session.no_autoflush:
        for index, record in enumerate(records):
            change = Change(record, kind)
            try:
                for rule in rules:
                    rule.check(record, change)
            except OnwardError as refused:
                refused.index = index
                raise


def _insert(connection, table: Table, key: Column, columns: dict[str, list]) -> list[int]:
    """Insert the rows of ``columns`` (``{column name: values}``) in one executemany.

    Returns their ids in row order.
    """
    dialect = connection.dialect.name
    if key.key not in columns:
        if dialect == "sqlite":
            return _insert_sqlite(connection, table, key, columns)
        if dialect == "postgresql":
            sequence = connection.execute(
                select(func.pg_get_serial_sequence(table.name, key.name))).scalar()
            if sequence is not None:
                return _insert_postgresql(connection, table, key, columns, sequence)
    result = connection.execute(insert(table).returning(key, sort_by_parameter_order=True),
                                _as_rows(columns))
    return list(result.scalars())


def _insert_sqlite(connection, table: Table, key: Column, columns: dict[str, list]) -> list[int]:
    # SQLite does not say which RETURNING row belongs to which parameters (SQLAlchemy would
    # insert row by row). But under the write lock it gives each new row one more than the
    # largest id so far (or than the AUTOINCREMENT counter), in the order of the rows: the
    # new ids are the run that ends at last_insert_rowid(). That is checked, so an exhausted
    # rowid range (where SQLite picks ids at random) fails loudly instead.
    count = _length(columns)
    before = connection.execute(select(func.max(key))).scalar() or 0
    write_columns(connection, table, columns)
    last = connection.exec_driver_sql("SELECT last_insert_rowid()").scalar()
    first = last - count + 1
    if first <= before or connection.execute(select(func.count()).where(
            key.between(first, last))).scalar() != count:
        raise RuntimeError(f"{table.name}: the new ids are not consecutive, so the order of "
                           "the inserted rows is unknown.")
    return list(range(first, last + 1))


def _insert_postgresql(connection, table: Table, key: Column, columns: dict[str, list],
                       sequence: str) -> list[int]:
    # RETURNING in parameter order would make SQLAlchemy insert row by row (the key is
    # made by the server): take the ids from the key's sequence first, then copy them in.
    ids = list(connection.execute(select(func.nextval(sequence)).select_from(
        func.generate_series(1, _length(columns)))).scalars())
    write_columns(connection, table, {**columns, key.key: ids})
    return ids


def _as_rows(columns: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    return [dict(zip(columns, values, strict=True))
            for values in zip(*columns.values(), strict=True)]


#: fewer rows than this go to PostgreSQL as an INSERT (COPY costs more round trips)
COPY_MIN_ROWS = 50


@functools.lru_cache(maxsize=256)
def _prepared(table: Table, names: tuple[str, ...], dialect) -> tuple:
    """The compiled INSERT of ``names``, its columns in parameter order, and their processors.

    A processor turns a value (not ``None``) into its parameter; ``None``: as it is.
    """
    statement = insert(table).compile(dialect=dialect, column_keys=list(names))
    # SQLite's positional parameters, in the order the compiled statement names them
    columns = [table.c[name] for name in statement.positiontup or names]
    return statement, columns, [_processor(column.type, dialect) for column in columns]


@functools.lru_cache(maxsize=256)
def _by_row(table: Table, names: tuple[str, ...], dialect) -> Callable:
    """A function giving a row's parameters in the order of :func:`_prepared`."""
    _, columns, processors = _prepared(table, names, dialect)
    keys = [column.key for column in columns]
    in_order = itemgetter(*keys) if len(keys) > 1 else (lambda row: (row[keys[0]],))
    processed = [(index, process) for index, process in enumerate(processors) if process]

    def parameters(row: Mapping[str, Any]) -> Sequence[Any]:
        values = in_order(row)  # most columns need no processing: taken at C speed
        if not processed:
            return values
        values = list(values)
        for index, process in processed:
            if values[index] is not None:
                values[index] = process(values[index])
        return tuple(values)

    return parameters


def _processor(kind, dialect) -> Callable[[Any], Any] | None:
    """How :func:`write_rows` turns a value of ``kind`` into a parameter (``None``: as it is).

    The drivers adapt JSON values only as query parameters: here they travel as text. The
    others go as the dialect's own types write them (SQLite's DATETIME its text format,
    not the driver's default adapter).
    """
    if isinstance(kind, JSON):
        return dump_json
    process = _sqlite_dates(kind, dialect) or kind.dialect_impl(dialect).bind_processor(dialect)
    return _once_per_value(process) if process and _is_temporal(kind) else process


def _is_temporal(kind) -> bool:
    try:
        return issubclass(kind.python_type, dt.date | dt.time)
    except NotImplementedError:
        return False


def _once_per_value(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``process`` that reuses its result for the same (immutable) object as the time before.

    A chunk's rows share one timestamp: it is turned into text once, not once per row.
    """
    last: tuple[Any, Any] = (object(), None)  # one tuple: threads may share the processor

    def processed(value: Any) -> Any:
        nonlocal last
        seen = last
        if seen[0] is value:
            return seen[1]
        result = process(value)
        last = (value, result)
        return result

    processed.column = getattr(process, "column", None)
    return processed


def _sqlite_dates(kind, dialect) -> Callable[[Any], Any] | None:
    """SQLite's DATE and DATETIME text in its default format, by ``isoformat`` (C).

    The same text as the dialect's processor, which formats each value in Python; other
    values (a date for a DATETIME, subclasses) still go through that processor.
    """
    if dialect.name != "sqlite":
        return None
    typed = kind.dialect_impl(dialect)
    impl = typed.impl_instance if isinstance(typed, TypeDecorator) else typed
    exact = (dt.datetime if isinstance(impl, sqlite.DATETIME)
             else dt.date if isinstance(impl, sqlite.DATE) else None)
    slow = impl.bind_processor(dialect)
    if exact is None or slow is None or "_storage_format" in vars(impl):  # own format
        return None
    if exact is dt.datetime:  # the format ignores the zone: UTCDateTime's values are UTC
        def text(value: Any) -> Any:
            return (value.isoformat(" ", "microseconds")[:26] if type(value) is dt.datetime
                    else slow(value))

        def column(values: Sequence[Any]) -> list[Any] | None:
            if not _EXACT_DATETIME.issuperset(map(type, values)):
                return None
            return [None if value is None else _DATETIME_TEXT(value)[:26] for value in values]
    else:
        def text(value: Any) -> Any:
            return value.isoformat() if type(value) is dt.date else slow(value)

        def column(values: Sequence[Any]) -> list[Any] | None:
            if not _EXACT_DATE.issuperset(map(type, values)):
                return None
            if None in values:
                return [None if value is None else value.isoformat() for value in values]
            return list(map(dt.date.isoformat, values))
    if typed is impl or not typed._has_bind_processor:
        text.column = column
        return text
    return lambda value: text(typed.process_bind_param(value, dialect))


#: the exact types the SQLite date processors' ``column`` format without a call per value
_EXACT_DATETIME = frozenset({dt.datetime, type(None)})
_EXACT_DATE = frozenset({dt.date, type(None)})
_DATETIME_TEXT = methodcaller("isoformat", " ", "microseconds")


def _processed(values: Sequence[Any], process: Callable[[Any], Any] | None) -> Sequence[Any]:
    """A column's values through its processor (``None`` stays ``None``).

    The same object in every row (a chunk's timestamp) is processed once; a processor's
    ``column`` attribute, where it has one, may take the whole column at once.
    """
    if process is None:
        return values
    first = values[0]
    if first is values[-1] and all(value is first for value in values):
        return [None if first is None else process(first)] * len(values)
    whole = getattr(process, "column", None)
    return (whole and whole(values)) or [None if value is None else process(value)
                                         for value in values]


def write_rows(connection, table: Table, rows: Sequence[Mapping[str, Any]], *,
               wait: bool = True) -> None:
    """Insert plain rows as fast as the database allows.

    ``rows`` are ``{column: value}`` with the same columns in each. PostgreSQL gets many of
    them by ``COPY``, SQLite by one executemany of the driver, everything else by one
    SQLAlchemy executemany. Values go through the columns' types as in any ``INSERT`` (JSON, time
    zones …); no defaults are filled in and nothing is logged: this is the storage step
    under :func:`insert_many` and under bulk writers of work tables (staging rows).

    ``wait=False`` returns while PostgreSQL's ``COPY`` runs on in a background thread, so
    the caller's own work (the next chunk) overlaps the server's: the connection's next
    statement, savepoint, commit or rollback waits for it first, and a ``COPY`` that
    failed raises its error there. Elsewhere the rows are written at once. The engine must
    be watched (:func:`watch_background_copies`, which ``create_app`` does).
    """
    if not rows:
        return
    names = tuple(rows[0])
    parameters = _by_row(table, names, connection.dialect)
    _write(connection, table, names, len(rows), lambda: map(parameters, rows),
           lambda: list(rows), wait)


def write_columns(connection, table: Table, columns: Mapping[str, Sequence[Any]], *,
                  wait: bool = True) -> None:
    """:func:`write_rows` with the values given a column at a time: ``{column: [values]}``.

    Each list holds one value per row, in the same order; the parameters are made a
    column at a time (no dict per row).
    """
    count = _length(columns)
    if not count:
        return
    names = tuple(columns)
    _, in_order, processors = _prepared(table, names, connection.dialect)

    def parameters() -> Iterator[tuple]:
        return zip(*(_processed(columns[column.key], process)
                     for column, process in zip(in_order, processors, strict=True)),
                   strict=True)

    _write(connection, table, names, count, parameters, lambda: _as_rows(columns), wait)


def _write(connection, table: Table, names: tuple[str, ...], count: int,
           parameters: Callable[[], Iterable[Sequence[Any]]],
           rows: Callable[[], list[dict[str, Any]]], wait: bool) -> None:
    """The storage step of :func:`write_rows` and :func:`write_columns`: ``count`` rows.

    ``parameters()`` gives each row's parameters in the order of :func:`_prepared`;
    ``rows()`` the rows as dicts, for the databases that take them so.
    """
    dialect = connection.dialect
    by_copy = dialect.name == "postgresql" and count >= COPY_MIN_ROWS
    if not (by_copy or dialect.name == "sqlite"):
        connection.execute(insert(table), rows())
        return
    statement, columns, _ = _prepared(table, names, dialect)
    if dialect.name == "sqlite":
        connection.exec_driver_sql(statement.string, list(parameters()))
        return
    from psycopg import sql

    copy_from = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(*filter(None, (table.schema, table.name))),
        sql.SQL(", ").join(sql.Identifier(column.name) for column in columns))
    driver = connection.connection.driver_connection
    _finish_copy(connection.info)
    if wait or not event.contains(connection.engine, "commit", _finish_before):
        _copy(driver, copy_from, parameters())
    else:
        connection.info[_PENDING_COPY] = _copier().submit(_copy, driver, copy_from,
                                                          list(parameters()))


def _copy(driver, copy_from, values: Iterable[Sequence[Any]]) -> None:
    with driver.cursor() as cursor, cursor.copy(copy_from) as copy:
        for row in values:
            copy.write_row(row)


#: where a connection's ``info`` keeps the future of its ``COPY`` still running
_PENDING_COPY = "onward_pending_copy"


def _copier() -> ThreadPoolExecutor:
    return _copier_of(os.getpid())


@functools.cache
def _copier_of(_pid: int) -> ThreadPoolExecutor:
    # one per process: a forked child (an RQ job) cannot use its parent's threads
    return ThreadPoolExecutor(max_workers=4, thread_name_prefix="onward-copy")


def _finish_copy(info: dict, *, raising: bool = True) -> None:
    """Wait for the connection's background ``COPY``, if any; raise its error."""
    pending = info.pop(_PENDING_COPY, None)
    if pending is None:
        return
    try:
        pending.result()
    except Exception:
        if raising:
            raise
        logger.warning("a background COPY failed before its transaction ended", exc_info=True)


def watch_background_copies(engine) -> None:
    """Make every use of ``engine``'s connections wait for their background ``COPY``.

    Statements, savepoints and commits wait and raise its error; a rollback, or a
    connection going back to the pool, waits and only logs it (the work is undone anyway).
    Until an engine is watched, ``write_rows(…, wait=False)`` waits on it.
    """
    for name in ("before_cursor_execute", "savepoint", "rollback_savepoint",
                 "release_savepoint", "commit"):
        event.listen(engine, name, _finish_before)
    event.listen(engine, "rollback", _finish_before_rollback)
    event.listen(engine.pool, "reset", _finish_before_reset)


def _finish_before(connection, *_args) -> None:
    _finish_copy(connection.info)


def _finish_before_rollback(connection) -> None:
    _finish_copy(connection.info, raising=False)


def _finish_before_reset(_dbapi_connection, record, _reset_state) -> None:
    _finish_copy(record.info, raising=False)


def among(expressions: ColumnElement | list[ColumnElement] | tuple[ColumnElement, ...],
          values: Iterable[Any]) -> ColumnElement[bool]:
    """``expressions IN values`` for lookups of thousands of values at a time.

    ``expressions`` is one column (or SQL expression) and ``values`` its values, or a
    sequence of them and ``values`` tuples. On PostgreSQL the values travel as one array
    per column (``= ANY(:array)``, ``IN (SELECT unnest(…))``): with thousands of separate
    parameters, the generic plan the server settles on for a repeated statement compares
    every row with every parameter — a chunk lookup in a large table took seconds.
    On SQLite, text and whole numbers of one expression travel as one JSON array
    (``IN (SELECT value FROM json_each(:array))``): SQLAlchemy renders an ``IN`` of
    thousands of parameters anew for each statement, which cost more than the lookup.
    Elsewhere it is a plain ``IN``.
    """
    values = list(values)
    single = not isinstance(expressions, list | tuple)
    dialect = db.session.get_bind().dialect
    if dialect.name == "sqlite" and single and _listable(expressions, values, dialect):
        listed = func.json_each(bindparam(None, dump_json(values), type_=String()))
        return expressions.in_(select(listed.table_valued("value").c.value))
    if dialect.name != "postgresql":
        return (expressions.in_(values) if single
                else tuple_(*expressions).in_([tuple(value) for value in values]))
    if single:
        return expressions == any_(_array(expressions, values))
    arrays = [_array(expression, [value[index] for value in values])
              for index, expression in enumerate(expressions)]
    return tuple_(*expressions).in_(select(*(func.unnest(array) for array in arrays)))


#: the values JSON carries to SQLite as they are compared there
_LISTABLE = frozenset({str, int, type(None)})


def _listable(expression: ColumnElement, values: list[Any], dialect) -> bool:
    """Whether ``values`` can travel to SQLite as a JSON array.

    Text, 64-bit whole numbers and nulls can, for an expression whose type sends them
    unchanged.
    """
    return (_LISTABLE.issuperset(map(type, values))
            and expression.type.dialect_impl(dialect).bind_processor(dialect) is None
            and all(-LARGEST_INTEGER - 1 <= value <= LARGEST_INTEGER
                    for value in values if type(value) is int))


def _array(expression: ColumnElement, values: list[Any]) -> BindParameter:
    """``values`` as one PostgreSQL array parameter of the expression's type."""
    kind = expression.type
    if isinstance(kind, NullType):  # a function such as lower(): typed like its values
        known = [value for value in values if value is not None]
        kind = literal(known[0]).type if known else String()
    return bindparam(None, values, type_=ARRAY(kind))


_collector_lock = threading.Lock()
_collector_users = 0
_collector_thresholds: tuple[int, ...] = ()


@contextmanager
def fewer_collections(threshold: int = 1_000_000) -> Iterator[None]:
    """Run Python's cyclic garbage collector less often during bulk work.

    Bulk work allocates millions of short-lived objects, and the collector would walk every
    live object again after each 700 of them: about a third of a data import's time. Inside
    this block it waits for ``threshold`` allocations instead (objects freed by reference
    counting, nearly all of them, go at once as ever). The setting is process-wide: it
    holds while any thread is inside such a block.
    """
    global _collector_users, _collector_thresholds
    with _collector_lock:
        if _collector_users == 0:
            _collector_thresholds = gc.get_threshold()
            gc.set_threshold(threshold, *_collector_thresholds[1:])
        _collector_users += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector_users -= 1
            if _collector_users == 0:
                gc.set_threshold(*_collector_thresholds)


class _DefaultContext:
    """What a column's default callable may ask: the row's values so far (made when asked)."""

    def __init__(self, columns: Mapping[str, Sequence[Any]], index: int):
        self._columns, self._index = columns, index

    @property
    def current_parameters(self) -> dict[str, Any]:
        """The values of the row being inserted, by column name."""
        return {name: values[self._index] for name, values in self._columns.items()}

    def get_current_parameters(self, isolate_multiinsert_groups: bool = True) -> dict:
        """The values of the row being inserted."""
        return self.current_parameters


@functools.cache
def _attributes(mapper: Mapper) -> frozenset[str]:
    """The names of the mapped columns' attributes."""
    return frozenset(mapper.column_attrs.keys())


@functools.cache
def _column_names(mapper: Mapper) -> tuple[tuple[str, str], ...]:
    """(attribute, column name) of each mapped column, in table order."""
    return tuple((attr.key, attr.columns[0].key) for attr in mapper.column_attrs)


def _by_column_name(mapper: Mapper, columns: Mapping[str, list]) -> dict[str, list]:
    """The INSERT's values by column name.

    Every column but the key (``None`` where not given), and the key where some record
    has one.
    """
    key = mapper.primary_key[0].key
    count = _length(columns)
    named = {name: columns.get(attribute) or [None] * count
             for attribute, name in _column_names(mapper)}
    if not any(value is not None for value in named[key]):
        del named[key]
    return named


def _fill_defaults(mapper: Mapper, columns: dict[str, list], count: int,
                   records: list[Any] | None) -> None:
    """A ``None`` in a column with a default gets the default, a column at a time.

    The defaults go into the records too, as the ORM sets them on the instance, so the
    audit and event rows show them. A default callable is given the row's values (with
    the defaults of the columns before it).
    """
    names = dict(_column_names(mapper))
    for attribute, name in _column_names(mapper):
        default = mapper.local_table.c[name].default
        if default is None:
            continue
        values = columns.get(attribute)
        if values is None:
            values, missing = [None] * count, range(count)
        elif None not in values:
            continue
        else:
            missing = [index for index, value in enumerate(values) if value is None]
            values = list(values)
        if default.is_callable:
            by_name = {names[other]: column for other, column in columns.items()}
            for index in missing:
                values[index] = default.arg(_DefaultContext(by_name, index))
        else:
            for index in missing:
                values[index] = default.arg
        columns[attribute] = values
        for index in missing if records is not None else ():
            records[index].__dict__[attribute] = values[index]
