"""Publishing as staged (the one pass): each chunk's ready rows go to the target as read."""

import datetime as dt

import pytest
from sqlalchemy import select

from onward import db
from onward.core.events import EventRecord
from onward.plugins.dataimport import publish, rowstatus, staging
from onward.plugins.dataimport.models import ImportFile, PublishBatch, StagingRow
from onward.plugins.onboarding.customer_data import OnboardingContract, OnboardingLocation

from .test_pipeline import rows_of, upload
from .workbooks import HEADER, openpyxl_workbook, raw_workbook, sheet_xml

#: each test runs with the rows read here and in a child process
pytestmark = pytest.mark.usefixtures("both_readers")


CONTRACTS = [
    ["Short description", "Starts", "Ends", "State", "Value"],
    ["Support 2031", dt.date(2031, 1, 1), dt.datetime(2031, 12, 31), "Active", 1200.5],
    ["Support 2032", "2032-01-01", None, "draft", "2,500"],
    ["Backwards", dt.date(2031, 6, 1), dt.date(2031, 1, 1), "active", None],  # a rule refuses
    ["Support 2033", dt.date(2033, 1, 1), None, "Platinum", 10],  # not a state
    ["support 2031", dt.date(2034, 1, 1), None, "draft", 1],  # row 2's key again
    ["Support 2035", 20000, None, "draft", 1],  # a number, not a date
]


def publish_as_staged(data_import, path):
    """Stage ``path`` with a publisher; returns the batch."""
    publisher = publish.Publisher(data_import)
    with open(path, "rb") as stream:
        record = staging.add_file(data_import, path.name, stream)
    staging.stage_file(data_import, record, publisher=publisher)
    return publisher.finish()


def import_then_publish(data_import, path):
    upload(data_import, path)
    return publish.publish(data_import)


def rows_in(status):
    return db.session.scalars(select(StagingRow).where(StagingRow.status == status)).all()


def files():
    return db.session.scalars(select(ImportFile).order_by(ImportFile.id)).all()


def outcome(app):
    """The staging rows (number -> status, problems) and the contracts published."""
    rows = {number: (status, problems) for number, (status, problems, _) in
            rows_of(app, None).items()}
    with app.app_context():
        contracts = {(c.short_description, c.starts, c.ends, c.state, c.value)
                     for c in db.session.scalars(select(OnboardingContract))}
    return rows, contracts


@pytest.mark.parametrize("way", [publish_as_staged, import_then_publish])
def test_publishing_as_staged_publishes_what_import_then_publish_does(app, run, tmp_path,
                                                                       way):
    path = openpyxl_workbook(tmp_path / "contracts.xlsx", {"Contracts": CONTRACTS})
    batch = run(lambda di: (lambda b: (b.inserted, b.updated, b.unchanged, b.failed))(
        way(di, path)), target="contracts")
    rows, contracts = outcome(app)
    assert batch == (2, 0, 0, 1)
    assert contracts == {
        ("Support 2031", dt.date(2031, 1, 1), dt.date(2031, 12, 31), "active", 1200.5),
        ("Support 2032", dt.date(2032, 1, 1), None, "draft", 2500.0)}
    assert {number: status for number, (status, _) in rows.items()} == {
        2: "published", 3: "published", 4: "needs_attention", 5: "needs_attention",
        6: "needs_attention", 7: "needs_attention"}
    assert rows[4][1] == ["A contract cannot end (2031-01-01) before it starts (2031-06-01)."]
    assert rows[5][1] == ["State: 'Platinum' is not one of: Draft, Active, Expired, Canceled."]
    assert rows[6][1] == ["Short description: the same as row 2; each record once."]
    assert rows[7][1][0].startswith("Starts: 20000 is a number, not a date")
    with app.app_context():
        published = {row.record_id for row in rows_in("published")}
        assert published == set(db.session.scalars(select(OnboardingContract.id)))


