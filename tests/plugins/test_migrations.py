"""Each built-in plugin's lineage builds exactly the plugin's models, with one head."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from onward import db
from onward.core import migrate

PLUGINS = ["onboarding", "dataimport"]


def differences(plugin):
    """What tells the plugin's models from its tables in the database."""

    def own(obj, name, type_, *_):
        return type_ != "table" or name.startswith(f"{plugin}_")

    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": own})
        return compare_metadata(context, db.metadata)


# SQLite cannot reflect expression indexes (the import's lower(key) lookups): the
# PostgreSQL runs of these tests compare them
pytestmark = [
    pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based"),
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index"),
]


@pytest.mark.parametrize("plugin", PLUGINS)
def test_models_match_the_plugins_migrations(app, plugin):
    with app.app_context():
        assert differences(plugin) == []


@pytest.mark.parametrize("plugin", PLUGINS)
def test_the_lineage_has_one_head(app, plugin):
    with app.app_context():
        config = migrate.migrate.get_config(x_arg=[f"plugin={plugin}"])
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1


@pytest.mark.parametrize("plugin", PLUGINS)
def test_the_lineage_downgrades_and_upgrades_again(app, plugin):
    with app.app_context():
        if plugin == "onboarding":  # the import's tables refer to the onboarding's
            migrate.downgrade("dataimport", "base")
        migrate.downgrade(plugin, "base")
        assert not any(name.startswith(f"{plugin}_")
                       for name in inspect(db.engine).get_table_names())
        migrate.upgrade()
        assert differences(plugin) == []
