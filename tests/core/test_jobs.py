"""Jobs: durable runs with progress, the backends, and scheduled jobs that run once."""

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import select, update

from onward import SYSTEM, NotFound, ValidationFailed, acting_as, db
from onward.core import jobs
from onward.core.jobs import JobRun, JobSchedule


def _run(app, key="exemplar_count", **arguments):
    with app.app_context():
        run_id = jobs.enqueue(key, **arguments).id
        db.session.commit()
    with app.app_context():
        return db.session.get(JobRun, run_id)


def test_a_run_records_progress_and_result(app):
    run = _run(app, times=4)
    assert (run.status, run.progress, run.result) == ("succeeded", 100, {"counted": 4})
    assert run.message == "Counted 4 of 4"
    assert run.started_at <= run.finished_at


def test_a_failing_run_records_its_error_and_keeps_the_work_done(app):
    run = _run(app, times=0)
    assert (run.status, run.error) == ("failed", "Nothing to count.")
    assert run.finished_at is not None and run.done


def test_nothing_runs_before_the_commit_nor_after_a_rollback(app):
    with app.app_context():
        run_id = jobs.enqueue("exemplar_count", times=1).id
        db.session.rollback()
        assert db.session.get(JobRun, run_id) is None


def test_enqueue_refuses_unknown_jobs_and_non_json_arguments(app):
    with app.app_context():
        with pytest.raises(NotFound):
            jobs.enqueue("ghost")
        with pytest.raises(ValidationFailed):
            jobs.enqueue("exemplar_count", times=object())


def test_a_run_is_claimed_once(app):
    run = _run(app, times=1)
    assert jobs.run_job(app, run.id) is None  # already ran: a second worker does nothing


def test_runs_remember_who_asked_and_they_may_follow_it(app, make_user):
    from onward import scoped
    from onward.core.models import User

    agent = make_user()
    with app.app_context(), acting_as(db.session.get(User, agent)):
        run_id = jobs.enqueue("exemplar_count", times=1).id
        db.session.commit()
        assert db.session.scalars(scoped(JobRun)).all()[0].id == run_id


@pytest.mark.onward_config(JOBS_BACKEND="thread")
def test_the_thread_backend_runs_in_the_background(app):
    with app.app_context():
        run_id = jobs.enqueue("exemplar_count", times=2).id
        db.session.commit()
    for _ in range(100):
        with app.app_context():
            if db.session.get(JobRun, run_id).done:
                break
        time.sleep(0.05)
    with app.app_context():
        assert db.session.get(JobRun, run_id).status == "succeeded"


def test_the_backend_follows_the_settings(app):
    assert isinstance(jobs.backend(app), jobs.SyncBackend)


def _make_due(app, key="exemplar_tick"):
    with app.app_context():
        jobs.schedules()
        db.session.execute(update(JobSchedule).where(JobSchedule.key == key).values(
            next_run_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
        db.session.commit()


def test_scheduled_jobs_have_a_schedule_row_with_the_next_run(app):
    with app.app_context():
        row = jobs.schedules()["exemplar_tick"]
        assert row.active
        assert row.next_run_at > dt.datetime.now(dt.UTC)
        assert row.next_run_at.minute % 5 == 0
        assert "exemplar_count" not in jobs.schedules()


def test_run_due_runs_a_due_job_once_and_moves_its_next_run(app):
    _make_due(app)
    with app.app_context(), acting_as(SYSTEM):
        started = jobs.run_due()
        assert [run.key for run in started] == ["exemplar_tick"]
        assert started[0].scheduled and started[0].status == "succeeded"
        assert jobs.run_due() == []
        row = db.session.get(JobSchedule, "exemplar_tick")
        assert row.last_run_id == started[0].id
        assert row.next_run_at > dt.datetime.now(dt.UTC)


def test_two_runners_at_once_run_a_due_job_once(app):
    _make_due(app)
    barrier = threading.Barrier(2)

    def runner():
        with app.app_context():
            barrier.wait()
            jobs.run_due()

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        runs = db.session.scalars(select(JobRun).where(JobRun.key == "exemplar_tick")).all()
    assert len(runs) == 1


def test_an_inactive_job_does_not_run(app):
    _make_due(app)
    with app.app_context():
        jobs.set_active("exemplar_tick", False)
        db.session.commit()
        assert jobs.run_due() == []
        jobs.set_active("exemplar_tick", True)
        db.session.commit()
        assert db.session.get(JobSchedule, "exemplar_tick").next_run_at > dt.datetime.now(dt.UTC)


def test_next_run_follows_cron():
    after = dt.datetime(2026, 11, 23, 18, 3, 30, tzinfo=dt.UTC)
    assert jobs.next_run("*/5 * * * *", after) == dt.datetime(2026, 11, 23, 18, 5, tzinfo=dt.UTC)
    assert jobs.next_run("0 2 * * *", after) == dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)


def test_a_bad_schedule_stops_start_up(tmp_path):
    import types

    from onward import Job, StartupError, create_app, hookimpl

    bad = types.ModuleType("bad_plugin")
    bad.register_jobs = hookimpl(lambda: [Job("bad", "Bad", lambda ctx: None, schedule="often")])
    with pytest.raises(StartupError, match="job 'bad': bad schedule 'often'"):
        create_app({"INSTANCE_PATH": str(tmp_path)}, extra_plugins=[bad])


def test_run_due_fails_runs_whose_worker_died(app):
    now = dt.datetime.now(dt.UTC)
    with app.app_context():
        for hours in (7, 1):
            db.session.add(JobRun(key="exemplar_count", label="Count", status="running",
                                  started_at=now - dt.timedelta(hours=hours)))
        db.session.commit()
        jobs.run_due(now)
        runs = db.session.scalars(select(JobRun).order_by(JobRun.id)).all()
        assert [run.status for run in runs] == ["failed", "running"]
        assert runs[0].message == ("Failed: no end recorded within 6 hours; the worker "
                                   "running it stopped.")
        assert runs[0].finished_at is not None
