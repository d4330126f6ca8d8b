"""The API of jobs: runs and their progress, starting runs, and the scheduled jobs.

Runs are read through ``scoped(JobRun)`` (whoever started a run may follow it). Jobs run
with wide rights, so only admins start them or change schedules.
"""

from __future__ import annotations

from onward.core import jobs
from onward.core.access import get_or_404, scoped
from onward.core.api import schemas
from onward.core.api.conventions import (
    body_field,
    dump,
    errors,
    list_args_schema,
    page_response,
    page_schema,
    success,
)
from onward.core.api.resources import blueprint
from onward.core.db import db
from onward.core.errors import NotFound
from onward.core.jobs import JobRun, JobSchedule
from onward.core.lists import JOB_RUNS, JOB_SCHEDULES

_run = schemas.JobRunSchema()
_schedule = schemas.JobScheduleSchema()


def _started(run: JobRun) -> tuple[dict, int]:
    """Commit (which hands the run to the backend) and answer 202 with the run."""
    db.session.commit()
    return dump(_run, db.session.get(JobRun, run.id)), 202


# --- runs -------------------------------------------------------------------------------


@blueprint.route("/jobs", methods=["GET"], endpoint="jobs_list")
@blueprint.doc(parameters=[{"in": "query", "schema": list_args_schema(JOB_RUNS)}])
@success(blueprint, 200, page_schema(schemas.JobRunSchema))
@errors(blueprint, 401, 403, 422)
def list_runs():
    """List job runs.

    Newest first; filter by ``status`` (queued, running, succeeded, failed) or ``key``.
    """
    return page_response(scoped(JobRun), JOB_RUNS, _run, JobRun)


@blueprint.route("/jobs/<int:run_id>", methods=["GET"], endpoint="jobs_get")
@success(blueprint, 200, schemas.JobRunSchema)
@errors(blueprint, 401, 403, 404)
def get_run(run_id: int):
    """Get job run.

    Its status, progress and message; ``done`` once it succeeded or failed. Cheap enough
    to poll every second.
    """
    return dump(_run, get_or_404(JobRun, run_id))


@blueprint.route("/jobs", methods=["POST"], endpoint="jobs_create")
@blueprint.arguments(schemas.JobCreateSchema)
@success(blueprint, 202, schemas.JobRunSchema)
@errors(blueprint, 401, 403, 422)
def start_run(data: dict):
    """Start a job.

    For admins. Records a run of job type ``key`` with ``arguments`` and hands it to the
    job backend; follow it at ``/jobs/{id}``.
    """
    with body_field("key"):
        run = jobs.start_by_hand(data["key"], **data["arguments"])
    return _started(run)


# --- schedules --------------------------------------------------------------------------


@blueprint.route("/jobs/schedules", methods=["GET"], endpoint="jobs_schedules_list")
@blueprint.doc(parameters=[{"in": "query", "schema": list_args_schema(JOB_SCHEDULES)}])
@success(blueprint, 200, page_schema(schemas.JobScheduleSchema))
@errors(blueprint, 401, 403, 422)
def list_schedules():
    """List scheduled jobs.

    Each job that has a schedule: whether it is active, when it runs next, its last run.
    """
    stmt = scoped(JobSchedule).where(JobSchedule.key.in_(jobs.scheduled_keys()))
    jobs.schedules()  # a job registered since the last call gets its row
    return page_response(stmt, JOB_SCHEDULES, _schedule, JobSchedule)


def _check_scheduled(key: str) -> None:
    if key not in jobs.scheduled_keys():
        raise NotFound(f"No scheduled job {key!r}.")


@blueprint.route("/jobs/schedules/<key>", methods=["PATCH"], endpoint="jobs_schedules_update")
@blueprint.arguments(schemas.JobScheduleUpdateSchema)
@success(blueprint, 200, schemas.JobScheduleSchema)
@errors(blueprint, 401, 403, 404, 422)
def update_schedule(data: dict, key: str):
    """Turn a scheduled job on or off.

    For admins. Turning it on schedules its next run from now.
    """
    row = jobs.set_active(key, data["active"])
    db.session.commit()
    return dump(_schedule, row)


@blueprint.route("/jobs/schedules/<key>/run", methods=["POST"], endpoint="jobs_schedules_run")
@success(blueprint, 202, schemas.JobRunSchema)
@errors(blueprint, 401, 403, 404)
def run_schedule(key: str):
    """Run a scheduled job now.

    For admins. Starts a run at once, outside its schedule (which stays as it is).
    """
    _check_scheduled(key)
    return _started(jobs.start_by_hand(key))
