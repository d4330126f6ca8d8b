"""The database: the SQLAlchemy instance and the mixins every plugin's models use.

Mixins: :class:`TimestampMixin` (created/updated at and by), :class:`NumberedMixin`
(human-readable numbers per prefix, gap-free), :class:`DomainScopedMixin` and
:class:`AccountScopedMixin` (domain stamping from the record's account),
:class:`AuditedMixin` (field-change history) and :class:`JournalMixin` (work notes and
customer-visible comments). Their behaviour runs in one ``before_flush``/``after_flush``
pair, so every writer (UI, API, CLI, jobs) gets it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

import orjson
from flask import has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    event,
    inspect,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column
from sqlalchemy.orm.attributes import instance_state

from onward.core.actor import current_actor

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with constraint names Alembic can rely on.

    Every model's changes are written to the event log unless it sets ``__events__``
    to ``False``; ``__secret_fields__`` never appear in clear there or in the audit log,
    and changes to ``__bookkeeping_fields__`` are recorded in neither.
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    #: whether changes to records of this model are written to the event log
    __events__: ClassVar[bool] = True
    #: fields whose values are never logged, only that they changed
    __secret_fields__: ClassVar[frozenset[str]] = frozenset()
    #: fields whose changes are bookkeeping, not worth an audit line or an event
    __bookkeeping_fields__: ClassVar[frozenset[str]] = frozenset(
        {"updated_at", "updated_by_id"}
    )


db = SQLAlchemy(model_class=Base)

#: the largest whole number an integer column holds on every database (64 bits)
LARGEST_INTEGER = 2**63 - 1


def dump_json(value: Any) -> str:
    """The text of a JSON column's value, by orjson (several times faster than ``json``).

    Dates become ISO text and keys that are not text become text.
    """
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def json_text(text: str) -> Any:
    """A JSON column's value given as its JSON text, written as it is (not encoded again).

    For values :func:`dump_json` made elsewhere (another process).
    """
    return orjson.Fragment(text)


def unstorable_number(value: Any) -> str | None:
    """Where ``value`` holds a number no JSON column stores, as a JSON path (``$.a[2]``).

    NaN and the infinities (JSON has none) and whole numbers past 64 bits (what
    :func:`dump_json` and integer columns take); ``None`` when it holds none. Walks without
    recursion, so any depth Python's ``json`` reads is fine.
    """
    stack: list[tuple[str, Any]] = [("$", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, dict):
            stack.extend((f"{where}.{key}", child) for key, child in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend((f"{where}[{index}]", item[index])
                         for index in range(len(item) - 1, -1, -1))
        elif (isinstance(item, float) and not math.isfinite(item)) or (
                isinstance(item, int) and abs(item) > LARGEST_INTEGER):
            return where
    return None


#: how the engine writes and reads JSON columns
JSON_CODEC = {"json_serializer": dump_json, "json_deserializer": orjson.loads}


def utcnow() -> datetime:
    """The current time in UTC, timezone-aware."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware timestamps, stored in UTC, that come back aware from SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type:
        """``datetime`` (a decorator's own default says ``object``)."""
        return datetime

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        """Store in UTC; a naive value is taken to be UTC already."""
        if value is not None and value.tzinfo not in (None, UTC):
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        """Attach UTC to naive values (SQLite keeps no zone)."""
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def configure_sqlite(engine: Engine, busy_timeout_ms: int = 30000, cache_mb: int = 64) -> None:
    """WAL, foreign keys, a busy timeout, a page cache and immediate write transactions.

    The page cache holds ``cache_mb`` per connection: SQLite's default (2 MB) is far
    smaller than the indexes of a large table, and a million-row import spent a tenth of
    its time reading pages back from the OS.

    ``BEGIN IMMEDIATE`` takes the write lock at the start of a transaction, so a second
    writer waits (up to the busy timeout) instead of failing half-way with
    "database is locked". Page views (GET) read in a deferred transaction, which WAL
    lets run beside a writer.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA cache_size={-1024 * int(cache_mb)}")  # negative: KiB
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        reading = has_request_context() and request.method in READ_ONLY_METHODS
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def _actor_id() -> int | None:
    actor = current_actor()
    return getattr(actor, "id", None) if actor is not None else None


# --- mixins -----------------------------------------------------------------------------


class TimestampMixin:
    """When a record was created and last updated, and by whom."""

    #: when the record was created
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: when the record was last changed
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @declared_attr
    def created_by_id(cls) -> Mapped[int | None]:
        """The user who created the record (``None`` for the system)."""
        return mapped_column(_user_key(cls))

    @declared_attr
    def updated_by_id(cls) -> Mapped[int | None]:
        """The user who last changed the record."""
        return mapped_column(_user_key(cls))


def _user_key(cls) -> ForeignKey:
    # Core's own tables and core_user refer to each other: their keys to the user table
    # are added once every table exists (see core's first migration).
    return ForeignKey(
        "core_user.id", ondelete="SET NULL", use_alter=cls.__tablename__.startswith("core_")
    )


number_sequence = Table(
    "core_number_sequence",
    Base.metadata,
    Column("prefix", String(20), primary_key=True),
    Column("last_value", Integer, nullable=False, default=0),
)


def next_number(session: Session, prefix: str) -> str:
    """Take the next number for ``prefix`` inside the session's transaction.

    The counter row is locked by the ``UPDATE`` until the transaction ends, so concurrent
    creators queue up, and a rolled-back creation gives its number back: no duplicates,
    no gaps.
    """
    return next_numbers(session, prefix, 1)[0]


def next_numbers(session: Session, prefix: str, count: int) -> list[str]:
    """Take a block of ``count`` consecutive numbers for ``prefix``, with one ``UPDATE``.

    Same guarantees as :func:`next_number`: the block is taken inside the session's
    transaction and given back if it rolls back.
    """
    if count < 1:
        return []
    connection = session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    connection.execute(
        insert(number_sequence).values(prefix=prefix, last_value=0).on_conflict_do_nothing()
    )
    last = connection.execute(
        update(number_sequence)
        .where(number_sequence.c.prefix == prefix)
        .values(last_value=number_sequence.c.last_value + count)
        .returning(number_sequence.c.last_value)
    ).scalar_one()
    return [f"{prefix}{value:07d}" for value in range(last - count + 1, last + 1)]


class NumberedMixin:
    """A human-readable number such as ``ALEONB0000001``, assigned on first flush."""

    #: the number prefix of the model, e.g. ``"ALEONB"``
    __number_prefix__: ClassVar[str]

    @declared_attr
    def number(cls) -> Mapped[str]:
        """The record's number, unique per prefix and gap-free."""
        return mapped_column(String(40), unique=True, index=True)


