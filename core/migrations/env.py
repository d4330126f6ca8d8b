"""Alembic environment shared by every lineage; the lineage comes from ``-x plugin=NAME``."""

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


def run_migrations_online() -> None:
    """Run the lineage's revisions on the application's database."""
    options = current_app.extensions["migrate"].configure_args
    with db.engine.connect() as connection:
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
        connection.commit()


run_migrations_online()
