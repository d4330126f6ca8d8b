"""``onward jobs`` and ``onward worker`` (the worker against real Redis is in test_rq.py)."""

import datetime as dt
import json
import threading

import pytest
from sqlalchemy import select, update

from onward.core import jobs
from onward.core.db import db
from onward.core.jobs import JobRun, JobSchedule

from .cli_helpers import count, fails, ok, parse_json


def _make_due(app, key="exemplar_tick"):
    """Move a scheduled job's next run into the past."""
    with app.app_context():
        jobs.schedules()
        past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        db.session.execute(update(JobSchedule).where(JobSchedule.key == key)
                           .values(next_run_at=past))
        db.session.commit()


def _schedule(runner, key="exemplar_tick"):
    """The row of ``key`` in ``jobs schedules --json``."""
    rows = parse_json(runner.invoke(["jobs", "schedules", "--json"]))
    return next(row for row in rows if row["key"] == key)


def _runs(app, key="exemplar_tick"):
    with app.app_context():
        return [(run.status, run.scheduled, run.result)
                for run in db.session.scalars(select(JobRun).where(JobRun.key == key))]


@pytest.mark.onward_config(JOBS_BACKEND="thread")
def test_run_due_runs_due_jobs_in_the_foreground(app, runner):
    assert ok(runner.invoke(["jobs", "run-due"])).strip() == "No job is due."
    _make_due(app)
    output = ok(runner.invoke(["jobs", "run-due"]))
    assert output.strip() == "Run 1 (exemplar_tick): succeeded: Counted 1 of 1"
    assert _runs(app) == [("succeeded", True, {"counted": 1})]  # finished before the exit
    assert ok(runner.invoke(["jobs", "run-due"])).strip() == "No job is due."
    row = _schedule(runner)
    assert (row["key"], row["last_run_id"]) == ("exemplar_tick", 1)
    assert row["next_run_at"] > dt.datetime.now(dt.UTC).isoformat()


@pytest.mark.onward_config(JOBS_BACKEND="thread")
def test_two_run_dues_at_once_run_a_due_job_once(app):
    _make_due(app)
    barrier = threading.Barrier(2)
    started = []

    def run_due():
        with app.app_context(), jobs.in_foreground():
            barrier.wait()
            started.extend(run.id for run in jobs.run_due())

    threads = [threading.Thread(target=run_due) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(started) == 1
    assert _runs(app) == [("succeeded", True, {"counted": 1})]


def test_an_inactive_job_is_not_due(app, runner):
    output = ok(runner.invoke(["jobs", "deactivate", "exemplar_tick"]))
    assert output.strip() == "Deactivated exemplar_tick."
    _make_due(app)
    assert ok(runner.invoke(["jobs", "run-due"])).strip() == "No job is due."
    row = _schedule(runner)
    assert (row["label"], row["schedule"], row["active"]) == ("Tick", "*/5 * * * *", False)

    output = ok(runner.invoke(["jobs", "activate", "exemplar_tick"]))
    assert output.startswith("Activated exemplar_tick; next run at ")
    row = _schedule(runner)
    assert row["active"] is True
    assert row["next_run_at"] > dt.datetime.now(dt.UTC).isoformat()
    assert "exemplar_tick" in ok(runner.invoke(["jobs", "schedules"]))
    for command in ("activate", "deactivate"):
        fails(runner.invoke(["jobs", command, "exemplar_count"]),
              "No scheduled job 'exemplar_count'.")


@pytest.mark.onward_config(JOBS_BACKEND="thread")
def test_run_a_job_with_arguments_in_the_foreground(app, runner):
    output = ok(runner.invoke(["jobs", "run", "exemplar_count", "--arg", "times=3"]))
    assert output.strip() == "Run 1 (exemplar_count): succeeded: Counted 3 of 3"
    shown = json.loads(ok(runner.invoke(["jobs", "show", "1", "--json"])))
    assert {key: shown[key] for key in ("status", "arguments", "result", "done", "progress")} == {
        "status": "succeeded", "arguments": {"times": 3}, "result": {"counted": 3},
        "done": True, "progress": 100}
    assert "Counted 3 of 3" in ok(runner.invoke(["jobs", "show", "1"]))


def test_a_failed_run_exits_1(app, runner):
    result = runner.invoke(["jobs", "run", "exemplar_count", "--arg", "times=0"])
    assert result.exit_code == 1, result.output
    assert result.output.strip() == "Run 1 (exemplar_count): failed: Nothing to count."
    result = runner.invoke(["jobs", "run", "exemplar_count", "--arg", "colour=red"])
    assert result.exit_code == 1
    assert "TypeError" in result.output  # an unexpected error shows its traceback
    assert _runs(app, "exemplar_count")[0][0] == "failed"


def test_run_refuses_bad_arguments_and_unknown_jobs(app, runner):
    fails(runner.invoke(["jobs", "run", "exemplar_nothing"]), "No job type 'exemplar_nothing'.")
    bad = runner.invoke(["jobs", "run", "exemplar_count", "--arg", "times"])
    assert bad.exit_code == 2
    assert "'times' is not name=value." in bad.output
    assert count(app, JobRun) == 0


def test_list_and_show_runs(app, runner):
    ok(runner.invoke(["jobs", "run", "exemplar_count", "--arg", "times=1"]))
    runner.invoke(["jobs", "run", "exemplar_count", "--arg", "times=0"])
    rows = parse_json(runner.invoke(["jobs", "list", "--json"]))
    assert [(row["id"], row["status"]) for row in rows] == [(2, "failed"), (1, "succeeded")]
    rows = parse_json(runner.invoke(["jobs", "list", "--status", "succeeded", "--json"]))
    assert [row["id"] for row in rows] == [1]
    assert parse_json(runner.invoke(["jobs", "list", "--key", "exemplar_tick", "--json"])) == []
    assert "Nothing to count." in ok(runner.invoke(["jobs", "list"]))
    fails(runner.invoke(["jobs", "show", "99"]), "No job run with id 99.")
    assert runner.invoke(["jobs", "list", "--status", "lost"]).exit_code == 2


def test_the_worker_needs_redis(app, runner):
    fails(runner.invoke(["worker", "--burst"]), "ONWARD_REDIS_URL is not set")


@pytest.mark.onward_config(REDIS_URL="redis://127.0.0.1:1/0")
def test_the_worker_says_when_redis_does_not_answer(app, runner):
    fails(runner.invoke(["worker", "--burst"]), "Redis at ONWARD_REDIS_URL does not answer")
