"""``onward accounts`` and ``onward domains``: the tenancy every record hangs from."""

from __future__ import annotations

import rich_click as click
from flask.cli import with_appcontext
from rich.text import Text
from rich.tree import Tree

from onward.core import lists, tenancy
from onward.core.access import scoped
from onward.core.cli_support import all_rows, console, json_option, print_json, print_rows, say
from onward.core.db import db
from onward.core.models import Account, Domain


@click.group("accounts")
def accounts_group():
    """Create and list customer accounts."""


@accounts_group.command("create")
@click.argument("name")
@click.option("--domain", help="The account's domain (default: the top domain).")
@with_appcontext
def accounts_create(name, domain):
    """Create an account (a customer company)."""
    account = tenancy.create_account(name, tenancy.domain_by_name(domain) if domain else None)
    db.session.commit()
    say(f"[green]Created[/] account {account.name} (id {account.id}) "
        f"in domain {account.domain.name}.")


@accounts_group.command("list")
@click.option("--domain", help="Only the accounts of this domain.")
@json_option
@with_appcontext
def accounts_list(domain, as_json):
    """List the accounts, by name."""
    domain_id = tenancy.domain_by_name(domain).id if domain else None
    rows = [
        {"id": account.id, "name": account.name, "domain": account.domain.name,
         "active": account.active, "created_at": account.created_at}
        for account in all_rows(scoped(Account), lists.ACCOUNTS, domain_id=domain_id)
    ]
    print_rows(rows, title="Accounts", as_json=as_json)


@click.group("domains")
def domains_group():
    """Create domains (tenants) and show their tree."""


@domains_group.command("create")
@click.argument("name")
@click.option("--parent", help="The domain to create it below (default: the top domain).")
@with_appcontext
def domains_create(name, parent):
    """Create a domain."""
    parent_record = tenancy.domain_by_name(parent) if parent else tenancy.default_domain()
    domain = tenancy.create_domain(name, parent_record)
    db.session.commit()
    say(f"[green]Created[/] domain {domain.name} (id {domain.id}) below {parent_record.name}.")


def _domain_tree(domains: list[Domain]) -> Tree:
    """The domains as a tree under one root; a domain whose parent is hidden is a top."""
    ids = {domain.id for domain in domains}
    children: dict[int | None, list[Domain]] = {}
    for domain in domains:
        parent = domain.parent_id if domain.parent_id in ids else None
        children.setdefault(parent, []).append(domain)
    tree = Tree("Domains")

    def add(node: Tree, parent_id: int | None) -> None:
        for domain in children.get(parent_id, []):
            label = Text(domain.name).append(f"  id {domain.id}", style="dim")
            add(node.add(label), domain.id)

    add(tree, None)
    return tree


@domains_group.command("list")
@json_option
@with_appcontext
def domains_list(as_json):
    """Show the domains as a tree (with --json, a flat list naming each one's parent)."""
    domains = all_rows(scoped(Domain), lists.DOMAINS)
    if as_json:
        print_json([
            {"id": domain.id, "name": domain.name, "parent_id": domain.parent_id,
             "parent": domain.parent.name if domain.parent else None}
            for domain in domains
        ])
    else:
        console().print(_domain_tree(domains))