class DomainScopedMixin:
    """Records that belong to a domain; users see their own domain and those below it."""

    @declared_attr
    def domain_id(cls) -> Mapped[int]:
        """The domain the record belongs to."""
        return mapped_column(ForeignKey("core_domain.id"), index=True)


class AccountScopedMixin(DomainScopedMixin):
    """Records of an account, stamped with the account's domain on every flush.

    One foreign key holds both scope columns: ``(domain_id, account_id)`` refers to the
    account's ``(domain_id, id)``. The database refuses a record whose domain is not its
    account's, and checks one key per record written instead of two (about 6 % of a bulk
    import on PostgreSQL).
    """

    #: whether the table has that key; a table written in bulk and reached only through
    #: another record may keep its scope as plain numbers (the data import's staging rows)
    __scope_key__: ClassVar[bool] = True

    @declared_attr
    def domain_id(cls) -> Mapped[int]:
        """The domain the record belongs to: its account's (the scope key checks it)."""
        return mapped_column(Integer, index=True)

    @declared_attr
    def account_id(cls) -> Mapped[int]:
        """The account the record belongs to."""
        return mapped_column(Integer, index=True)

    @classmethod
    def __table_cls__(cls, name: str, metadata: MetaData, *args: Any, **kwargs: Any) -> Table:
        """The table, with the scope key (models keep their own ``__table_args__``)."""
        if cls.__scope_key__:
            args = (*args, ForeignKeyConstraint(["domain_id", "account_id"],
                                                ["core_account.domain_id", "core_account.id"]))
        return Table(name, metadata, *args, **kwargs)


class AuditedMixin:
    """Records whose field changes are written to the audit log (who, when, old, new)."""


def _keep_old_value(_target, value, _old, _initiator):
    return value


