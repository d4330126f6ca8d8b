"""``onward serve``: the gunicorn application it builds and the loopback cookie rule.

No server is started: gunicorn's ``run`` and Werkzeug's ``run_simple`` are replaced.
"""

import pytest

from onward.core import commands_serve
from onward.core.commands_serve import (
    allow_plain_http_cookies,
    bind_address,
    gunicorn_server,
    is_loopback,
)

from .cli_helpers import ok

UNSET = pytest.mark.onward_config(SECURE_COOKIES=None)
EVERYWHERE = "0.0.0.0"  # noqa: S104 - never bound: no server starts in these tests


def test_serve_help(runner):
    output = ok(runner.invoke(["serve", "--help"]))
    for option in ("--host", "--port", "--workers", "--dev"):
        assert option in output


def test_gunicorn_server_serves_the_app_with_the_options(app):
    server = gunicorn_server(app, EVERYWHERE, 8123, 3)
    assert server.cfg.bind == [f"{EVERYWHERE}:8123"]
    assert server.cfg.workers == 3
    assert server.load() is app


@pytest.mark.parametrize(("host", "expected"), [
    ("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True),
    ("localhost", True), (EVERYWHERE, False), ("192.168.1.5", False), ("example.com", False),
])
def test_is_loopback(host, expected):
    assert is_loopback(host) is expected


def test_bind_address_brackets_ipv6():
    assert bind_address("::1", 5000) == "[::1]:5000"
    assert bind_address("127.0.0.1", 80) == "127.0.0.1:80"


@UNSET
def test_loopback_host_allows_session_cookies_over_http(app, client):
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert allow_plain_http_cookies(app, "127.0.0.1") is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is False
    response = client.post("/sign-in", data={"email": "x@example.com", "password": "wrong"})
    assert "Secure" not in response.headers.get("Set-Cookie", "")
    assert app.config["SESSION_COOKIE_SECURE"] is False  # no extension turned it back on


@UNSET
def test_other_hosts_keep_secure_cookies(app, client):
    assert allow_plain_http_cookies(app, EVERYWHERE) is False
    response = client.post("/sign-in", data={"email": "x@example.com", "password": "wrong"})
    assert "Secure" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("setting", [True, False])
def test_an_explicit_setting_wins(app, setting):
    app.config["SECURE_COOKIES"] = setting
    app.config["SESSION_COOKIE_SECURE"] = setting
    assert allow_plain_http_cookies(app, "127.0.0.1") is False
    assert app.config["SESSION_COOKIE_SECURE"] is setting


@pytest.fixture
def started(monkeypatch):
    """Record what ``serve`` would have started instead of starting it."""
    calls = {}
    monkeypatch.setattr(commands_serve.OnwardServer, "run",
                        lambda server: calls.update(gunicorn=server))
    monkeypatch.setattr(commands_serve, "run_simple",
                        lambda *args, **kwargs: calls.update(werkzeug=(args, kwargs)))
    return calls


@UNSET
def test_serve_runs_gunicorn_and_says_how_cookies_behave(app, runner, started):
    output = ok(runner.invoke(["serve", "--port", "8123", "--workers", "4"]))
    assert "http://127.0.0.1:8123/ with gunicorn (4 workers)" in output
    assert "plain http on this loopback host" in output
    server = started["gunicorn"]
    assert server.load() is app
    assert (server.cfg.bind, server.cfg.workers) == (["127.0.0.1:8123"], 4)
    assert "werkzeug" not in started


@UNSET
def test_serve_dev_runs_werkzeug(app, runner, started):
    output = ok(runner.invoke(["serve", "--dev", "--host", EVERYWHERE]))
    assert "Werkzeug's development server" in output
    assert "HTTPS only" in output
    args, _kwargs = started["werkzeug"]
    assert args == (EVERYWHERE, 5000, app)
    assert "gunicorn" not in started


def test_serve_rejects_a_bad_port(runner, started):
    result = runner.invoke(["serve", "--port", "70000"])
    assert result.exit_code == 2
    assert not started
