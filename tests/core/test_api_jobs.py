"""The API of jobs: starting runs (admins), following them, and the scheduled jobs.

The test app runs jobs with the ``sync`` backend: a run has ended when its commit returns.
"""

import pytest
from sqlalchemy import func, select

from onward.core.db import db
from onward.core.jobs import JobRun, JobSchedule

from .engine_helpers import make_role


@pytest.fixture
def admin_id(make_user):
    return make_user("admin")


@pytest.fixture
def admin(admin_id, api_headers):
    return api_headers(admin_id)


def _runs(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(JobRun))


def _start(client, headers, key="exemplar_count", **arguments):
    return client.post("/api/v1/jobs", headers=headers, json={"key": key, "arguments": arguments})


def test_an_admin_starts_a_job_and_follows_it(client, admin, admin_id):
    response = _start(client, admin, times=2)
    assert response.status_code == 202, response.json
    run = response.json
    assert {key: run[key] for key in ("key", "label", "status", "progress", "message",
                                      "arguments", "result", "error", "scheduled", "done",
                                      "requested_by_id")} == {
        "key": "exemplar_count", "label": "Count", "status": "succeeded", "progress": 100,
        "message": "Counted 2 of 2", "arguments": {"times": 2}, "result": {"counted": 2},
        "error": None, "scheduled": False, "done": True, "requested_by_id": admin_id}
    assert run["created_at"] <= run["started_at"] <= run["finished_at"]
    assert client.get(f"/api/v1/jobs/{run['id']}", headers=admin).json == run


def test_a_failed_run_keeps_its_error(client, admin):
    run = _start(client, admin, times=0).json
    assert (run["status"], run["done"], run["error"], run["message"], run["result"]) == (
        "failed", True, "Nothing to count.", "Failed: Nothing to count.", None)


def test_runs_are_listed_newest_first_and_filtered(client, admin):
    first = _start(client, admin, times=1).json["id"]
    failed = _start(client, admin, times=0).json["id"]
    third = _start(client, admin, key="exemplar_tick").json["id"]
    listed = client.get("/api/v1/jobs", headers=admin).json
    assert [item["id"] for item in listed["items"]] == [third, failed, first]
    assert listed["meta"]["total"] == 3
    by_status = client.get("/api/v1/jobs?status=failed", headers=admin).json["items"]
    assert [item["id"] for item in by_status] == [failed]
    by_key = client.get("/api/v1/jobs?key=exemplar_count&sort=id", headers=admin).json["items"]
    assert [item["id"] for item in by_key] == [first, failed]
    error = client.get("/api/v1/jobs?owner=me", headers=admin).json["error"]
    assert "owner" in error["fields"]


def test_only_admins_start_jobs_and_bad_requests_start_nothing(app, client, admin,
                                                              make_user, api_headers):
    staff = api_headers(make_user())
    response = _start(client, staff, times=1)
    assert response.status_code == 403
    assert response.json["error"]["message"] == (
        "Only administrators may start jobs by hand or change their schedules.")
    response = _start(client, admin, key="exemplar_nothing")
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"key": ["No job type 'exemplar_nothing'."]}
    response = client.post("/api/v1/jobs", headers=admin, json={"arguments": {}})
    assert response.status_code == 422
    assert "key" in response.json["error"]["fields"]
    assert _runs(app) == 0


def test_runs_are_read_through_their_scope(client, admin, make_user, make_domain, api_headers):
    run = _start(client, admin, times=1).json["id"]
    staff = api_headers(make_user())  # no right on runs: sees only its own (none)
    assert client.get("/api/v1/jobs", headers=staff).json["items"] == []
    assert client.get(f"/api/v1/jobs/{run}", headers=staff).status_code == 404
    tenant_admin = api_headers(make_user("admin", domain=make_domain("tenant-a")))
    assert client.get(f"/api/v1/jobs/{run}", headers=tenant_admin).status_code == 404
    assert client.get("/api/v1/jobs/999", headers=admin).status_code == 404
    assert client.get("/api/v1/jobs").status_code == 401


