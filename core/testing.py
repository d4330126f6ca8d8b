"""Pytest fixtures for Onward and for every plugin's own test suite.

Installed as a pytest plugin (the ``pytest11`` entry point of the ``onward``
distribution), so a plugin's tests get these with nothing to copy:

* ``app`` — an application with the installed plugins plus ``onward_plugins``, on a
  fresh database whose schema was built by the migrations;
* ``client``, ``runner`` (the ``onward`` CLI bound to ``app``);
* ``make_domain``, ``make_account``, ``make_user``, ``make_token`` — record factories;
* ``login_as(*roles)`` — sign the test client in as a new user with those roles;
* ``api_headers(user)`` — headers that authenticate an API call with a fresh token.

Override ``onward_plugins`` (a list of plugin objects) and ``onward_config`` (a dict of
settings) in your ``conftest.py`` to shape the app; the ``onward_config`` marker adds
settings for one test. Set ``ONWARD_TEST_POSTGRES`` to a PostgreSQL server URL (for
example ``postgresql://postgres@127.0.0.1/postgres``) to run on throw-away PostgreSQL
databases instead of SQLite files.
"""

from __future__ import annotations

import itertools
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "onward-tests-only",
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "SECURE_COOKIES": False,
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    "SQLITE_BUSY_TIMEOUT_MS": 10000,
    "JOBS_BACKEND": "sync",
}
TEST_PASSWORD = "correct horse battery staple"  # noqa: S105 -- the tests' published password


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``onward_config`` marker."""
    config.addinivalue_line(
        "markers", "onward_config(**settings): extra settings for the test's Onward app"
    )


def _plugin_key(plugins: list[object], config: dict[str, Any]) -> tuple:
    from onward.core.plugins import plugin_name

    return (tuple(sorted(plugin_name(p) for p in plugins)), str(config.get("DISABLED_PLUGINS")))


#: every table's rows gone and every sequence back at its start, in one round trip. As a
#: superuser, a DELETE per table with foreign keys unchecked (a few milliseconds each);
#: a TRUNCATE of every table (new files for each: a third of a second per test) is left
#: for roles that may not switch the checks off.
_EMPTY_POSTGRESQL = """
DO $$
DECLARE item record;
DECLARE tables text;
BEGIN
    SELECT string_agg(format('%I', tablename), ', ') INTO tables FROM pg_tables
    WHERE schemaname = current_schema() AND tablename NOT LIKE 'alembic%';
    BEGIN
        PERFORM set_config('session_replication_role', 'replica', true);
        FOR item IN SELECT tablename FROM pg_tables
                    WHERE schemaname = current_schema() AND tablename NOT LIKE 'alembic%' LOOP
            EXECUTE format('DELETE FROM %I', item.tablename);
        END LOOP;
    EXCEPTION WHEN insufficient_privilege THEN
        EXECUTE 'TRUNCATE ' || tables || ' CASCADE';
    END;
    FOR item IN SELECT sequencename FROM pg_sequences
                WHERE schemaname = current_schema() LOOP
        EXECUTE format('ALTER SEQUENCE %I RESTART', item.sequencename);
    END LOOP;
END $$
"""


class TestDatabases:
    """Schemas built once per plugin set, handed to each test as a fresh database.

    SQLite: the migrated database file is copied for each test. PostgreSQL: one
    throw-away database per plugin set, migrated once and emptied before each test.
    """

    def __init__(self, workdir: Path, server_url: str | None):
        self.workdir = workdir
        self.server_url = server_url
        self._built: dict[tuple, str] = {}
        self._names = itertools.count()

    def _migrate(self, url: str, plugins: list[object], config: dict[str, Any]) -> None:
        from onward.core.app import create_app
        from onward.core.commands import upgrade_database
        from onward.core.db import db

        settings = {**config, "DATABASE_URL": url, "INSTANCE_PATH": str(self.workdir / "build")}
        app = create_app(settings, extra_plugins=plugins)
        with app.app_context():
            upgrade_database()
            db.session.remove()
            db.engine.dispose()

    def _create_pg_database(self) -> str:
        name = f"onward_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        engine = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def url_for_test(self, plugins: list[object], config: dict[str, Any], tmp_path: Path) -> str:
        """A database for one test, with the schema of this plugin set and no rows."""
        key = _plugin_key(plugins, config)
        if key not in self._built:
            if self.server_url:
                url = self._create_pg_database()
            else:
                url = f"sqlite:///{self.workdir / f'template-{next(self._names)}.db'}"
            self._migrate(url, plugins, config)
            self._built[key] = url
            return url if self.server_url else self._copy(url, tmp_path)
        url = self._built[key]
        if self.server_url:
            self._empty(url)
            return url
        return self._copy(url, tmp_path)

    @staticmethod
    def _copy(template_url: str, tmp_path: Path) -> str:
        target = tmp_path / "onward.db"
        shutil.copyfile(make_url(template_url).database, target)
        return f"sqlite:///{target}"

    @staticmethod
    def _empty(url: str) -> None:
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text(_EMPTY_POSTGRESQL))
        engine.dispose()

    def drop_all(self) -> None:
        """Drop the throw-away PostgreSQL databases."""
        if not self.server_url:
            return
        engine = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            for url in self._built.values():
                name = make_url(url).database
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(scope="session")
def onward_test_databases(tmp_path_factory) -> Iterator[TestDatabases]:
    """The session's database templates (SQLite) or throw-away databases (PostgreSQL)."""
    server = os.environ.get("ONWARD_TEST_POSTGRES") or None
    databases = TestDatabases(tmp_path_factory.mktemp("onward-db"), server)
    yield databases
    databases.drop_all()


