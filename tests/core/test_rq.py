"""The RQ backend and ``onward worker`` against a real Redis on 127.0.0.1:6379.

Each test gets a queue of its own, emptied and removed afterwards; the module is skipped
when no Redis answers there.
"""

import uuid

import pytest

from onward.core import jobs
from onward.core.actor import SYSTEM, acting_as
from onward.core.db import db
from onward.core.jobs import JobRun

from .cli_helpers import ok

redis = pytest.importorskip("redis")
rq = pytest.importorskip("rq")

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_answers() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


pytestmark = [
    pytest.mark.skipif(not _redis_answers(), reason=f"no Redis answers at {REDIS_URL}"),
    pytest.mark.onward_config(JOBS_BACKEND="rq", REDIS_URL=REDIS_URL),
]


@pytest.fixture
def connection():
    client = redis.Redis.from_url(REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def queue_name(connection):
    """A queue for this test only; its jobs, registries and the queue go afterwards."""
    name = f"onward-test-{uuid.uuid4().hex}"
    yield name
    queue = rq.Queue(name, connection=connection)
    job_ids = set(queue.get_job_ids())
    for registry in (queue.started_job_registry, queue.finished_job_registry,
                     queue.failed_job_registry, queue.deferred_job_registry,
                     queue.scheduled_job_registry, queue.canceled_job_registry):
        job_ids.update(registry.get_job_ids())
    queue.delete(delete_jobs=True)
    stale = {key for job_id in job_ids for key in connection.keys(f"rq:*{job_id}*")}
    stale.update(connection.keys(f"*{name}*"))
    if stale:
        connection.delete(*stale)


@pytest.fixture
def onward_config(queue_name):
    return {"RQ_QUEUE": queue_name}


def _enqueue(app, times):
    with app.app_context(), acting_as(SYSTEM):
        run_id = jobs.enqueue("exemplar_count", times=times).id
        db.session.commit()  # hands the run to Redis
    return run_id


def _run(app, run_id):
    with app.app_context():
        run = db.session.get(JobRun, run_id)
        return run.status, run.result, run.message


def test_a_run_waits_in_redis_until_a_worker_runs_it(app, connection, queue_name):
    run_id = _enqueue(app, times=2)
    queue = rq.Queue(queue_name, connection=connection)
    assert queue.get_job_ids() == [f"{queue_name}-run-{run_id}"]
    assert _run(app, run_id)[0] == "queued"

    with app.app_context():
        worker = rq.SimpleWorker([queue], connection=connection)
        assert worker.work(burst=True)
    assert _run(app, run_id) == ("succeeded", {"counted": 2}, "Counted 2 of 2")
    assert queue.get_job_ids() == []


def test_onward_worker_burst_runs_the_queue(app, runner, queue_name):
    done, failing = _enqueue(app, times=3), _enqueue(app, times=0)
    output = ok(runner.invoke(["worker", "--burst"]))
    assert f"on queue {queue_name} (until it is empty)" in output
    assert _run(app, done) == ("succeeded", {"counted": 3}, "Counted 3 of 3")
    assert _run(app, failing)[0] == "failed"


def test_the_worker_takes_only_its_queue(app, runner, queue_name, connection):
    run_id = _enqueue(app, times=1)
    other = f"{queue_name}-other"
    try:
        ok(runner.invoke(["worker", "--burst", "--queue", other]))
    finally:
        rq.Queue(other, connection=connection).delete(delete_jobs=True)
    assert _run(app, run_id)[0] == "queued"


def test_jobs_run_leaves_the_run_to_the_worker(app, runner):
    output = ok(runner.invoke(["jobs", "run", "exemplar_count", "--arg", "times=1"]))
    assert output.strip() == "Run 1 (exemplar_count): queued"
    ok(runner.invoke(["worker", "--burst"]))
    assert _run(app, 1)[0] == "succeeded"
