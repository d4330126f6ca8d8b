"""Admin pages for jobs: the job types and their schedules, the runs, and one run live.

Runs are read through ``scoped(JobRun)`` (whoever started a run may follow it). Jobs run
with wide rights, so, as in the API, only admins start them or turn schedules on and off.
The run page follows a running job without reloading: ``onward.js`` polls the run's JSON
(the API's ``/api/v1/jobs/<id>``) every second, named in the page's ``data-job-poll``.
"""

from __future__ import annotations

import json

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import func

from onward.core import jobs, lists
from onward.core.access import (
    effective_roles,
    get_or_404,
    has_right,
    is_system,
    scoped,
)
from onward.core.actor import current_actor
from onward.core.db import db
from onward.core.jobs import STATUSES, JobRun, JobSchedule
from onward.core.views import blueprint
from onward.core.views.pages import list_page, post_action


def may_manage_jobs() -> bool:
    """Whether the actor may start jobs and change schedules (admins)."""
    actor = current_actor()
    return is_system(actor) or "admin" in effective_roles(actor)


def _last_runs() -> dict[str, JobRun]:
    """The newest run of each job the actor may read, by job key."""
    newest = scoped(JobRun).with_only_columns(func.max(JobRun.id)).group_by(JobRun.key)
    runs = db.session.scalars(scoped(JobRun).where(JobRun.id.in_(newest)))
    return {run.key: run for run in runs}


@blueprint.route("/admin/jobs", endpoint="jobs")
@login_required
def jobs_list():
    """The job types (with their schedules) and the runs: filter, sort, page."""
    show_schedules = has_right(current_actor(), "read", JobSchedule.__tablename__)
    job_types = jobs.job_types()
    filters = [
        ("status", "Status", [("", "Every status"), *((status, status) for status in STATUSES)]),
        ("key", "Job", [("", "Every job"), *((key, job.label) for key, job in job_types.items())]),
    ]
    return list_page(
        JobRun, lists.JOB_RUNS, "core/jobs.html", job_types=job_types, filters=filters,
        schedules=jobs.schedules() if show_schedules else {}, last_runs=_last_runs(),
        may_manage=may_manage_jobs(),
    )


@blueprint.route("/admin/jobs/schedules/<key>/active", methods=["POST"], endpoint="job_active")
@login_required
def job_active(key: str):
    """Turn a scheduled job on (``active=1``) or off."""
    active = request.form.get("active") == "1"
    label = jobs.job_type(key).label
    return post_action(lambda: jobs.set_active(key, active), back=url_for("core.jobs"),
                       message=f"{label} is turned {'on' if active else 'off'}.")


@blueprint.route("/admin/jobs/<key>/run", methods=["POST"], endpoint="job_run_now")
@login_required
def job_run_now(key: str):
    """Start a run of job ``key`` now and follow it on its page."""
    run = jobs.start_by_hand(key)
    run_id, label = run.id, run.label
    db.session.commit()  # the backend starts the run once it is committed
    flash(f"{label} is started.", "success")
    return redirect(url_for("core.job", run_id=run_id))


@blueprint.route("/admin/jobs/runs/<int:run_id>", endpoint="job")
@login_required
def job_page(run_id: int):
    """One run: status, progress and message (live while it runs), arguments, outcome."""
    run = get_or_404(JobRun, run_id)
    pretty = {name: json.dumps(value, indent=2, sort_keys=True, default=str)
              for name, value in (("arguments", run.arguments), ("result", run.result))}
    return render_template("core/job.html", run=run, pretty=pretty,
                           may_manage=may_manage_jobs(),
                           poll_url=url_for("core_api.jobs_get", run_id=run.id))
