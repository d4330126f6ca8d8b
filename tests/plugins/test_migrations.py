"""Each built-in plugin's lineage builds exactly the plugin's models, with one head."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from onward import db
from onward.core import migrate

PLUGINS = ["onboarding", "dataimport"]


# SQLite cannot reflect expression indexes (the import's lower(key) lookups): the
# PostgreSQL run of this test compares them
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.parametrize("plugin", PLUGINS)
def test_models_match_the_plugins_migrations(app, plugin):
    def own(obj, name, type_, *_):
        return type_ != "table" or name.startswith(f"{plugin}_")

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": own})
        assert compare_metadata(context, db.metadata) == []


@pytest.mark.parametrize("plugin", PLUGINS)
def test_the_lineage_has_one_head(app, plugin):
    with app.app_context():
        config = migrate.migrate.get_config(x_arg=[f"plugin={plugin}"])
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1
