"""``onward serve``: gunicorn in production, Werkzeug's server with ``--dev``.

Gunicorn runs in-process through its ``BaseApplication`` API with the application the
CLI built, so there is no second configuration to keep in step. Cookies: with
``SECURE_COOKIES`` left unset, the session cookie is marked secure (HTTPS only) except
when serving on a loopback address, where a browser reaches the app over plain http.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import rich_click as click
from flask import Flask
from flask.cli import ScriptInfo
from gunicorn.app.base import BaseApplication
from werkzeug.serving import run_simple

from onward.core.db import db


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, IPv6 with or without brackets) is loopback."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allow_plain_http_cookies(app: Flask, host: str) -> bool:
    """Let the session and remember-me cookies travel over http on a loopback ``host``.

    Only when ``SECURE_COOKIES`` was not set (it is ``None``); an explicit setting always
    wins. Returns whether the cookies were relaxed.
    """
    if app.config["SECURE_COOKIES"] is not None or not is_loopback(host):
        return False
    app.config["SESSION_COOKIE_SECURE"] = False
    app.config["REMEMBER_COOKIE_SECURE"] = False
    return True


def bind_address(host: str, port: int) -> str:
    """``host:port`` as gunicorn binds it, with an IPv6 address in brackets."""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


class OnwardServer(BaseApplication):
    """Gunicorn serving an application built in this process, set up from ``options``."""

    def __init__(self, app: Flask, options: dict[str, Any]):
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        """Apply ``options`` (gunicorn setting names) instead of reading argv or a file."""
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        """The application each worker serves."""
        return self.application


def gunicorn_server(app: Flask, host: str, port: int, workers: int) -> OnwardServer:
    """The gunicorn server for ``app`` on ``host:port`` with ``workers`` processes."""
    options = {"bind": bind_address(host, port), "workers": workers, "accesslog": "-"}
    return OnwardServer(app, options)


def _cookie_note(app: Flask, relaxed: bool) -> str:
    if relaxed:
        return "session cookies work over plain http on this loopback host"
    if app.config["SESSION_COOKIE_SECURE"]:
        return "session cookies are sent over HTTPS only"
    return "session cookies work over plain http"


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on (0.0.0.0 for every interface).")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535),
              help="The port to listen on.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1),
              help="Gunicorn worker processes.")
@click.option("--dev", is_flag=True,
              help="Run Werkzeug's development server, reloading on code changes, "
                   "instead of gunicorn.")
@click.pass_context
def serve(ctx: click.Context, host, port, workers, dev):
    """Serve the web UI and the JSON API (gunicorn; Werkzeug's server with --dev).

    On a loopback host (127.0.0.1, ::1, localhost) the session cookie also works over
    plain http unless SECURE_COOKIES is set; set ONWARD_SECURE_COOKIES=true when an
    HTTPS proxy on the same machine forwards to this server.
    """
    app = ctx.ensure_object(ScriptInfo).load_app()
    relaxed = allow_plain_http_cookies(app, host)
    engine = "Werkzeug's development server" if dev else f"gunicorn ({workers} workers)"
    click.echo(f"Serving Onward at http://{bind_address(host, port)}/ with {engine}; "
               f"{_cookie_note(app, relaxed)}.")
    if dev:
        run_simple(host, port, app, use_reloader=True, threaded=True)
        return
    # Workers are forked from this process: leave them no pooled connection to share.
    with app.app_context():
        db.engine.dispose()
    gunicorn_server(app, host, port, workers).run()
