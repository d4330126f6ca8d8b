"""The onboarding lineage builds exactly the plugin's models, with one head."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from onward import db
from onward.core import migrate


def test_models_match_the_onboarding_migrations(app):
    def own(obj, name, type_, *_):
        return type_ != "table" or name.startswith("onboarding_")

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": own})
        assert compare_metadata(context, db.metadata) == []


def test_the_lineage_has_one_head(app):
    with app.app_context():
        config = migrate.migrate.get_config(x_arg=["plugin=onboarding"])
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1
