"""``onward jobs`` and ``onward worker``: run due and on-demand jobs, follow runs, work a queue.

``jobs run-due`` and ``jobs run`` run their jobs in this process (a command must not exit
while a thread pool still works), unless the backend is RQ: then the jobs wait in Redis
for ``onward worker``.
"""

from __future__ import annotations

import json
from typing import Any

import rich_click as click
from flask import current_app
from flask.cli import with_appcontext
from rich.markup import escape

from onward.core import jobs
from onward.core.access import get_or_404, scoped
from onward.core.cli_support import all_rows, json_option, print_json_object, print_rows, say
from onward.core.db import db
from onward.core.jobs import JobRun, JobSchedule
from onward.core.lists import JOB_RUNS, JOB_SCHEDULES

_COLOURS = {"succeeded": "green", "failed": "red"}


@click.group("jobs")
def jobs_group():
    """Run due scheduled jobs, start jobs, follow runs, turn schedules on and off."""


def _outcome(run: JobRun) -> str:
    """Say how a run ended (or that it waits for a worker); returns what it said of it."""
    colour = _COLOURS.get(run.status, "yellow")
    message = run.message.removeprefix("Failed: ")
    said = f": {escape(message)}" if message else ""
    say(f"Run {run.id} ({escape(run.key)}): [{colour}]{run.status}[/]{said}")
    return message


def _run_row(run: JobRun) -> dict[str, Any]:
    return {"id": run.id, "key": run.key, "label": run.label, "status": run.status,
            "progress": run.progress, "message": run.message, "scheduled": run.scheduled,
            "created_at": run.created_at, "finished_at": run.finished_at}


@jobs_group.command("run-due")
@with_appcontext
def jobs_run_due():
    """Start every active scheduled job that is due, and dispatch pending events.

    Safe to run from cron every minute, on several machines at once: a due job runs
    once. A failed job is reported, but the command still succeeds.
    """
    with jobs.in_foreground():
        started = jobs.run_due()
    if not started:
        say("No job is due.")
    for run in started:
        _outcome(run)


@jobs_group.command("list")
@click.option("--status", type=click.Choice(jobs.STATUSES), help="Only runs in this status.")
@click.option("--key", help="Only runs of this job type.")
@json_option
@with_appcontext
def jobs_list(status, key, as_json):
    """List job runs, newest first."""
    runs = all_rows(scoped(JobRun), JOB_RUNS, status=status, key=key)
    print_rows([_run_row(run) for run in runs], title="Job runs", as_json=as_json)


@jobs_group.command("show")
@click.argument("run_id", metavar="ID", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of text.")
@with_appcontext
def jobs_show(run_id, as_json):
    """Show a job run: its arguments, progress, result or error."""
    run = get_or_404(JobRun, run_id)
    data = {**_run_row(run), "arguments": run.arguments, "result": run.result,
            "error": run.error, "requested_by_id": run.requested_by_id,
            "started_at": run.started_at, "done": run.done}
    if as_json:
        print_json_object(data)
        return
    rows = [{"field": name, "value": value} for name, value in data.items()]
    print_rows(rows, title=f"Job run {run.id}", as_json=False)


def _argument(text: str) -> tuple[str, Any]:
    """``name=value``, the value parsed as JSON when it is JSON, else kept as text."""
    name, equals, value = text.partition("=")
    if not equals or not name:
        raise click.BadParameter(f"{text!r} is not name=value.", param_hint="--arg")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


@jobs_group.command("run")
@click.argument("key")
@click.option("--arg", "args", multiple=True, metavar="NAME=VALUE",
              help="An argument of the job (the value is read as JSON if it is); repeat.")
@with_appcontext
def jobs_run(key, args):
    """Run job KEY now, in this process, and say how it ended (exit 1 if it failed)."""
    arguments = dict(_argument(text) for text in args)
    with jobs.in_foreground():
        run_id = jobs.enqueue(key, **arguments).id
        db.session.commit()
    run = db.session.get(JobRun, run_id)
    message = _outcome(run)
    if run.status == "failed":
        if run.error and run.error != message:
            click.echo(run.error, err=True)  # the traceback of an unexpected error
        raise click.exceptions.Exit(1)


@jobs_group.command("schedules")
@json_option
@with_appcontext
def jobs_schedules(as_json):
    """List the scheduled jobs: active or not, next and last run."""
    registered = jobs.job_types()
    jobs.schedules()  # a job registered since the last call gets its row
    stmt = scoped(JobSchedule).where(JobSchedule.key.in_(jobs.scheduled_keys()))
    rows = [
        {"key": row.key, "label": registered[row.key].label,
         "schedule": registered[row.key].schedule, "active": row.active,
         "next_run_at": row.next_run_at, "last_run_at": row.last_run_at,
         "last_run_id": row.last_run_id}
        for row in all_rows(stmt, JOB_SCHEDULES)
    ]
    print_rows(rows, title="Scheduled jobs", as_json=as_json)


def _set_active(key: str, active: bool) -> None:
    row = jobs.set_active(key, active)
    db.session.commit()
    if active:
        say(f"[green]Activated[/] {escape(key)}; next run at {row.next_run_at:%Y-%m-%d %H:%M} "
            "UTC.")
    else:
        say(f"[yellow]Deactivated[/] {escape(key)}.")


@jobs_group.command("activate")
@click.argument("key")
@with_appcontext
def jobs_activate(key):
    """Let scheduled job KEY run on its schedule again."""
    _set_active(key, True)


@jobs_group.command("deactivate")
@click.argument("key")
@with_appcontext
def jobs_deactivate(key):
    """Stop scheduled job KEY from running until it is activated."""
    _set_active(key, False)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
@click.option("--queue", help="The queue to work (default: the RQ_QUEUE setting).")
@with_appcontext
def worker(burst, queue):
    """Run an RQ worker: take queued jobs from Redis (ONWARD_REDIS_URL) and run them.

    Needs JOBS_BACKEND=rq on the web processes, so that they queue their jobs in Redis.
    """
    rq_worker = jobs.make_worker(current_app._get_current_object(), queue)
    names = ", ".join(rq_worker.queue_names())
    say(f"Worker {escape(rq_worker.name)} on queue {escape(names)}"
        f"{' (until it is empty)' if burst else ''}.")
    rq_worker.work(burst=burst)
