"""Alembic environment shared by every lineage; the lineage comes from ``-x plugin=NAME``."""

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import context
from flask import current_app

from onward.core.db import UTCDateTime, db

config = context.config
lineage = config.attributes["lineage"]
prefix = "core_" if lineage.plugin == "core" else f"{lineage.plugin}_"


def include_object(obj, name, type_, reflected, compare_to):
    """Autogenerate sees only the lineage's own tables (named ``<plugin>_…``)."""
    if type_ == "table":
        return name.startswith(prefix)
    table = getattr(obj, "table", None)
    return table is None or table.name.startswith(prefix)


def render_item(type_, obj, autogen_context):
    """Write core's timestamp type as the plain SQLAlchemy type it stores."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


@contextmanager
def foreign_keys_off(connection) -> Iterator[None]:
    """On SQLite, foreign keys off while the revisions run (see :func:`check_keys`).

    SQLite changes a table's keys by building it anew (Alembic's batch mode) and dropping
    the old one: with foreign keys on, that drop deletes the rows of tables that refer to
    it ``ON DELETE CASCADE``. The pragma is set on the driver's connection, outside any
    transaction (inside one SQLite ignores it), and set back before the connection
    returns to the pool.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        if connection.in_transaction():
            connection.rollback()
        driver.execute("PRAGMA foreign_keys=ON")


def check_keys(connection) -> None:
    """Fail the migration (and roll it back) if it left keys that refer to nothing."""
    if connection.dialect.name == "sqlite":
        dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
        if dangling:
            raise RuntimeError(f"the revisions left keys that refer to nothing: {dangling[:5]}")


def run_migrations_online() -> None:
    """Run the lineage's revisions on the application's database."""
    options = current_app.extensions["migrate"].configure_args
    with db.engine.connect() as connection, foreign_keys_off(connection):
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            version_table=lineage.version_table,
            include_object=include_object,
            render_item=render_item,
            **options,
        )
        with context.begin_transaction():
            context.run_migrations()
            check_keys(connection)
        connection.commit()


run_migrations_online()