def test_scheduled_jobs_are_listed_turned_off_and_on(app, client, admin):
    listed = client.get("/api/v1/jobs/schedules", headers=admin).json
    tick = next(item for item in listed["items"] if item["key"] == "exemplar_tick")
    assert "core_events_prune" in [item["key"] for item in listed["items"]]
    assert {key: tick[key] for key in ("key", "label", "schedule", "active", "last_run_at",
                                       "last_run_id")} == {
        "key": "exemplar_tick", "label": "Tick", "schedule": "*/5 * * * *", "active": True,
        "last_run_at": None, "last_run_id": None}
    assert tick["next_run_at"]

    off = client.patch("/api/v1/jobs/schedules/exemplar_tick", headers=admin,
                       json={"active": False})
    assert (off.status_code, off.json["active"]) == (200, False)
    with app.app_context():
        assert db.session.get(JobSchedule, "exemplar_tick").active is False
    turned_off = client.get("/api/v1/jobs/schedules?active=false", headers=admin).json
    assert [item["key"] for item in turned_off["items"]] == ["exemplar_tick"]
    on = client.patch("/api/v1/jobs/schedules/exemplar_tick", headers=admin,
                      json={"active": True})
    assert on.json["active"] is True


def test_schedule_changes_are_for_admins_and_known_jobs(client, admin, make_user, api_headers):
    staff = api_headers(make_user())
    assert client.get("/api/v1/jobs/schedules", headers=staff).status_code == 403
    response = client.patch("/api/v1/jobs/schedules/exemplar_tick", headers=staff,
                            json={"active": False})
    assert response.status_code == 403
    assert client.post("/api/v1/jobs/schedules/exemplar_tick/run",
                       headers=staff).status_code == 403
    for key in ("exemplar_nothing", "exemplar_count"):  # unknown; runs on demand only
        response = client.patch(f"/api/v1/jobs/schedules/{key}", headers=admin,
                                json={"active": False})
        assert response.status_code == 404
        assert response.json["error"]["message"] == f"No scheduled job {key!r}."
        assert client.post(f"/api/v1/jobs/schedules/{key}/run",
                           headers=admin).status_code == 404
    response = client.patch("/api/v1/jobs/schedules/exemplar_tick", headers=admin, json={})
    assert response.status_code == 422
    assert "active" in response.json["error"]["fields"]


def test_run_a_scheduled_job_now(app, client, admin):
    before = client.get("/api/v1/jobs/schedules", headers=admin).json["items"][0]
    response = client.post("/api/v1/jobs/schedules/exemplar_tick/run", headers=admin)
    assert response.status_code == 202
    assert (response.json["key"], response.json["status"], response.json["result"]) == (
        "exemplar_tick", "succeeded", {"counted": 1})
    after = client.get("/api/v1/jobs/schedules", headers=admin).json["items"][0]
    assert after == before  # its schedule stays as it was


def test_readers_of_runs_follow_them_but_start_none(app, client, admin, make_user,
                                                    api_headers):
    run = _start(client, admin, times=1).json
    make_role(app, "run_reader", {"core_job_run": "r"})
    reader = api_headers(make_user("run_reader"))
    assert client.get(f"/api/v1/jobs/{run['id']}", headers=reader).json == run
    assert [item["id"] for item in client.get("/api/v1/jobs", headers=reader).json["items"]] == [
        run["id"]]
    assert _start(client, reader, times=1).status_code == 403


def test_a_customer_follows_the_runs_it_started_but_sees_no_arguments_or_results(
        app, client, make_user, make_account, api_headers):
    from onward import acting_as, jobs
    from onward.core.models import User

    customer = make_user("exemplar_customer", account=make_account("Acme"))
    with app.app_context(), acting_as(db.session.get(User, customer)):
        run_id = jobs.enqueue("exemplar_count", times=2).id
        db.session.commit()
    shown = client.get(f"/api/v1/jobs/{run_id}", headers=api_headers(customer)).json
    assert (shown["status"], shown["progress"], shown["message"]) == (
        "succeeded", 100, "Counted 2 of 2")
    assert not {"arguments", "result", "error", "requested_by_id"} & set(shown)
