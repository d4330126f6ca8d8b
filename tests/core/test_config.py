"""Configuration sources and their order; the database settings of the embedded default."""

import stat

import pytest
from sqlalchemy import text

from onward import create_app, db
from onward.core.config import database_url


def test_defaults_put_sqlite_in_the_instance_folder(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'onward.db'}"
    assert app.instance_path == str(tmp_path)


def test_instance_path_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ONWARD_INSTANCE_PATH", str(tmp_path / "elsewhere"))
    assert create_app().instance_path == str(tmp_path / "elsewhere")


def test_environment_beats_the_instance_file_and_explicit_config_beats_both(tmp_path, monkeypatch):
    settings = 'PAGE_SIZE = 10\nMAX_PAGE_SIZE = 50\nTOTP_ISSUER = "File"\n'
    (tmp_path / "onward.toml").write_text(settings)
    monkeypatch.setenv("ONWARD_PAGE_SIZE", "20")
    monkeypatch.setenv("ONWARD_TOTP_ISSUER", "Env")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "TOTP_ISSUER": "Explicit"})
    assert (app.config["PAGE_SIZE"], app.config["MAX_PAGE_SIZE"]) == (20, 50)
    assert app.config["TOTP_ISSUER"] == "Explicit"


def test_environment_values_are_parsed(tmp_path, monkeypatch):
    monkeypatch.setenv("ONWARD_SECURE_COOKIES", "false")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_cookies_are_secure_by_default(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize(("given", "expected"), [
    ("postgresql://root@127.0.0.1/onward", "postgresql+psycopg://root@127.0.0.1/onward"),
    ("postgres://root@db/onward", "postgresql+psycopg://root@db/onward"),
    ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
    ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
])
def test_postgresql_urls_use_psycopg_3(given, expected):
    assert database_url({"DATABASE_URL": given}, "/unused") == expected


def test_database_url_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ONWARD_DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("other.db")


def test_secret_key_is_made_once_and_kept_private(tmp_path):
    first = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    second = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    assert first == second and len(first) >= 48
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_sqlite_runs_in_wal_with_foreign_keys_a_busy_timeout_and_a_page_cache(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLITE_BUSY_TIMEOUT_MS": 1234,
                      "SQLITE_CACHE_MB": 3})
    with app.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 1234
        assert connection.execute(text("PRAGMA cache_size")).scalar() == -3072


def test_sqlite_writers_begin_immediately_and_page_views_do_not(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    statements = []
    with app.app_context():
        from sqlalchemy import event

        event.listen(db.engine, "before_cursor_execute",
                     lambda conn, cursor, statement, *a: statements.append(statement))
        with db.engine.begin() as connection:
            connection.execute(text("SELECT 1"))
    with app.test_request_context("/", method="GET"), db.engine.begin() as connection:
        connection.execute(text("SELECT 1"))
    with app.test_request_context("/", method="POST"), db.engine.begin() as connection:
        connection.execute(text("SELECT 1"))
    begins = [s for s in statements if s.startswith("BEGIN")]
    assert begins == ["BEGIN IMMEDIATE", "BEGIN", "BEGIN IMMEDIATE"]
