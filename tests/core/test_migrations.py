"""Migrations: one lineage per plugin, each with its own version table, matching the models."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from onward import db
from onward.core import migrate


def _differences(prefix):
    with db.engine.connect() as connection:
        def own(obj, name, type_, *_):
            return type_ != "table" or name.startswith(prefix)

        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": own}
        )
        return compare_metadata(context, db.metadata)


def test_models_match_the_migrations(app):
    with app.app_context():
        assert _differences("core_") == []
        assert _differences("exemplar_") == []


def test_each_lineage_has_its_own_version_table_at_head(app):
    with app.app_context():
        tables = inspect(db.engine).get_table_names()
        assert {"alembic_version", "alembic_version_exemplar"} <= set(tables)
        heads = migrate.current_heads()
    assert set(heads) == {"core", "exemplar"}
    assert all(heads.values())


def test_lineages_run_in_dependency_order(app):
    with app.app_context():
        assert migrate.lineages_in_order() == ["core", "exemplar"]


def test_downgrade_and_upgrade_again(app):
    with app.app_context():
        migrate.downgrade("exemplar", "base")
        migrate.downgrade("core", "base")
        assert "core_user" not in inspect(db.engine).get_table_names()
        migrate.upgrade()
        assert {"core_user", "exemplar_thing"} <= set(inspect(db.engine).get_table_names())


def test_one_plugin_can_be_upgraded_alone(app):
    with app.app_context():
        migrate.downgrade("exemplar", "base")
        assert migrate.upgrade("exemplar") == ["exemplar"]
        assert migrate.current_heads()["exemplar"] is not None


def test_older_mixed_case_emails_become_lower_case(app, make_user):
    from sqlalchemy import text

    from onward.core.models import User

    user = make_user("exemplar_viewer", email="ada@example.com")
    with app.app_context():
        migrate.downgrade("exemplar", "881360fd5b0c")  # its scope key needs core's head
        migrate.downgrade("core", "c0efd66e1235")
        db.session.execute(text("UPDATE core_user SET email = 'Ada@Example.COM' WHERE id = :id"),
                           {"id": user})
        db.session.commit()
        migrate.upgrade()
        assert db.session.get(User, user).email == "ada@example.com"
