"""Job pages: job types and schedules, run now, the runs list and one run's page."""

import re

import pytest
from sqlalchemy import select

from onward.core.actor import SYSTEM, acting_as
from onward.core.db import db
from onward.core.jobs import JobRun, JobSchedule, enqueue
from onward.core.roles import save_role
from onward.core.tenancy import default_domain

from .test_views_csp import assert_csp_safe


def html(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def admin(login_as):
    return login_as("admin", email="root@example.com", name="Root")


def run_as_system(app, key: str, **arguments) -> int:
    """Start a run (the sync backend runs it at commit); returns its id."""
    with app.app_context(), acting_as(SYSTEM):
        run_id = enqueue(key, **arguments).id
        db.session.commit()
        return run_id


def schedule_active(app, key: str) -> bool:
    with app.app_context():
        return db.session.get(JobSchedule, key).active


def test_list_shows_job_types_and_schedules(client, admin):
    page = html(client.get("/admin/jobs"))
    assert "Tick" in page and "<code>*/5 * * * *</code>" in page
    assert "Count" in page and "Counts, on demand." in page and "on demand" in page
    assert "Prune the event log" in page  # core's own
    assert page.count(">Turn off</button>") == 2 and page.count(">Run now</button>") == 3
    assert "No runs yet" in page


def test_turn_a_schedule_off_and_on(app, client, admin):
    off = client.post("/admin/jobs/schedules/exemplar_tick/active", data={"active": "0"})
    assert off.status_code == 302 and off.location.endswith("/admin/jobs")
    page = html(client.get(off.location))
    assert "Tick is turned off." in page and ">Turn on</button>" in page
    assert schedule_active(app, "exemplar_tick") is False
    client.post("/admin/jobs/schedules/exemplar_tick/active", data={"active": "1"})
    assert schedule_active(app, "exemplar_tick") is True
    # an on-demand job has no schedule, and an unknown one does not exist
    assert client.post("/admin/jobs/schedules/exemplar_count/active",
                       data={"active": "0"}).status_code == 404
    assert client.post("/admin/jobs/schedules/nothing/active").status_code == 404


def test_run_now_shows_the_run_succeeded_with_its_result(app, client, admin):
    started = client.post("/admin/jobs/exemplar_count/run")
    assert started.status_code == 302
    run_id = int(re.search(r"/admin/jobs/runs/(\d+)$", started.location).group(1))
    page = html(client.get(started.location))
    assert "Count is started." in page
    assert '<span class="badge status-succeeded" data-job-status>succeeded</span>' in page
    assert '<progress max="100" value="100"' in page
    assert "Result" in page and "&#34;counted&#34;: 1" in page
    assert "data-job-poll" not in page  # nothing left to follow
    with app.app_context():
        run = db.session.get(JobRun, run_id)
        assert run.requested_by_id is not None and run.result == {"counted": 1}
    listed = html(client.get("/admin/jobs"))
    assert listed.count(f'href="/admin/jobs/runs/{run_id}"') == 2  # last run, and the list
    assert "1 runs" in listed
    assert client.post("/admin/jobs/nothing/run").status_code == 404


def test_a_failed_run_shows_its_error(app, client, admin):
    run_id = run_as_system(app, "exemplar_count", times=0)
    page = html(client.get(f"/admin/jobs/runs/{run_id}"))
    assert '<span class="badge status-failed" data-job-status>failed</span>' in page
    assert "Error" in page and "Nothing to count." in page
    assert "&#34;times&#34;: 0" in page  # the arguments


def test_a_running_run_is_followed_by_the_page(app, client, admin):
    with app.app_context():
        run = JobRun(key="exemplar_count", label="Count", status="running", progress=40,
                     message="Counted 2 of 5", arguments={"times": 5},
                     domain_id=default_domain().id)
        db.session.add(run)
        db.session.commit()
        run_id = run.id
    page = html(client.get(f"/admin/jobs/runs/{run_id}"))
    assert f'data-job-poll="/api/v1/jobs/{run_id}"' in page
    assert '<progress max="100" value="40" data-job-progress' in page
    assert "Counted 2 of 5" in page and "Result" not in page
    polled = client.get(f"/api/v1/jobs/{run_id}").get_json()  # what onward.js reads
    assert (polled["status"], polled["progress"], polled["done"]) == ("running", 40, False)


def test_runs_filter_and_sort(app, client, admin):
    good = run_as_system(app, "exemplar_count", times=2)
    bad = run_as_system(app, "exemplar_count", times=0)
    tick = run_as_system(app, "exemplar_tick")
    failed = html(client.get("/admin/jobs?status=failed"))
    assert f"#{bad}<" in failed and f"#{good}<" not in failed and "1 runs" in failed
    ticks = html(client.get("/admin/jobs?key=exemplar_tick"))
    assert f"#{tick}<" in ticks and f"#{good}<" not in ticks
    newest_first = html(client.get("/admin/jobs?sort=-id"))
    assert newest_first.index(f"#{tick}<") < newest_first.index(f"#{good}<")
    assert client.get("/admin/jobs?colour=red").status_code == 422


def test_starting_and_scheduling_are_for_admins(app, client, login_as, make_domain):
    with app.app_context(), acting_as(SYSTEM):
        save_role(None, name="job_watcher", rights={"core_job_run": "rc",
                                                    "core_job_schedule": "rw"})
        db.session.commit()
    run_id = run_as_system(app, "exemplar_count")
    login_as("job_watcher")
    page = html(client.get("/admin/jobs"))
    assert ">Run now</button>" not in page and ">Turn off</button>" not in page
    assert client.get(f"/admin/jobs/runs/{run_id}").status_code == 200
    assert client.post("/admin/jobs/exemplar_count/run").status_code == 403
    assert client.post("/admin/jobs/schedules/exemplar_tick/active").status_code == 403
    assert schedule_active(app, "exemplar_tick") is True
    with app.app_context():
        assert db.session.scalar(select(JobRun.id).order_by(JobRun.id.desc())) == run_id

    login_as("admin", domain=make_domain("elsewhere"))
    assert client.get(f"/admin/jobs/runs/{run_id}").status_code == 404  # the top domain's


def test_job_pages_are_csp_safe(app, client, admin):
    good = run_as_system(app, "exemplar_count", times=3)
    bad = run_as_system(app, "exemplar_count", times=0)
    for url in ("/admin/jobs", "/admin/jobs?status=failed", f"/admin/jobs/runs/{good}",
                f"/admin/jobs/runs/{bad}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_csp_safe(html(response), url)
