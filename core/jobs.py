"""Jobs: durable job records, in-process and RQ backends, and scheduled jobs.

A plugin registers job types (``register_jobs``). :func:`enqueue` records a run
(``core_job_run``: status, progress 0 to 100, message, result, error, timestamps) and hands
it to the configured backend once the current transaction commits:

* ``thread`` (the embedded default): a small thread pool in the web process;
* ``sync``: right away, in the committing process (tests, and ``onward jobs run-due``);
* ``rq``: a Redis queue (``ONWARD_REDIS_URL``), run by ``onward worker``.

Scheduled jobs (those with a cron ``schedule``) are started by ``onward jobs run-due``,
safe to run from cron every minute on any number of machines: a due job is claimed with
a compare-and-set on its next run time, so it runs once.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from cronsim import CronSim, CronSimError
from flask import Flask, current_app
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from onward.core.access import require_role
from onward.core.actor import SYSTEM, acting_as, current_actor
from onward.core.db import UTCDateTime, db, utcnow
from onward.core.errors import NotFound, OnwardError, StartupError, ValidationFailed
from onward.core.events import dispatch_pending, json_safe
from onward.core.registries import Job

log = logging.getLogger(__name__)

STATUSES = ("queued", "running", "succeeded", "failed")
ADMINS_ONLY = "Only administrators may start jobs by hand or change their schedules."


class JobRun(db.Model):
    """One run of a job: who asked, how far it got, and how it ended."""

    __tablename__ = "core_job_run"
    __events__ = False  # progress updates would flood the event log

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the job type's key
    key: Mapped[str] = mapped_column(String(120), index=True)
    #: what people read, e.g. the job type's label
    label: Mapped[str] = mapped_column(String(200), default="")
    #: ``queued``, ``running``, ``succeeded`` or ``failed``
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    #: 0 to 100
    progress: Mapped[int] = mapped_column(Integer, default=0)
    #: what the job is doing now, or how it ended
    message: Mapped[str] = mapped_column(String(500), default="")
    arguments: Mapped[dict] = mapped_column(JSON, default=dict)
    result: Mapped[Any] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text)
    #: ``True`` when the scheduler started it
    scheduled: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL")
    )
    domain_id: Mapped[int | None] = mapped_column(ForeignKey("core_domain.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    __domain_column__ = "domain_id"
    #: whoever started a job may follow it
    __owner_column__ = "requested_by_id"
    __owner_rights__ = "r"

    @property
    def done(self) -> bool:
        """Whether the run has ended."""
        return self.status in ("succeeded", "failed")


class JobSchedule(db.Model):
    """When a scheduled job runs next, and whether it runs at all."""

    __tablename__ = "core_job_schedule"
    __events__ = False

    #: the job type's key
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    next_run_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_run_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_run_id: Mapped[int | None] = mapped_column(Integer)


class JobContext:
    """Handed to a job's function: report progress, see the arguments and the run."""

    def __init__(self, run: JobRun):
        self.run = run

    def progress(self, percent: float, message: str = "") -> None:
        """Record progress (0 to 100) and a message; commits the work done so far.

        Jobs work in chunks and call this after each one, so a page following the job
        sees it move, and a failure later keeps what was done.
        """
        self.run.progress = max(0, min(100, int(percent)))
        if message:
            self.run.message = message[:500]
        db.session.commit()


# --- job types --------------------------------------------------------------------------


def job_types() -> dict[str, Job]:
    """The job types of the current app, by key."""
    return dict(current_app.extensions["onward"].registries.jobs)


def job_type(key: str) -> Job:
    """The job type ``key``, or ``NotFound``."""
    try:
        return current_app.extensions["onward"].registries.jobs[key]
    except KeyError:
        raise NotFound(f"No job type {key!r}.") from None


def scheduled_keys() -> list[str]:
    """The keys of the job types that have a schedule."""
    return [key for key, job in job_types().items() if job.schedule is not None]


def next_run(schedule: str, after: dt.datetime) -> dt.datetime:
    """The first time after ``after`` (UTC) that the cron ``schedule`` names."""
    naive = after.astimezone(dt.UTC).replace(tzinfo=None, second=0, microsecond=0)
    return next(CronSim(schedule, naive)).replace(tzinfo=dt.UTC)


def check_schedules(jobs: dict[str, Job]) -> None:
    """Stop start-up when a job's schedule is not a valid cron expression."""
    for job in jobs.values():
        if job.schedule is None:
            continue
        try:
            next_run(job.schedule, utcnow())
        except CronSimError as exc:
            raise StartupError(f"job {job.key!r}: bad schedule {job.schedule!r}: {exc}") from exc


# --- starting runs ----------------------------------------------------------------------


