"""Events: a durable log written with each change, dispatched to ``on_event`` after commit.

Every flush writes one event per changed record (``<table>.created|updated|deleted``, with
the changed fields' old and new values) into ``core_event``, in the same transaction as
the change: an event exists exactly when its change was committed. Code can add its own
events with :func:`emit` (the playbook engine does).

After a commit that wrote events, the dispatcher hands every undispatched event, oldest
first, to each plugin's ``on_event`` and marks it dispatched in the same transaction as
the reaction's own writes. An event is claimed with a lease before it is handled, so two
dispatchers never handle it at once, and one whose dispatcher crashed is handled again
once the lease runs out (``onward jobs run-due`` picks such events up). Delivery is at
least once: a reaction keys its idempotence on ``event.id``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import logging
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import JSON, Integer, String, Text, delete, event, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from onward.core.actor import SYSTEM, acting_as, current_actor
from onward.core.db import UTCDateTime, db, utcnow

log = logging.getLogger(__name__)

#: how long a dispatcher may hold an event before another may take it over
LEASE = dt.timedelta(minutes=5)
#: after this many failed attempts an event is left alone (visible as failed)
MAX_ATTEMPTS = 10


class EventRecord(db.Model):
    """One event in the durable log."""

    __tablename__ = "core_event"
    __events__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    #: e.g. ``exemplar_thing.updated`` or ``playbook.activity.completed``
    name: Mapped[str] = mapped_column(String(120), index=True)
    #: the table of the record the event is about
    record_type: Mapped[str] = mapped_column(String(120), default="")
    record_id: Mapped[int | None] = mapped_column(Integer)
    #: ``{field: [old, new]}``
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    #: anything else the event carries
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    domain_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: when every ``on_event`` implementation had it; ``None`` while pending
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    #: a dispatcher holds the event until then (also the earliest retry after a failure)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class Event:
    """What ``on_event`` receives; ``id`` keys idempotent reactions."""

    id: int
    name: str
    record_type: str = ""
    record_id: int | None = None
    #: ``{field: (old, new)}``
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    actor_id: int | None = None
    at: dt.datetime = field(default_factory=utcnow)

    @classmethod
    def from_record(cls, record: EventRecord) -> Event:
        """The event as plugins see it."""
        return cls(
            id=record.id, name=record.name, record_type=record.record_type,
            record_id=record.record_id,
            changes={key: tuple(value) for key, value in (record.changes or {}).items()},
            data=dict(record.data or {}), actor_id=record.actor_id, at=record.created_at,
        )


#: values JSON holds as they are (checked by exact type first: every event goes through here)
_PLAIN = frozenset({type(None), bool, int, float, str})


def json_safe(value: Any) -> Any:
    """A value the JSON column can hold: dates as ISO text, decimals as text."""
    if type(value) in _PLAIN or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [json_safe(v) for v in value]
    return str(value)


def event_row(record: Any, kind: str, changes: dict, base: dict) -> dict:
    """The event-log row of one record changed by a flush (see ``core/db.py``)."""
    domain_column = getattr(record, "__domain_column__", None)
    return {
        "name": f"{record.__tablename__}.{kind}d",
        "record_type": record.__tablename__,
        "record_id": getattr(record, "id", None),
        "changes": {key: [json_safe(old), json_safe(new)] for key, (old, new) in changes.items()},
        "data": {},
        "actor_id": base["user_id"],
        "domain_id": (getattr(record, domain_column, None) if domain_column else None)
        or base["domain_id"],
        "created_at": base["created_at"],
        "attempts": 0,
    }


def batch_event_row(first: Any, ids: list[int], kind: str, base: dict) -> dict:
    """The one event-log row of a batch of records of one model (see ``core/db.py``).

    ``first`` is the batch's first record, ``ids`` the ids of them all.
    """
    return {**event_row(first, kind, {}, base), "name": f"{first.__tablename__}.bulk_{kind}d",
            "record_id": None, "data": {"ids": ids}}


def emit(name: str, *, record: Any = None, data: dict | None = None) -> EventRecord:
    """Add an event of your own to the current transaction (dispatched after commit)."""
    actor = current_actor()
    domain_column = getattr(record, "__domain_column__", None) if record is not None else None
    entry = EventRecord(
        name=name,
        record_type=getattr(record, "__tablename__", ""),
        record_id=getattr(record, "id", None),
        changes={},
        data=json_safe(data or {}),
        actor_id=getattr(actor, "id", None),
        domain_id=(getattr(record, domain_column, None) if domain_column else None)
        or getattr(actor, "domain_id", None),
    )
    db.session.add(entry)
    db.session.info["onward_events"] = True
    return entry


# --- dispatch ---------------------------------------------------------------------------


def _claim(event_id: int) -> bool:
    now = utcnow()
    claimed = db.session.execute(
        update(EventRecord)
        .where(EventRecord.id == event_id, EventRecord.dispatched_at.is_(None),
               or_(EventRecord.claimed_until.is_(None), EventRecord.claimed_until < now))
        .values(claimed_until=now + LEASE)
    ).rowcount
    db.session.commit()
    return claimed == 1


def _pending_ids(limit: int) -> list[int]:
    now = utcnow()
    return list(db.session.scalars(
        select(EventRecord.id)
        .where(EventRecord.dispatched_at.is_(None), EventRecord.attempts < MAX_ATTEMPTS,
               or_(EventRecord.claimed_until.is_(None), EventRecord.claimed_until < now))
        .order_by(EventRecord.id)
        .limit(limit)
    ))


def dispatch_pending(limit: int = 1000) -> int:
    """Hand pending events, oldest first, to every ``on_event``; returns how many went.

    Each event's reactions and its *dispatched* mark commit together; a reaction that
    fails rolls back, is recorded on the event and retried later, with a growing pause.
    """
    hook = current_app.extensions["onward"].pm.hook.on_event
    handled = 0
    with acting_as(SYSTEM):
        for event_id in _pending_ids(limit):
            if not _claim(event_id):
                continue
            record = db.session.get(EventRecord, event_id)
            try:
                hook(event=Event.from_record(record))
            except Exception as exc:
                db.session.rollback()
                _record_failure(event_id, exc)
                continue
            record.dispatched_at = utcnow()
            record.attempts += 1
            db.session.commit()
            handled += 1
    return handled


def _record_failure(event_id: int, exc: Exception) -> None:
    log.exception("event %s: a reaction failed", event_id, exc_info=exc)
    record = db.session.get(EventRecord, event_id)
    record.attempts += 1
    record.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    record.claimed_until = utcnow() + dt.timedelta(seconds=30 * 2 ** min(record.attempts, 8))
    db.session.commit()


# --- retention --------------------------------------------------------------------------

#: events deleted per statement (and per commit) by :func:`prune_dispatched`
PRUNE_BATCH = 10_000


def prune_dispatched(now: dt.datetime | None = None) -> int:
    """Delete the events dispatched more than ``EVENTS_KEEP_DAYS`` ago; returns how many.

    Pending events and events whose reactions keep failing stay: they still have work to
    do. Deletes a batch at a time, each in its own transaction.
    """
    cutoff = (now or utcnow()) - dt.timedelta(days=current_app.config["EVENTS_KEEP_DAYS"])
    deleted = 0
    while True:
        ids = select(EventRecord.id).where(EventRecord.dispatched_at < cutoff).limit(PRUNE_BATCH)
        count = db.session.execute(delete(EventRecord).where(
            EventRecord.id.in_(ids.scalar_subquery()))).rowcount
        db.session.commit()
        deleted += count
        if count < PRUNE_BATCH:
            return deleted


def prune_job(ctx) -> dict[str, int]:
    """The scheduled job: prune the event log and say how many events went."""
    deleted = prune_dispatched()
    ctx.progress(100, f"{deleted} dispatched events deleted")
    return {"deleted": deleted}


@event.listens_for(Session, "after_commit")
def _note_committed_events(session: Session) -> None:
    if session.info.pop("onward_events", False) and has_app_context():
        g.onward_events_committed = True


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_events(session: Session) -> None:
    session.info.pop("onward_events", None)


def dispatch_after_context(_exc: BaseException | None = None) -> None:
    """Dispatch the events committed in the ending app context, in a fresh one.

    Registered to run after the context's session is closed (see ``create_app``), so the
    reactions see exactly what was committed. Turned off by ``DISPATCH_EVENTS = "jobs"``,
    which leaves dispatch to ``onward jobs run-due`` and the worker.
    """
    if not g.pop("onward_events_committed", False):
        return
    app: Flask = current_app._get_current_object()
    if app.config["DISPATCH_EVENTS"] != "inline":
        return
    with app.app_context():
        try:
            dispatch_pending()
        except Exception:  # the events stay pending; run-due will hand them over
            log.exception("dispatching events failed")
        finally:
            db.session.remove()
