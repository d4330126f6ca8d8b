"""Configuration: defaults, then ``instance/onward.toml``, then ``ONWARD_*`` variables.

Every setting can come from the environment as ``ONWARD_<NAME>`` (values are parsed as
JSON where they can be, so ``ONWARD_SECURE_COOKIES=false`` is a boolean), or from the
instance file as ``NAME = value``. A ``config`` mapping given to ``create_app`` wins.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

ENV_PREFIX = "ONWARD"
CONFIG_FILE = "onward.toml"

DEFAULTS: dict[str, Any] = {
    # --- database
    "DATABASE_URL": None,  # default: SQLite in the instance folder
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SQLITE_BUSY_TIMEOUT_MS": 30000,
    "SQLITE_CACHE_MB": 64,  # page cache per connection, taken as pages are used
    # --- plugins
    "DISABLED_PLUGINS": "",
    # --- security
    # None: secure, except that ``onward serve`` on a loopback host allows plain http
    "SECURE_COOKIES": None,
    "FORCE_HTTPS": False,
    "PASSWORD_MIN_LENGTH": 12,
    "PASSWORD_HASH_METHOD": "scrypt",
    "SIGN_IN_RATE_LIMIT": "10 per minute;50 per hour",
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_ENABLED": True,
    "WTF_CSRF_CHECK_DEFAULT": False,  # core checks CSRF itself, skipping Bearer requests
    "WTF_CSRF_TIME_LIMIT": None,  # a token lives as long as the session
    "MAX_CONTENT_LENGTH": 25 * 1024 * 1024,
    "SESSION_COOKIE_NAME": "onward_session",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "TOTP_ISSUER": "Onward",
    # --- events and jobs
    #: ``inline``: dispatch events when the committing context ends; ``jobs``: leave them
    #: to ``onward jobs run-due`` and the worker
    "DISPATCH_EVENTS": "inline",
    #: ``thread`` (in-process pool), ``sync`` (right away) or ``rq``; default: ``rq`` when
    #: ``REDIS_URL`` is set, else ``thread``
    "JOBS_BACKEND": None,
    "JOBS_THREADS": 2,
    #: a run still ``running`` this long after it started belongs to a worker that died
    "JOBS_STALE_HOURS": 6,
    #: dispatched events older than this many days are deleted by the ``core_events_prune``
    #: job (pending and failing events stay until they are handed over)
    "EVENTS_KEEP_DAYS": 30,
    "REDIS_URL": None,
    "RQ_QUEUE": "onward",
    # --- lists
    "PAGE_SIZE": 25,
    "MAX_PAGE_SIZE": 200,
    # --- API documentation (flask-smorest)
    "API_TITLE": "Onward API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
}


def instance_path(overrides: Mapping[str, Any] | None = None) -> str:
    """The instance folder: ``INSTANCE_PATH`` from the overrides or the environment."""
    path = (overrides or {}).get("INSTANCE_PATH") or os.environ.get(f"{ENV_PREFIX}_INSTANCE_PATH")
    return str(Path(path or Path.cwd() / "instance").resolve())


def disabled_plugins(config: Mapping[str, Any]) -> tuple[str, ...]:
    """Names in ``DISABLED_PLUGINS`` (a comma-separated string or a list)."""
    value = config.get("DISABLED_PLUGINS") or ()
    if isinstance(value, str):
        value = value.split(",")
    return tuple(name.strip() for name in value if name.strip())


def database_url(config: Mapping[str, Any], instance: str) -> str:
    """The SQLAlchemy URL: ``DATABASE_URL``, with ``postgresql://`` meaning psycopg 3."""
    url = config.get("DATABASE_URL") or f"sqlite:///{Path(instance) / 'onward.db'}"
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            url = "postgresql+psycopg://" + url.removeprefix(scheme)
    return url


def _secret_key(instance: str) -> str:
    """A secret key kept in the instance folder, made on first start (never in the repo)."""
    path = Path(instance) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def load_config(app: Flask, overrides: Mapping[str, Any] | None = None) -> None:
    """Fill ``app.config`` from the defaults, the instance file, the environment, overrides."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_file(CONFIG_FILE, load=tomllib.load, text=False, silent=True)
    app.config.from_prefixed_env(ENV_PREFIX)
    app.config.from_mapping(overrides or {})
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config, app.instance_path)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)
    if not app.config["JOBS_BACKEND"]:
        app.config["JOBS_BACKEND"] = "rq" if app.config["REDIS_URL"] else "thread"
    secure = app.config["SECURE_COOKIES"] is None or bool(app.config["SECURE_COOKIES"])
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_SECURE"] = secure