def enqueue(key: str, /, *, scheduled: bool = False, **arguments: Any) -> JobRun:
    """Record a run of job ``key`` and start it once the current transaction commits.

    Raises:
        NotFound: no such job type.
        ValidationFailed: the arguments cannot be stored as JSON.
    """
    job = job_type(key)
    if json_safe(arguments) != arguments:
        raise ValidationFailed(f"Job {key!r} takes plain JSON arguments.")
    actor = current_actor()
    run = JobRun(key=key, label=job.label, arguments=arguments, scheduled=scheduled,
                 requested_by_id=getattr(actor, "id", None),
                 domain_id=getattr(actor, "domain_id", None) or _top_domain_id())
    db.session.add(run)
    db.session.flush()
    db.session.info.setdefault("onward_jobs", []).append(run.id)
    return run


def _top_domain_id() -> int | None:
    from onward.core.models import Domain

    return db.session.scalar(select(Domain.id).where(Domain.parent_id.is_(None))
                             .order_by(Domain.id).limit(1))


@event.listens_for(Session, "after_commit")
def _start_committed_runs(session: Session) -> None:
    run_ids = session.info.pop("onward_jobs", [])
    if run_ids:
        app = current_app._get_current_object()
        for run_id in run_ids:
            try:
                backend(app).submit(app, run_id)
            except Exception:  # the run stays queued, visible as such; never undo the commit
                log.exception("could not start job run %s", run_id)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_runs(session: Session) -> None:
    session.info.pop("onward_jobs", None)


def run_job(app: Flask, run_id: int) -> JobRun | None:
    """Run a queued job in its own application context; any backend ends up here.

    The run is claimed (``queued`` → ``running``) first, so it runs once even if it was
    handed to two workers. Its bookkeeping is written as the system, also when the
    ``sync`` backend runs it inside a request, whose signed-in user is not the job's.
    """
    with app.app_context(), acting_as(SYSTEM):
        try:
            return _run(run_id)
        finally:
            db.session.remove()


def _run(run_id: int) -> JobRun | None:
    claimed = db.session.execute(
        update(JobRun).where(JobRun.id == run_id, JobRun.status == "queued")
        .values(status="running", started_at=utcnow(), message="Started")
    ).rowcount
    db.session.commit()
    if not claimed:
        return None
    run = db.session.get(JobRun, run_id)
    requester = run.requested_by_id and _user(run.requested_by_id)
    try:
        with acting_as(requester or SYSTEM):
            result = job_type(run.key).func(JobContext(run), **(run.arguments or {}))
    except Exception as exc:
        db.session.rollback()
        run = db.session.get(JobRun, run_id)
        run.status, run.finished_at = "failed", utcnow()
        run.error = exc.message if isinstance(exc, OnwardError) else traceback.format_exc()
        run.message = f"Failed: {exc}"[:500]
        db.session.commit()
        log.warning("job %s (%s) failed: %s", run_id, run.key, exc)
        return run
    run.status, run.progress, run.finished_at = "succeeded", 100, utcnow()
    run.result = json_safe(result)
    run.message = run.message if run.message not in ("", "Started") else "Done"
    db.session.commit()
    return run


def _user(user_id: int):
    from onward.core.models import User

    return db.session.get(User, user_id)


# --- backends ---------------------------------------------------------------------------


class SyncBackend:
    """Runs a job right away, in this process (tests; the ``run-due`` command)."""

    def submit(self, app: Flask, run_id: int) -> None:
        """Run the job now."""
        run_job(app, run_id)


class ThreadBackend:
    """Runs jobs on a small thread pool in this process: the embedded default."""

    def __init__(self, workers: int):
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="onward-job")

    def submit(self, app: Flask, run_id: int) -> None:
        """Start the job on a pool thread."""
        self.pool.submit(run_job, app, run_id)


class RQBackend:
    """Puts jobs on a Redis queue for ``onward worker``."""

    def __init__(self, redis_url: str, queue: str):
        from redis import Redis
        from rq import Queue

        self.queue = Queue(queue, connection=Redis.from_url(redis_url))

    def submit(self, app: Flask, run_id: int) -> None:
        """Queue the job for a worker."""
        # RQ keeps jobs by id across queues: the queue's name keeps two sites apart
        self.queue.enqueue(run_in_worker, run_id, job_id=f"{self.queue.name}-run-{run_id}")


def run_in_worker(run_id: int) -> None:
    """The function an RQ worker calls: run the job in the worker's application."""
    run_job(current_app._get_current_object(), run_id)


#: set by :func:`in_foreground` for the current thread (or task) only
_foreground: ContextVar[bool] = ContextVar("onward_jobs_foreground", default=False)


def backend(app: Flask):
    """The app's job backend, made on first use (``JOBS_BACKEND``)."""
    if _foreground.get() and app.config["JOBS_BACKEND"] == "thread":
        return SyncBackend()
    state = app.extensions["onward"]
    if state.job_backend is None:
        kind = app.config["JOBS_BACKEND"]
        if kind == "rq":
            state.job_backend = RQBackend(app.config["REDIS_URL"], app.config["RQ_QUEUE"])
        elif kind == "thread":
            state.job_backend = ThreadBackend(app.config["JOBS_THREADS"])
        else:
            state.job_backend = SyncBackend()
    return state.job_backend


