"""A job's page follows the run live in a real browser, then shows how it ended."""

import re
import time

import exemplar_plugin
import pyotp
import pytest
from playwright.sync_api import expect

from onward import Job, hookimpl

SECRET = pyotp.random_base32()
STEPS = 6


def slow_steps(ctx):
    """Take a few seconds, reporting progress after each step."""
    for step in range(1, STEPS + 1):
        time.sleep(0.5)
        ctx.progress(100 * step / STEPS, f"Step {step} of {STEPS}")
    return {"steps": STEPS}


class SlowPlugin:
    """One job slow enough to watch."""

    NAME = "slow"

    @hookimpl
    def register_jobs(self):
        """The slow job."""
        return [Job("slow_steps", "Slow steps", slow_steps)]


@pytest.fixture
def onward_plugins():
    """The exemplar plugin, and the slow job."""
    return [exemplar_plugin, SlowPlugin()]


@pytest.fixture
def threaded_jobs(app):
    """Run jobs on the thread pool, as a real server does, not at commit."""
    app.config["JOBS_BACKEND"] = "thread"
    app.extensions["onward"].job_backend = None


def test_a_running_job_updates_without_reloading(page, threaded_jobs, live_server, sign_in,
                                                 make_user):
    make_user("admin", email="root@example.com", totp_secret=SECRET)
    sign_in("root@example.com")
    page.get_by_label("Code").fill(pyotp.TOTP(SECRET).now())
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto(live_server + "/admin/jobs")
    row = page.get_by_role("row").filter(has_text="Slow steps")
    row.get_by_role("button", name="Run now").click()
    expect(page).to_have_url(re.compile(r"/admin/jobs/runs/\d+$"))
    expect(page.get_by_text("Slow steps is started.")).to_be_visible()

    message = page.locator("[data-job-message]")
    first = message.inner_text()
    page.evaluate("window.notReloaded = true")  # gone if the page reloads
    page.wait_for_function(
        """first => window.notReloaded
             && document.querySelector("[data-job-message]").textContent.startsWith("Step")
             && document.querySelector("[data-job-message]").textContent !== first""",
        arg=first, timeout=10_000)
    expect(page.locator("[data-job-status]")).to_have_text("running")
    assert 0 < page.locator("[data-job-progress]").evaluate("bar => bar.value") < 100
    assert page.evaluate("window.notReloaded === true")

    expect(page.locator("[data-job-status]")).to_have_text("succeeded", timeout=15_000)
    expect(message).to_have_text(f"Step {STEPS} of {STEPS}")
    expect(page.locator("[data-job-percent]")).to_have_text("100%")
    expect(page.get_by_role("heading", name="Result")).to_be_visible()
    expect(page.locator("pre.json").last).to_contain_text('"steps": 6')
    assert page.console_errors == []