@pytest.mark.onward_config(IMPORT_CHUNK_ROWS=2)
def test_a_batch_published_as_staged_updates_and_undoes_like_any_other(app, run, xlsx):
    run(upload, xlsx([["HQ", "1 Main St", "Austin", "US", None]]))
    run(publish.publish)
    run(staging.restart)
    path = xlsx([["hq", "1 Main St", "Reno", "US", None], ["Depot", "9 Dock Rd", "Boise",
                                                           "US", None],
                 ["Store", "5 Mall Way", "Boise", "US", None]], name="second.xlsx")
    batch_id = run(lambda di: publish_as_staged(di, path).id)
    with app.app_context():
        batch = db.session.get(PublishBatch, batch_id)
        assert (batch.inserted, batch.updated, batch.unchanged) == (2, 1, 0)
        locations = db.session.scalars(select(OnboardingLocation)
                                       .order_by(OnboardingLocation.id)).all()
        assert {loc.name: loc.city for loc in locations} == {
            "HQ": "Reno", "Depot": "Boise", "Store": "Boise"}
        hq, *inserted = [loc.id for loc in locations]
    assert run(rowstatus.status_counts) == {"published": 3}
    steps = []
    run(lambda di: publish.undo(db.session.get(PublishBatch, batch_id),
                                progress=lambda *step: steps.append(step)))
    assert steps == [(1, 3), (3, 3)]  # the record restored, then a chunk of two deleted
    assert run(rowstatus.status_counts) == {"ready": 3}
    with app.app_context():
        assert {loc.name: loc.city for loc in db.session.scalars(select(OnboardingLocation))} \
            == {"HQ": "Austin"}
        undone = db.session.execute(select(EventRecord.name, EventRecord.data).where(
            EventRecord.record_type == "onboarding_location",
            EventRecord.name.not_like("%created")).order_by(EventRecord.id)).all()
    # publish, then undo, announce a chunk of records at a time, not each record
    assert [(name, sorted(data.get("ids", []))) for name, data in undone] == [
        ("onboarding_location.bulk_updated", [hq]),  # published
        ("onboarding_location.bulk_updated", [hq]),  # restored
        ("onboarding_location.bulk_deleted", inserted)]


@pytest.mark.onward_config(IMPORT_CHUNK_ROWS=20, IMPORT_CALAMINE_MAX_ROWS=1)
def test_a_file_refused_part_way_takes_back_only_what_it_published(app, run, xlsx, tmp_path):
    run(upload, xlsx([["HQ", "1 Main St", "Austin", "US", None]]))
    run(publish.publish)
    run(staging.restart)
    good = xlsx([["Lab", "2 Side St", "Reno", "US", None]], name="good.xlsx")
    rows = [HEADER[:3], ["HQ", "1 Main St", "Boston"],
            *([f"Site {n}", n, "Boise"] for n in range(3, 61))]
    # a shared string that is not there, in row 60: the streaming reader meets it after
    # two chunks were published
    sheet = sheet_xml(rows).replace('<c r="B60">', '<c r="B60" t="s">')
    damaged = raw_workbook(tmp_path / "damaged.xlsx", [("Data", sheet)])

    def both(data_import):
        publisher = publish.Publisher(data_import)
        for path in (good, damaged):
            with open(path, "rb") as stream:
                record = staging.add_file(data_import, path.name, stream)
            staging.stage_file(data_import, record, publisher=publisher)
        return publisher.finish().id

    batch_id = run(both)
    with app.app_context():
        batch = db.session.get(PublishBatch, batch_id)
        assert (batch.inserted, batch.updated, batch.unchanged, batch.failed) == (1, 0, 0, 0)
        assert {loc.name: loc.city for loc in db.session.scalars(select(OnboardingLocation))} \
            == {"HQ": "Austin", "Lab": "Reno"}
        assert [(f.name, f.state) for f in files()] == [
            ("locations.xlsx", "uploaded"), ("good.xlsx", "imported"),
            ("damaged.xlsx", "refused")]
    assert run(rowstatus.status_counts) == {"published": 1}
    run(lambda di: publish.undo(db.session.get(PublishBatch, batch_id)))
    with app.app_context():
        assert {loc.name: loc.city for loc in db.session.scalars(select(OnboardingLocation))} \
            == {"HQ": "Austin"}


class Stop(Exception):
    """The worker dies."""


@pytest.mark.onward_config(IMPORT_CHUNK_ROWS=2)
def test_an_undo_that_dies_part_way_can_be_run_again(app, run, xlsx):
    run(upload, xlsx([["HQ", "1 Main St", "Austin", "US", None]]))
    run(publish.publish)
    run(staging.restart)
    path = xlsx([["hq", "1 Main St", "Reno", "US", None],
                 *([f"Site {n}", "2 Side St", "Boise", "US", None] for n in range(5))],
                name="second.xlsx")
    batch_id = run(lambda di: publish_as_staged(di, path).id)

    def dies_after_two_steps(done, total):
        db.session.commit()  # as a job's progress does
        if done > 2:
            raise Stop

    with pytest.raises(Stop):
        run(lambda di: publish.undo(db.session.get(PublishBatch, batch_id),
                                    progress=dies_after_two_steps))
    with app.app_context():
        assert db.session.get(PublishBatch, batch_id).undone_at is None
        left = {loc.name: loc.city for loc in db.session.scalars(select(OnboardingLocation))}
        # HQ restored, the newest two sites deleted, three not yet
        assert left == {"HQ": "Austin", **{f"Site {n}": "Boise" for n in range(3)}}
    run(lambda di: publish.undo(db.session.get(PublishBatch, batch_id)))
    assert run(rowstatus.status_counts) == {"ready": 6}
    with app.app_context():
        assert db.session.get(PublishBatch, batch_id).undone_at is not None
        assert {loc.name: loc.city for loc in db.session.scalars(select(OnboardingLocation))} \
            == {"HQ": "Austin"}
