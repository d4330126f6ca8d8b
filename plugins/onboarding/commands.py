"""``onward cases …`` and ``onward tasks …``: onboarding for ops, through the same services."""

from __future__ import annotations

import datetime as dt

import rich_click as click
from flask.cli import with_appcontext
from sqlalchemy import func

from onward import Account, NotFound, db, print_json_object, print_rows, scoped
from onward.plugins.onboarding import cases as services
from onward.plugins.onboarding.models import CLOSED_STATES, CaseTask, OnboardingCase


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-12-31.") from None


def _case(number: str) -> OnboardingCase:
    case = db.session.scalar(scoped(OnboardingCase).where(OnboardingCase.number == number))
    if case is None:
        raise NotFound(f"No onboarding case {number}.")
    return case


def _case_row(case: OnboardingCase) -> dict:
    return {"number": case.number, "account": case.account.name, "state": case.state,
            "stage": case.stage, "type": case.onboarding_type,
            "go_live_date": case.go_live_date, "days_remaining": case.days_remaining,
            "short_description": case.short_description}


@click.group("cases")
def cases_group():
    """Account onboarding cases."""


@cases_group.command("create")
@click.option("--account", "account_name", required=True, help="The account's name.")
@click.option("--type", "onboarding_type", type=click.Choice(["phased", "full"]),
              default="full", show_default=True)
@click.option("--go-live", help="Go-live date, YYYY-MM-DD.")
@with_appcontext
def create(account_name, onboarding_type, go_live):
    """Open an onboarding case for an account; prints its number."""
    account = db.session.scalar(scoped(Account).where(
        func.lower(Account.name) == account_name.strip().lower()))
    if account is None:
        raise click.ClickException(f"No account named {account_name!r}.")
    case = services.create_case(account, onboarding_type=onboarding_type,
                                go_live_date=_date(go_live))
    db.session.commit()
    click.echo(case.number)


@cases_group.command("list")
@click.option("--state", help="Only cases in this state.")
@click.option("--stage", help="Only cases in this stage.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def list_cases(state, stage, as_json):
    """List onboarding cases, newest first."""
    stmt = scoped(OnboardingCase).order_by(OnboardingCase.id.desc())
    if state:
        stmt = stmt.where(OnboardingCase.state == state)
    if stage:
        stmt = stmt.where(OnboardingCase.stage == stage)
    print_rows([_case_row(c) for c in db.session.scalars(stmt)], title="Onboarding cases",
               as_json=as_json)


@cases_group.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def show(number, as_json):
    """Show one case and its tasks."""
    case = _case(number)
    data = {**_case_row(case), "tasks": [
        {"number": t.number, "subject": t.subject, "state": t.state, "progress": t.progress,
         "due_date": t.due_date} for t in case.tasks]}
    if as_json:
        print_json_object(data)
        return
    tasks = data.pop("tasks")
    print_rows([data], title=f"Case {number}", as_json=False)
    print_rows(tasks, title="Tasks", as_json=False)


@cases_group.command("set-state")
@click.argument("number")
@click.argument("state")
@with_appcontext
def set_state(number, state):
    """Set a case's state; its stage follows (State drives Stage)."""
    case = services.update_case(_case(number), {"state": state})
    db.session.commit()
    click.echo(f"{case.number}: {case.state} / {case.stage}")


@click.group("tasks")
def tasks_group():
    """Onboarding case tasks."""


@tasks_group.command("list")
@click.option("--overdue", is_flag=True, help="Only tasks past their due date, still open.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def list_tasks(overdue, as_json):
    """List onboarding case tasks by due date."""
    stmt = scoped(CaseTask).order_by(CaseTask.due_date, CaseTask.id)
    if overdue:
        stmt = stmt.where(CaseTask.due_date < dt.date.today(),
                          CaseTask.state.not_in(CLOSED_STATES))
    rows = [{"number": t.number, "case": t.case.number, "subject": t.subject,
             "state": t.state, "progress": t.progress, "due_date": t.due_date,
             "overdue": t.overdue} for t in db.session.scalars(stmt)]
    print_rows(rows, title="Onboarding tasks", as_json=as_json)


def register(cli: click.Group) -> None:
    """Add the ``cases`` and ``tasks`` groups."""
    cli.add_command(cases_group)
    cli.add_command(tasks_group)
