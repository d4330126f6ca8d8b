"""Migration 3e75a9c57266: a batch's old values of updated records move to rows, and back."""

import sqlalchemy as sa

from onward import db
from onward.core import migrate
from onward.plugins.dataimport.models import BatchUpdate, PublishBatch

BEFORE = "d6d0a9a170f8"
OLD_UNDO = {"inserted": [[1, 2]], "updated": {"7": {"city": "Austin"}, "9": {"name": "HQ"}}}


def test_updated_records_move_to_their_own_rows_and_back(app, import_id):
    batches = sa.table("dataimport_batch", sa.column("id", sa.Integer),
                       sa.column("import_id", sa.Integer), sa.column("undo", sa.JSON),
                       sa.column("created_at", sa.DateTime), sa.column("inserted", sa.Integer),
                       sa.column("updated", sa.Integer), sa.column("unchanged", sa.Integer),
                       sa.column("failed", sa.Integer))
    with app.app_context():
        migrate.downgrade("dataimport", BEFORE)
        db.session.execute(sa.insert(batches).values(
            id=5, import_id=import_id, undo=OLD_UNDO, created_at=sa.func.current_timestamp(),
            inserted=2, updated=2, unchanged=0, failed=0))
        db.session.commit()
        migrate.upgrade("dataimport")
        assert db.session.get(PublishBatch, 5).undo == {"inserted": [[1, 2]]}
        moved = db.session.execute(sa.select(BatchUpdate.batch_id, BatchUpdate.record_id,
                                             BatchUpdate.old).order_by(BatchUpdate.record_id))
        assert moved.all() == [(5, 7, {"city": "Austin"}), (5, 9, {"name": "HQ"})]
        db.session.commit()
        migrate.downgrade("dataimport", BEFORE)
        undo = db.session.execute(sa.select(batches.c.undo)).scalar_one()
        db.session.commit()
        migrate.upgrade("dataimport")
    assert undo == OLD_UNDO