@event.listens_for(db.Model, "mapper_configured", propagate=True)
def _load_old_values(mapper, cls) -> None:
    """Load a column's old value before it is overwritten, for rules, audit and events."""
    for attr in mapper.column_attrs:
        event.listen(getattr(cls, attr.key), "set", _keep_old_value, active_history=True,
                     retval=True)


class JournalMixin:
    """Work notes (internal) and additional comments (customer-visible) on a record."""

    def add_work_note(self, text: str) -> None:
        """Append an internal work note, by the current actor."""
        self._add_journal("work_notes", text)

    def add_comment(self, text: str) -> None:
        """Append a customer-visible additional comment, by the current actor."""
        self._add_journal("comments", text)

    def _add_journal(self, kind: str, text: str) -> None:
        from onward.core.models import JournalEntry

        if not text or not text.strip():
            return
        if self.id is None:
            db.session.flush()
        db.session.add(
            JournalEntry(
                table_name=self.__tablename__,
                record_id=self.id,
                kind=kind,
                body=text.strip(),
                author_id=_actor_id(),
            )
        )

    def journal(self, kinds: tuple[str, ...] = ("work_notes", "comments")) -> list[Any]:
        """Journal entries of the record, newest first, of the given kinds."""
        from onward.core.models import JournalEntry

        return list(
            db.session.scalars(
                select(JournalEntry)
                .where(
                    JournalEntry.table_name == self.__tablename__,
                    JournalEntry.record_id == self.id,
                    JournalEntry.kind.in_(kinds),
                )
                .order_by(JournalEntry.created_at.desc(), JournalEntry.id.desc())
            )
        )


# --- flush hooks ------------------------------------------------------------------------


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context, _instances) -> None:
    actor_id = _actor_id()
    with session.no_autoflush:
        for obj in session.new:
            if isinstance(obj, TimestampMixin) and obj.created_by_id is None:
                obj.created_by_id = actor_id
            if isinstance(obj, NumberedMixin) and not obj.number:
                obj.number = next_number(session, obj.__number_prefix__)
        account_domains: dict[int, int] = {}
        for obj in (*session.new, *session.dirty):
            if isinstance(obj, TimestampMixin) and session.is_modified(obj):
                obj.updated_by_id = actor_id
            if isinstance(obj, AccountScopedMixin):
                _stamp_domain(session, obj, account_domains)
        from onward.core.rules import run_rules  # rules read the app's registries

        run_rules(list(session.new), list(session.dirty), list(session.deleted),
                  session.is_modified)


def _stamp_domain(session: Session, obj: AccountScopedMixin, known: dict[int, int]) -> None:
    """Give ``obj`` its account's domain (``known`` caches account → domain per flush)."""
    from onward.core.models import Account

    if obj.account_id is None:
        account = getattr(obj, "account", None)
        if account is None:
            return
        obj.domain_id = account.domain_id
        return
    history = inspect(obj).attrs.account_id.history
    if obj.domain_id is None or history.has_changes():
        if obj.account_id not in known:
            known[obj.account_id] = session.get(Account, obj.account_id).domain_id
        obj.domain_id = known[obj.account_id]


def _logged(obj: Any, key: str, value: Any) -> Any:
    """A value as the logs may keep it: secrets masked."""
    return "••••" if value is not None and key in obj.__secret_fields__ else value


def column_changes(obj: Any, kind: str) -> dict[str, tuple[Any, Any]]:
    """``{field: (old, new)}`` of a record in a flush: every set field when it is created."""
    state = instance_state(obj)  # what inspect(obj) gives, without its type lookup
    changes = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in obj.__bookkeeping_fields__:
            continue
        if kind == "create":
            value = getattr(obj, key)
            if value is not None:
                changes[key] = (None, _logged(obj, key, value))
        elif kind == "update":
            history = state.attrs[key].history
            if history.has_changes():
                old = history.deleted[0] if history.deleted else None
                new = history.added[0] if history.added else None
                if old != new:
                    changes[key] = (_logged(obj, key, old), _logged(obj, key, new))
    return changes


