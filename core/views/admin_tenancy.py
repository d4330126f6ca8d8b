"""Admin pages for the tenancy: domains (a tree) and customer accounts."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from onward.core import lists, tenancy
from onward.core.access import get_or_404, require, scope_filter, scoped
from onward.core.db import db
from onward.core.models import Account, Domain, User
from onward.core.views import blueprint
from onward.core.views.forms import (
    AccountForm,
    ConfirmForm,
    DomainForm,
    NewAccountForm,
    NewDomainForm,
)
from onward.core.views.pages import (
    choices,
    form_status,
    list_page,
    post_action,
    record_history,
    submit_form,
)


def domain_paths() -> dict[int, str]:
    """Each visible domain's path from the highest visible domain, e.g. ``msp / tenant``."""
    rows = db.session.execute(
        select(Domain.id, Domain.name, Domain.parent_id).where(scope_filter(Domain))
    ).all()
    known = {row.id: row for row in rows}

    def path(domain_id: int) -> str:
        row = known[domain_id]
        parent = row.parent_id
        return f"{path(parent)} / {row.name}" if parent in known else row.name

    return {domain_id: path(domain_id) for domain_id in known}


def _render(template: str, form, **context):
    page = render_template(template, form=form, confirm_form=ConfirmForm(), **context)
    return page, form_status(form)


# --- domains ----------------------------------------------------------------------------


@blueprint.route("/admin/domains", endpoint="domains")
@login_required
def domains_list():
    """Domains the actor can see, with their place in the tree."""
    return list_page(Domain, lists.DOMAINS, "core/domains.html", paths=domain_paths())


def _domain_saved(domain: Domain):
    flash(f"Domain {domain.name} is saved.", "success")
    return redirect(url_for("core.domain_edit", domain_id=domain.id))


@blueprint.route("/admin/domains/new", methods=["GET", "POST"])
@login_required
def domain_new():
    """Make a domain below one the actor can see."""
    require("create", Domain)
    form = NewDomainForm()
    paths = domain_paths()
    form.parent.choices = choices(Domain, lambda d: paths[d.id], order_by=Domain.name)
    if not form.is_submitted():
        form.parent.data = current_user.domain_id

    def create() -> Domain:
        return tenancy.create_domain(form.name.data, parent=get_or_404(Domain, form.parent.data))

    return submit_form(form, create, _domain_saved,
                       lambda: _render("core/domain_form.html", form, domain=None))


@blueprint.route("/admin/domains/<int:domain_id>", methods=["GET", "POST"])
@login_required
def domain_edit(domain_id: int):
    """Rename a domain; shows where it sits, what it holds and its history."""
    domain = get_or_404(Domain, domain_id)
    form = DomainForm(obj=domain)
    return submit_form(
        form, lambda: tenancy.update_domain(domain, name=form.name.data), _domain_saved,
        lambda: _render(
            "core/domain_form.html", form, domain=domain, path=domain_paths().get(domain.id),
            children=db.session.scalars(
                scoped(Domain).where(Domain.parent_id == domain.id).order_by(Domain.name)
            ).all(),
            history=record_history(domain),
        ),
    )


@blueprint.route("/admin/domains/<int:domain_id>/delete", methods=["POST"])
@login_required
def domain_delete(domain_id: int):
    """Delete an empty domain."""
    domain = get_or_404(Domain, domain_id)
    return post_action(
        lambda: tenancy.delete_domain(domain), message=f"Domain {domain.name} is deleted.",
        back=url_for("core.domain_edit", domain_id=domain.id), to=url_for("core.domains"),
    )


# --- accounts ---------------------------------------------------------------------------


@blueprint.route("/admin/accounts", endpoint="accounts")
@login_required
def accounts_list():
    """Customer accounts the actor can see: search, sort, filter by status."""
    return list_page(Account, lists.ACCOUNTS, "core/accounts.html",
                     options=[selectinload(Account.domain)])


def _account_saved(account: Account):
    flash(f"Account {account.name} is saved.", "success")
    return redirect(url_for("core.account_edit", account_id=account.id))


@blueprint.route("/admin/accounts/new", methods=["GET", "POST"])
@login_required
def account_new():
    """Make a customer account in a domain the actor can see."""
    require("create", Account)
    form = NewAccountForm()
    paths = domain_paths()
    form.domain.choices = choices(Domain, lambda d: paths[d.id], order_by=Domain.name)
    if not form.is_submitted():
        form.domain.data = current_user.domain_id

    def create() -> Account:
        return tenancy.create_account(form.name.data, get_or_404(Domain, form.domain.data))

    return submit_form(form, create, _account_saved,
                       lambda: _render("core/account_form.html", form, account=None))


@blueprint.route("/admin/accounts/<int:account_id>", methods=["GET", "POST"])
@login_required
def account_edit(account_id: int):
    """Rename or (de)activate an account; lists its customer contacts."""
    account = get_or_404(Account, account_id)
    form = AccountForm(obj=account)

    def save() -> Account:
        return tenancy.update_account(account, name=form.name.data, active=form.active.data)

    return submit_form(
        form, save, _account_saved,
        lambda: _render(
            "core/account_form.html", form, account=account,
            contacts=db.session.scalars(
                scoped(User).where(User.account_id == account.id).order_by(User.email)
            ).all(),
            history=record_history(account),
        ),
    )


@blueprint.route("/admin/accounts/<int:account_id>/delete", methods=["POST"])
@login_required
def account_delete(account_id: int):
    """Delete an account that has no users."""
    account = get_or_404(Account, account_id)
    return post_action(
        lambda: tenancy.delete_account(account), message=f"Account {account.name} is deleted.",
        back=url_for("core.account_edit", account_id=account.id), to=url_for("core.accounts"),
    )