@contextmanager
def in_foreground() -> Iterator[None]:
    """Run the jobs this thread starts in the block in this process, unless they go to RQ.

    For commands: a process must not exit while its thread pool still runs jobs, so
    the ``thread`` backend gives way to ``sync`` in the block; ``rq`` jobs stay queued
    for the worker. Other threads keep the app's backend.
    """
    token = _foreground.set(True)
    try:
        yield
    finally:
        _foreground.reset(token)


def redis_connection(app: Flask):
    """A connection to the app's Redis (``REDIS_URL``) that answered a ping.

    Raises:
        StartupError: ``REDIS_URL`` is not set, the ``rq`` extra is not installed, or
            Redis does not answer.
    """
    if not app.config["REDIS_URL"]:
        raise StartupError("ONWARD_REDIS_URL is not set: the worker takes its jobs from Redis.")
    try:
        from redis import Redis
        from redis.exceptions import RedisError
    except ImportError:
        raise StartupError("The worker needs Redis and RQ: pip install 'onward[rq]'.") from None
    connection = Redis.from_url(app.config["REDIS_URL"])
    try:
        connection.ping()
    except RedisError as exc:
        raise StartupError(f"Redis at ONWARD_REDIS_URL does not answer: {exc}") from None
    return connection


def make_worker(app: Flask, queue: str | None = None):
    """An RQ worker on ``queue`` (default: ``RQ_QUEUE``) that runs jobs in its own process.

    It is an ``rq.SimpleWorker`` (no fork per job), so a job runs inside the application
    context the caller pushed.
    """
    connection = redis_connection(app)
    from rq import Queue, SimpleWorker

    queues = [Queue(queue or app.config["RQ_QUEUE"], connection=connection)]
    return SimpleWorker(queues, connection=connection)


# --- schedules --------------------------------------------------------------------------


def schedules() -> dict[str, JobSchedule]:
    """Every scheduled job's schedule row, made on first use (active as its job says)."""
    rows = {row.key: row for row in db.session.scalars(select(JobSchedule))}
    for key, job in job_types().items():
        if job.schedule is not None and key not in rows:
            rows[key] = JobSchedule(key=key, active=job.active,
                                    next_run_at=next_run(job.schedule, utcnow()))
            db.session.add(rows[key])
    db.session.commit()
    return rows


def start_by_hand(key: str, /, **arguments: Any) -> JobRun:
    """An admin starts job ``key`` now (jobs run with wide rights, so admins only)."""
    require_role("admin", message=ADMINS_ONLY)
    return enqueue(key, **arguments)


def set_active(key: str, active: bool) -> JobSchedule:
    """Turn a scheduled job on or off (admins only)."""
    require_role("admin", message=ADMINS_ONLY)
    row = schedules().get(key)
    if row is None:
        raise NotFound(f"No scheduled job {key!r}.")
    row.active = active
    if active:
        row.next_run_at = next_run(job_type(key).schedule, utcnow())
    return row


def run_due(now: dt.datetime | None = None) -> list[JobRun]:
    """Run every active scheduled job that is due, once, and dispatch pending events.

    Two runners at the same time never run the same due job twice: each claims a job by
    moving its next run time forward only if nobody moved it first.
    """
    now = now or utcnow()
    fail_stale_runs(now)
    started = []
    for key, row in schedules().items():
        job = job_types().get(key)
        if job is None or job.schedule is None or not row.active or row.next_run_at > now:
            continue
        claimed = db.session.execute(
            update(JobSchedule)
            .where(JobSchedule.key == key, JobSchedule.next_run_at == row.next_run_at)
            .values(next_run_at=next_run(job.schedule, now), last_run_at=now)
        ).rowcount
        db.session.commit()
        if claimed:
            started.append(_start_scheduled(key))
    dispatch_pending()
    return started


def fail_stale_runs(now: dt.datetime | None = None) -> int:
    """Mark failed the runs still ``running`` ``JOBS_STALE_HOURS`` after they started.

    A worker that dies (a restart, a crash) never records the end of its run; without this
    the run would show as running for ever. Returns how many runs were marked.
    """
    now = now or utcnow()
    hours = current_app.config["JOBS_STALE_HOURS"]
    message = f"Failed: no end recorded within {hours} hours; the worker running it stopped."
    marked = db.session.execute(
        update(JobRun)
        .where(JobRun.status == "running",
               JobRun.started_at < now - dt.timedelta(hours=hours))
        .values(status="failed", finished_at=now, message=message, error=message)
    ).rowcount
    db.session.commit()
    return marked


def _start_scheduled(key: str) -> JobRun:
    with acting_as(SYSTEM):
        run = enqueue(key, scheduled=True)
        db.session.execute(update(JobSchedule).where(JobSchedule.key == key)
                           .values(last_run_id=run.id))
        db.session.commit()  # the backend starts it (run-due itself uses ``sync``)
    return db.session.get(JobRun, run.id)
