"""Publishing inserts in bulk: numbers, actor and audit as for any ORM create, one event."""

import datetime as dt

import pytest
from sqlalchemy import select

from onward import SYSTEM, acting_as, db
from onward.core.events import EventRecord
from onward.core.models import AuditEntry
from onward.plugins.dataimport import publish, validation
from onward.plugins.onboarding.customer_data import OnboardingContract

from .test_pipeline import rows_of, upload
from .workbooks import openpyxl_workbook


def test_published_records_are_numbered_audited_and_announced_once(app, task_id, run,
                                                             tmp_path, account):
    path = openpyxl_workbook(tmp_path / "contracts.xlsx", {"Contracts": [
        ["Short description", "Starts", "Ends", "State"],
        ["Support 2031", dt.date(2031, 1, 1), dt.date(2031, 12, 31), "active"],
        ["Backwards", dt.date(2031, 6, 1), dt.date(2031, 1, 1), "active"],
        ["Support 2032", dt.date(2032, 1, 1), None, "draft"],
        ["Support 2033", dt.date(2033, 1, 1), None, "draft"]]})
    run(upload, path, target="contracts")
    run(validation.validate, target="contracts")
    assert run(lambda di: (publish.publish(di).inserted), target="contracts") == 3
    rows = rows_of(app, task_id)
    assert [rows[n][0] for n in (2, 3, 4, 5)] == [
        "published", "needs_attention", "published", "published"]
    with app.app_context(), acting_as(SYSTEM):
        contracts = db.session.scalars(select(OnboardingContract)
                                       .order_by(OnboardingContract.id)).all()
        assert [(c.short_description, c.number) for c in contracts] == [
            ("Support 2031", "CNTR0000001"), ("Support 2032", "CNTR0000002"),
            ("Support 2033", "CNTR0000003")]
        assert {(c.account_id, c.domain_id) for c in contracts} == {(account, 1)}
        ids = [c.id for c in contracts]
        audit = db.session.scalars(select(AuditEntry.record_id).where(
            AuditEntry.table_name == "onboarding_contract", AuditEntry.field == "*")).all()
        events = db.session.scalars(select(EventRecord).where(
            EventRecord.record_type == "onboarding_contract")).all()
        assert sorted(audit) == ids
        # one event announces the chunk's records, none per record
        assert [(e.name, e.record_id, e.data) for e in events] == [
            ("onboarding_contract.bulk_created", None, {"ids": ids})]
        # a new ORM create continues the sequence without a gap
        db.session.add(OnboardingContract(short_description="By hand", account_id=account))
        db.session.flush()
        assert db.session.scalars(select(OnboardingContract.number).where(
            OnboardingContract.short_description == "By hand")).one() == "CNTR0000004"


def test_many_refused_rows_each_fail_alone(app, task_id, run, tmp_path):
    backwards = [[f"Backwards {n}", dt.date(2031, 6, 1), dt.date(2031, 1, 1), "active"]
                 for n in range(publish._BULK_RETRIES + 2)]
    good = [[f"Support {n}", dt.date(2031, 1, 1), None, "draft"] for n in range(3)]
    path = openpyxl_workbook(tmp_path / "contracts.xlsx", {"Contracts": [
        ["Short description", "Starts", "Ends", "State"],
        good[0], *backwards[:2], good[1], *backwards[2:], good[2]]})
    run(upload, path, target="contracts")
    run(validation.validate, target="contracts")
    counts = run(lambda di: (lambda b: (b.inserted, b.failed))(publish.publish(di)),
                 target="contracts")
    assert counts == (3, len(backwards))
    rows = rows_of(app, task_id)
    refused = {n for n, (status, _, _) in rows.items() if status == "needs_attention"}
    assert refused == {3, 4, *range(6, 6 + len(backwards) - 2)}
    assert {rows[n][1][0] for n in refused} == {
        "A contract cannot end (2031-01-01) before it starts (2031-06-01)."}
    with app.app_context():
        numbers = db.session.scalars(select(OnboardingContract.number)
                                     .order_by(OnboardingContract.id)).all()
        assert numbers == ["CNTR0000001", "CNTR0000002", "CNTR0000003"]


@pytest.mark.parametrize("positions", [[0, 1, 2], [0, 2], [1], []])
def test_pick_takes_the_rows_asked_for_into_new_lists(positions):
    columns = {"name": ["a", "b", "c"], "city": ["x", None, "z"]}
    picked = publish.pick(columns, positions)
    assert picked == {name: [column[p] for p in positions] for name, column in columns.items()}
    assert all(picked[name] is not columns[name] for name in columns)  # safe to change


def test_a_key_twice_among_rows_written_one_by_one_updates_the_record_it_inserted(
        app, task_id, run):
    # enough refusals that the chunk is written row by row; its last row repeats the first
    # row's key (publish compares keys lower-cased)
    def contract(name, starts, ends, value):
        return {"short_description": name, "starts": starts, "ends": ends,
                "state": "active", "value": value}

    refused = publish._BULK_RETRIES + 1
    rows = [*[contract(f"Backwards {n}", dt.date(2031, 6, 1), dt.date(2031, 1, 1), None)
              for n in range(refused)],
            contract("Support", dt.date(2031, 1, 1), None, 1),
            contract("SUPPORT", dt.date(2031, 1, 1), None, 2)]

    def write(data_import):
        publisher = publish.Publisher(data_import)
        published, failed = publisher.write(
            list(range(len(rows))), {name: [row[name] for row in rows] for name in rows[0]})
        return published, len(failed), dict(publisher.counts)

    published, failed, counts = run(write, target="contracts")
    assert failed == refused
    assert (published[0][0], published[1][0]) == (refused, refused + 1)
    assert published[0][1] == published[1][1]  # one record, written, then updated
    assert (counts["inserted"], counts["updated"]) == (1, 1)
    with app.app_context():
        assert db.session.scalars(select(OnboardingContract.value)).all() == [2]
