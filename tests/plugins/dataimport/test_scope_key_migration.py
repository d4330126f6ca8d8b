"""The scope-key revisions (onboarding ``cfda4392bc71``, dataimport ``fe2edf68f80f``).

On SQLite they build each table anew: every row must come through, down and up, and so
must what SQLite's rebuild drops, the key indexes on ``lower(…)`` and the import's trigger.
"""

import sqlalchemy as sa

from onward import db
from onward.core import migrate
from onward.plugins.dataimport import publish, validation

from .test_pipeline import upload

TABLES = ["onboarding_case", "onboarding_task", "onboarding_location", "dataimport_import",
          "dataimport_file", "dataimport_row", "dataimport_batch"]
BEFORE = {"dataimport": "4b8d2e6f1a95", "onboarding": "e6a4d48ab9c8"}


def counts():
    found = {table: db.session.scalar(sa.select(sa.func.count()).select_from(sa.table(table)))
             for table in TABLES}
    db.session.rollback()  # SQLite: the migration's connection writes next
    return found


def index_names():
    sql = ("SELECT name FROM sqlite_master WHERE type = 'index'"
           if db.engine.dialect.name == "sqlite" else "SELECT indexname FROM pg_indexes")
    return set(db.session.execute(sa.text(sql)).scalars())


def test_rows_key_indexes_and_the_trigger_come_through_down_and_up(app, task_id, run, xlsx):
    run(upload, xlsx([["HQ", "1 Main St", "Austin", "US", None],
                      ["Depot", "9 Dock Rd", "Reno", "US", "north"]]))
    run(validation.validate)
    run(publish.publish)
    with app.app_context():
        before = counts()
        assert before["onboarding_location"] == 1 and before["dataimport_row"] == 2
        for lineage, revision in BEFORE.items():  # the import's tables refer to onboarding's
            migrate.downgrade(lineage, revision)
        assert counts() == before
        migrate.upgrade()
        assert counts() == before
        assert {"ix_onboarding_location_key", "ix_onboarding_contract_key"} <= index_names()
        # the trigger still takes an import's staging rows with it
        db.session.execute(sa.text("DELETE FROM dataimport_batch"))
        db.session.execute(sa.text("DELETE FROM dataimport_file"))
        db.session.execute(sa.text("DELETE FROM dataimport_import"))
        assert db.session.scalar(sa.text("SELECT count(*) FROM dataimport_row")) == 0
        db.session.rollback()
