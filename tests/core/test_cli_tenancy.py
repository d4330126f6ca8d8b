"""``onward accounts`` and ``onward domains``."""

from onward.core.models import Account, Domain

from .cli_helpers import count, fails, ok, parse_json


def test_accounts_create_and_list(runner, make_domain):
    make_domain("tenant-a")
    assert "in domain global" in ok(runner.invoke(["accounts", "create", "Initech"]))
    assert "in domain tenant-a" in ok(runner.invoke(["accounts", "create", "Hooli",
                                                     "--domain", "tenant-a"]))
    accounts = parse_json(runner.invoke(["accounts", "list", "--json"]))
    assert [(a["name"], a["domain"], a["active"]) for a in accounts] == [
        ("Hooli", "tenant-a", True), ("Initech", "global", True)]
    of_tenant = parse_json(runner.invoke(["accounts", "list", "--json", "--domain", "tenant-a"]))
    assert [account["name"] for account in of_tenant] == ["Hooli"]
    assert "Initech" in ok(runner.invoke(["accounts", "list"]))


def test_accounts_errors(app, runner):
    ok(runner.invoke(["accounts", "create", "Initech"]))
    fails(runner.invoke(["accounts", "create", "initech"]),
          "An account named 'initech' exists already in this domain.")
    fails(runner.invoke(["accounts", "create", "Vandelay", "--domain", "nowhere"]),
          "No domain named 'nowhere'.")
    fails(runner.invoke(["accounts", "create", "  "]), "The name is required.")
    fails(runner.invoke(["accounts", "list", "--domain", "nowhere"]), "No domain named 'nowhere'.")
    assert count(app, Account) == 1


def test_empty_list_says_so(runner):
    assert "No accounts." in ok(runner.invoke(["accounts", "list"]))
    assert parse_json(runner.invoke(["accounts", "list", "--json"])) == []


def test_domains_create_below_a_parent_and_show_the_tree(runner):
    assert "below global" in ok(runner.invoke(["domains", "create", "emea"]))
    assert "below emea" in ok(runner.invoke(["domains", "create", "emea-north",
                                             "--parent", "emea"]))
    domains = {d["name"]: d for d in parse_json(runner.invoke(["domains", "list", "--json"]))}
    assert domains["emea"]["parent"] == "global"
    assert domains["emea-north"]["parent"] == "emea"
    assert domains["global"]["parent"] is None
    tree = ok(runner.invoke(["domains", "list"])).splitlines()
    depth = {name: next(line.index(name) for line in tree if f"{name} " in line)
             for name in ("global", "emea", "emea-north")}
    assert depth["global"] < depth["emea"] < depth["emea-north"]


def test_domains_errors(app, runner):
    ok(runner.invoke(["domains", "create", "emea"]))
    before = count(app, Domain)
    fails(runner.invoke(["domains", "create", "EMEA"]), "A domain named 'EMEA' exists already.")
    fails(runner.invoke(["domains", "create", "apac", "--parent", "nowhere"]),
          "No domain named 'nowhere'.")
    assert count(app, Domain) == before