@pytest.fixture
def onward_plugins() -> list[object]:
    """Plugin objects to load besides the installed ones; override in ``conftest.py``."""
    return []


@pytest.fixture
def onward_config() -> dict[str, Any]:
    """Settings for the test app; override in ``conftest.py``."""
    return {}


@pytest.fixture
def app(request, tmp_path, onward_plugins, onward_config, onward_test_databases) -> Iterator[Flask]:
    """An Onward app on a fresh, migrated database with the plugins' roles written."""
    from onward.core.app import create_app
    from onward.core.commands import sync_declarations
    from onward.core.db import db

    config = {**TEST_CONFIG, "INSTANCE_PATH": str(tmp_path / "instance"), **onward_config}
    for marker in reversed(list(request.node.iter_markers("onward_config"))):
        config.update(marker.kwargs)
    config["DATABASE_URL"] = onward_test_databases.url_for_test(onward_plugins, config, tmp_path)
    application = create_app(config, extra_plugins=onward_plugins)
    with application.app_context():
        sync_declarations()
        _settle_events()
        db.session.remove()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _settle_events() -> None:
    """Mark the events of setting up the database as handled: a test sees only its own."""
    from onward.core.db import db, utcnow
    from onward.core.events import EventRecord

    db.session.execute(EventRecord.__table__.update().where(
        EventRecord.dispatched_at.is_(None)).values(dispatched_at=utcnow()))
    db.session.commit()


@pytest.fixture
def client(app):
    """A test client for ``app``."""
    return app.test_client()


class OnwardRunner:
    """Runs ``onward …`` commands against the test app (``runner.invoke(["users", …])``)."""

    def __init__(self, app: Flask, plugins: list[object]):
        self.app = app
        self.plugins = plugins

    def invoke(self, args: list[str], **kwargs):
        """Invoke the CLI with ``args``; returns click's ``Result``."""
        from onward.cli import make_cli

        group = make_cli(tuple(self.plugins), create_app=lambda: self.app)
        info = ScriptInfo(create_app=lambda: self.app)
        return CliRunner().invoke(group, args, obj=info, **kwargs)


@pytest.fixture
def runner(app, onward_plugins) -> OnwardRunner:
    """The ``onward`` CLI bound to ``app``."""
    return OnwardRunner(app, onward_plugins)


@pytest.fixture
def make_domain(app):
    """Make a domain: ``make_domain("tenant-a", parent=other)``; returns its id."""

    def make(name: str | None = None, parent: int | None = None) -> int:
        from onward.core.db import db
        from onward.core.models import Domain
        from onward.core.tenancy import default_domain

        with app.app_context():
            parent_id = parent if parent is not None else default_domain().id
            domain = Domain(name=name or f"domain-{uuid.uuid4().hex[:6]}", parent_id=parent_id)
            db.session.add(domain)
            db.session.commit()
            return domain.id

    return make


@pytest.fixture
def make_account(app):
    """Make an account: ``make_account("Acme", domain=domain_id)``; returns its id."""

    def make(name: str | None = None, domain: int | None = None) -> int:
        from onward.core.db import db
        from onward.core.models import Account
        from onward.core.tenancy import default_domain

        with app.app_context():
            domain_id = domain if domain is not None else default_domain().id
            account = Account(name=name or f"Account {uuid.uuid4().hex[:6]}", domain_id=domain_id)
            db.session.add(account)
            db.session.commit()
            return account.id

    return make


@pytest.fixture
def make_user(app):
    """Make a user with roles; ``account=`` makes a customer user. Returns its id.

    The password is :data:`TEST_PASSWORD` unless given.
    """

    def make(
        *roles: str,
        email: str | None = None,
        account: int | None = None,
        domain: int | None = None,
        password: str = TEST_PASSWORD,
        name: str = "",
        totp_secret: str | None = None,
    ) -> int:
        from werkzeug.security import generate_password_hash

        from onward.core.db import db
        from onward.core.models import Account, User
        from onward.core.tenancy import default_domain
        from onward.core.users import roles_by_name

        with app.app_context():
            if account is not None:
                domain_id = db.session.get(Account, account).domain_id
            else:
                domain_id = domain if domain is not None else default_domain().id
            user = User(
                email=email or f"user-{uuid.uuid4().hex[:8]}@example.com",
                name=name,
                domain_id=domain_id,
                account_id=account,
                password_hash=generate_password_hash(password, method="pbkdf2:sha256:1000"),
                totp_secret=totp_secret,
            )
            user.roles = roles_by_name(list(roles))
            db.session.add(user)
            db.session.commit()
            return user.id

    return make


@pytest.fixture
def login_as(app, client, make_user):
    """Sign ``client`` in as a new user with ``roles`` (or as ``user=<id>``); returns the id."""

    def login(*roles: str, user: int | None = None, **kwargs) -> int:
        from onward.core.db import db
        from onward.core.models import User

        user_id = user if user is not None else make_user(*roles, **kwargs)
        with app.app_context():
            identity = db.session.get(User, user_id).get_id()
        with client.session_transaction() as session:
            session["_user_id"] = identity
            session["_fresh"] = True
        return user_id

    return login


@pytest.fixture
def make_token(app):
    """Make an API token for user id ``user``; returns the token text."""

    def make(user: int, name: str = "test token") -> str:
        from onward.core.actor import SYSTEM, acting_as
        from onward.core.db import db
        from onward.core.models import User
        from onward.core.tokens import create_token

        with app.app_context(), acting_as(SYSTEM):
            _token, text_ = create_token(db.session.get(User, user), name)
            db.session.commit()
            return text_

    return make


@pytest.fixture
def api_headers(make_token):
    """``Authorization`` headers for user id ``user``, with a fresh token."""

    def headers(user: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {make_token(user)}"}

    return headers