def _audit_rows(obj: Any, kind: str, changes: dict, base: dict) -> list[dict]:
    domain_column = getattr(obj, "__domain_column__", None)
    domain_id = getattr(obj, domain_column) if domain_column else None
    if domain_column == "id" and kind == "delete":
        # a deleted domain's history stays with the domain above it (the key must hold)
        domain_id = getattr(obj, "parent_id", None)
    row = {**base, "kind": "change", "table_name": obj.__tablename__,
           "record_id": instance_state(obj).mapper.primary_key_from_instance(obj)[0],
           "domain_id": domain_id or base["domain_id"]}
    if kind == "create":
        return [{**row, "field": "*", "old_value": None, "new_value": "created"}]
    if kind == "delete":
        return [{**row, "field": "*", "old_value": "deleted", "new_value": None}]
    return [{**row, "field": field, "old_value": None if old is None else str(old),
             "new_value": None if new is None else str(new)}
            for field, (old, new) in changes.items()]


def _by_model(records) -> list[list[Any]]:
    """``records`` in one list per model, in the order each model first appears."""
    groups: dict[type, list[Any]] = {}
    for record in records:
        groups.setdefault(type(record), []).append(record)
    return list(groups.values())


@contextmanager
def batch_events() -> Iterator[None]:
    """Announce each flush inside the block with one event per model and kind.

    The event is ``<table>.bulk_deleted`` (or ``_created``, ``_updated``) with the ids in
    its data, instead of one event per record; the audit rows stay one per record. For
    writers of thousands of records through the ORM (undoing a data import's batch),
    whose reactions should not run record by record.
    """
    session = db.session()
    before = session.info.get("onward_batch_events", False)
    session.info["onward_batch_events"] = True
    try:
        yield
    finally:
        session.info["onward_batch_events"] = before


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    """Write the audit history and the event log of the flush, in its transaction."""
    log_changes(session, (("create", session.new), ("update", session.dirty),
                          ("delete", session.deleted)),
                events="batch" if session.info.get("onward_batch_events") else "each")


def log_changes(session: Session, batches, *,
                events: Literal["each", "batch"] = "each") -> None:
    """Write the audit rows and event rows of changed records, as a flush does.

    ``batches`` holds ``(kind, records)`` pairs (``create``, ``update`` or ``delete``);
    the records carry their ids and their values as written. Called after every flush
    and by :func:`onward.core.bulk.insert_many`. ``events="batch"`` announces the records
    of each model and kind with a single event, ``<table>.bulk_<kind>d``
    (``core_contact.bulk_created``), whose ``data["ids"]`` lists them, instead of one event
    per record (see :func:`batch_events`).
    """
    from onward.core.events import batch_event_row, event_row

    base = _log_base()
    audit, logged = [], []
    for kind, records in batches:
        batched = []  # the records one batch event announces
        for obj in records:
            audited = isinstance(obj, AuditedMixin)
            announced = obj.__events__ and events == "each"
            if not (audited or obj.__events__):
                continue
            # a creation's audit row holds no values: only its own event needs them
            needed = announced or (kind != "create" and (audited or kind == "update"))
            changes = column_changes(obj, kind) if needed else {}
            if kind == "update" and not changes:
                continue
            if audited:
                audit.extend(_audit_rows(obj, kind, changes, base))
            if announced:
                logged.append(event_row(obj, kind, changes, base))
            elif obj.__events__:
                batched.append(obj)
        logged.extend(batch_event_row(group[0], [record.id for record in group], kind, base)
                      for group in _by_model(batched))
    _write_log(session, audit, logged)


def log_batch_created(session: Session, first: Any, ids: list[int]) -> None:
    """The one ``<table>.bulk_created`` event of records inserted together (``ids``).

    For bulk writers that make no record objects (:func:`onward.core.bulk.insert_columns`):
    ``first`` is the first record, which the event takes its domain from.
    """
    from onward.core.events import batch_event_row

    _write_log(session, [], [batch_event_row(first, ids, "create", _log_base())])


def _log_base() -> dict[str, Any]:
    """What every audit and event row of a change holds: who, when, in which domain."""
    actor = current_actor()
    return {"user_id": getattr(actor, "id", None), "created_at": utcnow(),
            "domain_id": getattr(actor, "domain_id", None)}


def _write_log(session: Session, audit: list[dict], logged: list[dict]) -> None:
    from onward.core.bulk import write_rows
    from onward.core.events import EventRecord
    from onward.core.models import AuditEntry

    connection = session.connection()
    write_rows(connection, AuditEntry.__table__, audit)
    if logged:
        write_rows(connection, EventRecord.__table__, logged)
        session.info["onward_events"] = True
