"""The onboarding landing page: scorecards counted in SQL, their trends and drill-downs."""

import datetime as dt
import html
import re

import pytest
from csp_check import assert_csp_safe
from sqlalchemy import update

from onward import SYSTEM, Scorecard, acting_as, db, hookimpl, scorecards
from onward.plugins.onboarding.models import CaseTask, OnboardingCase

pytestmark = pytest.mark.onward_config(ONBOARDING_AUTO_CASE=False)


class RiskSignals:
    """A later plugin's card: the cases at risk."""

    NAME = "risk_signals"

    @hookimpl
    def register_scorecards(self):
        """Active risk signals."""
        return [Scorecard("risk_signals", "Active risk signals", model=OnboardingCase,
                          where=lambda user: [OnboardingCase.stage == "At risk"],
                          drill=("onboarding.cases", {"stage": "At risk"}), order=50)]


@pytest.fixture
def onward_plugins():
    return [RiskSignals()]


@pytest.fixture
def agent(login_as):
    return login_as("onboarding_agent", email="agent@provider.example")


def _months_ago(months: int, day: int = 15) -> dt.datetime:
    first = dt.date.today().replace(day=1)
    for _ in range(months):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return dt.datetime.combine(first.replace(day=day), dt.time(12), tzinfo=dt.UTC)


def _set(app, model, record_id, **values):
    """Write columns directly (``updated_at`` in the past, say), bypassing the ORM."""
    with app.app_context():
        db.session.execute(update(model).where(model.id == record_id).values(**values))
        db.session.commit()


@pytest.fixture
def seeded(app, agent, make_account, new_case, new_task, yesterday):
    """Cases and tasks in every situation the cards count."""
    account = make_account("Genixify")
    mine = [new_case(account, assigned_to_id=agent, state="Active") for _ in range(2)]
    new_case(account, assigned_to_id=agent, state="Closed")
    stale = new_case(account, state="Active")
    new_case(account, state="Active", stage="At risk")
    old_stale_closed = new_case(account, state="Canceled")
    _set(app, OnboardingCase, stale, updated_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=4))
    _set(app, OnboardingCase, old_stale_closed,
         updated_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=9))
    _set(app, OnboardingCase, mine[0], created_at=_months_ago(2))
    overdue = new_task(mine[0], "Import contacts", due_date=yesterday)
    new_task(mine[0], "Import locations", due_date=yesterday, state="Closed")
    new_task(mine[1], "Train the team", due_date=dt.date.today() + dt.timedelta(days=3))
    return {"mine": mine, "stale": stale, "overdue": overdue}


def _cards(page: str) -> dict[str, tuple[int, str, str]]:
    """Card title -> (count, trend label, drill-down link)."""
    found = {}
    for section in re.findall(r'<section class="card scorecard".*?</section>', page, re.S):
        title = re.search(r"<h2[^>]*>(.*?)</h2>", section).group(1)
        count = int(re.search(r'data-count="(\d+)"', section).group(1))
        trend = re.search(r'aria-label="(Trend[^"]*)"', section)
        link = re.search(r'<a class="small" href="([^"]+)"', section)
        found[title] = (count, trend and trend.group(1), link and html.unescape(link.group(1)))
    return found


def test_the_counts_match_the_seeded_data(client, seeded):
    response = client.get("/onboarding/")
    assert response.status_code == 200
    cards = _cards(response.text)
    assert {title: count for title, (count, _, _) in cards.items()} == {
        "My active onboarding cases": 2,
        "Not updated in more than 3 days": 1,
        "Active onboarding tasks": 2,
        "Overdue onboarding tasks": 1,
        "Active risk signals": 1,
    }
    assert list(cards)[-1] == "Active risk signals"  # ordered by the cards' order


def test_each_card_drills_down_to_the_list_it_counts(client, seeded):
    for title, (count, _, link) in _cards(client.get("/onboarding/").text).items():
        page = client.get(link)
        assert page.status_code == 200, link
        prefix = "ALETSK" if link.startswith("/onboarding/tasks") else "ALEONB"
        listed = set(re.findall(rf'href="[^"]+">({prefix}\d+)<', page.text))
        assert len(listed) == count, (title, link)


def test_a_trend_counts_by_month_in_a_sparkline(app, client, seeded):
    page = client.get("/onboarding/").text
    labels = [(_months_ago(months).strftime("%b %Y")) for months in (2, 1, 0)]
    trend = _cards(page)["My active onboarding cases"][1]
    assert trend == f"Trend over 3 months: {labels[0]} 1, {labels[1]} 0, {labels[2]} 1"
    assert '<svg class="sparkline"' in page and '<polyline points="0,0 50,24 100,0"' in page
    assert _cards(page)["Active risk signals"][1] is None  # no date field: no trend
    assert_csp_safe(page, "landing page")


def test_counts_are_what_the_user_may_read(app, client, seeded, login_as, make_domain,
                                           make_account, new_case):
    elsewhere = make_domain("elsewhere")
    new_case(make_account("Other", domain=elsewhere), state="Active", stage="At risk")
    login_as("onboarding_agent", domain=elsewhere)
    cards = _cards(client.get("/onboarding/").text)
    assert cards["Active risk signals"][0] == 1
    assert cards["My active onboarding cases"][0] == 0
    with app.app_context(), acting_as(SYSTEM):
        card = app.extensions["onward"].registries.scorecards["risk_signals"]
        assert scorecards.count(card) == 2  # the system sees both tenants


def test_the_landing_page_leads_an_agents_navigation(client, agent):
    page = client.get("/").text
    first = re.search(r'<nav class="nav".*?<a href="([^"]+)"', page, re.S).group(1)
    assert first == "/onboarding/"
    page = client.get("/onboarding/").text
    assert re.search(r'href="/onboarding/"\s+aria-current="page"', page)
    for path in ("/onboarding/cases", "/onboarding/tasks", "/onboarding/cases/new"):
        assert_csp_safe(client.get(path).text, path)


def test_customers_see_no_workspace_navigation(client, login_as, make_account):
    login_as("customer_admin", account=make_account("Genixify"))
    home = client.get("/").text
    assert 'href="/onboarding/"' not in home and 'href="/onboarding/cases"' not in home
    assert 'href="/portal"' in home  # their lists are in the portal
    assert client.get("/onboarding/").status_code == 403


def test_a_count_is_one_sql_aggregate(app, seeded):
    """The counts come from one aggregate: they match a plain SQL count."""
    with app.app_context(), acting_as(SYSTEM):
        card = app.extensions["onward"].registries.scorecards["onboarding_active_tasks"]
        expected = db.session.scalar(db.select(db.func.count(CaseTask.id)).where(
            CaseTask.state.not_in(("Closed", "Canceled"))))
        assert scorecards.count(card) == expected == 2
