"""Bulk inserts: ``insert_many`` writes what an ORM flush writes, in a few statements."""

import datetime as dt
from types import SimpleNamespace

import pytest
from sqlalchemy import String, cast, func, inspect, select

from onward import (
    RuleViolation,
    acting_as,
    batch_events,
    db,
    delete_many,
    insert_columns,
    insert_many,
)
from onward.core.bulk import COPY_MIN_ROWS
from onward.core.db import next_number, next_numbers
from onward.core.events import EventRecord
from onward.core.models import AuditEntry, User

#: differ between any two records by nature
OWN = {"id", "number", "created_at", "updated_at"}


def _columns(record):
    return {attr.key: getattr(record, attr.key) for attr in inspect(record).mapper.column_attrs}


def _audit(record_id, table):
    return [(e.kind, e.field, e.old_value, e.new_value, e.user_id, e.domain_id)
            for e in db.session.scalars(select(AuditEntry).where(
                AuditEntry.table_name == table, AuditEntry.record_id == record_id))]


def _event(record_id, table):
    event = db.session.scalars(select(EventRecord).where(
        EventRecord.record_type == table, EventRecord.record_id == record_id)).one()
    changes = {key: value for key, value in event.changes.items() if key not in OWN}
    return (event.name, changes, sorted(event.changes), event.actor_id, event.domain_id,
            event.dispatched_at)


def test_a_bulk_record_equals_the_one_the_orm_writes(app, exemplar, make_domain, make_account,
                                                     make_user):
    tenant = make_domain("tenant")
    account, author = make_account(domain=tenant), make_user("admin")
    fields = {"account_id": account, "short_description": "Set up", "priority": 2}
    with app.app_context(), acting_as(db.session.get(User, author)):
        orm = exemplar.ExemplarCase(**fields)
        db.session.add(orm)
        db.session.flush()
        started = dt.datetime.now(dt.UTC)
        [bulk_id] = insert_many(exemplar.ExemplarCase, [fields])
        db.session.commit()
        bulk = db.session.get(exemplar.ExemplarCase, bulk_id)
        expected = {key: value for key, value in _columns(orm).items() if key not in OWN}
        assert {key: value for key, value in _columns(bulk).items() if key not in OWN} == expected
        assert (bulk.state, bulk.stage, bulk.integration) == ("New", "Not started", "not_required")
        assert (bulk.domain_id, bulk.created_by_id, bulk.updated_by_id) == (tenant, author, author)
        assert bulk.created_at >= started and bulk.updated_at >= started
        assert (orm.number, bulk.number) == ("EXC0000001", "EXC0000002")
        assert _audit(bulk_id, "exemplar_case") == _audit(orm.id, "exemplar_case") == [
            ("change", "*", None, "created", author, tenant)]
        assert _event(bulk_id, "exemplar_case") == _event(orm.id, "exemplar_case")
        event = db.session.scalars(select(EventRecord).where(
            EventRecord.record_id == bulk_id, EventRecord.record_type == "exemplar_case")).one()
        assert (event.changes["id"], event.changes["number"]) == (
            [None, bulk_id], [None, "EXC0000002"])


def test_ids_come_back_in_the_order_of_the_rows_with_defaults_filled(app, exemplar,
                                                                       make_account):
    account = make_account()
    names = [f"Thing {i}" for i in range(1200, 0, -1)]
    with app.app_context():
        ids = insert_many(exemplar.ExemplarThing, [
            {"name": name, "account_id": account, "internal_note": None if i % 2 else "kept"}
            for i, name in enumerate(names)])
        db.session.commit()
        things = {t.id: t for t in db.session.scalars(select(exemplar.ExemplarThing))}
        assert [things[i].name for i in ids] == names
        assert [things[i].internal_note for i in ids[:2]] == ["kept", ""]
        assert [things[i].number for i in ids] == [f"EXM{n:07d}" for n in range(1, 1201)]
        assert insert_many(exemplar.ExemplarThing, []) == []


def _by_column(rows):
    return {name: [row.get(name) for row in rows] for name in rows[0]}


def test_without_record_objects_a_batch_stores_what_it_stores_with_them(app, exemplar,
                                                                        make_account,
                                                                        monkeypatch):
    from onward.core import bulk

    account = make_account()
    rows = [{"name": "Alpha", "account_id": account, "internal_note": None},
            {"name": "Beta", "account_id": account, "internal_note": "kept"}]
    thing = exemplar.ExemplarThing
    with app.app_context():
        with_records = insert_columns(thing, _by_column(rows), events="batch")
        # as for a model without create rules, audit or per-record events: no records
        monkeypatch.setattr(bulk, "_needs_records", lambda model, events: False)
        without = insert_columns(thing, _by_column(rows), events="batch")
        db.session.commit()
        things = {t.id: t for t in db.session.scalars(select(thing))}

        def stored(ids):
            return [{k: v for k, v in _columns(things[i]).items() if k not in OWN} for i in ids]

        assert stored(with_records) == stored(without) != []
        assert len({things[i].created_at for i in without}) == 1  # one moment per batch
        events = db.session.scalars(select(EventRecord).where(
            EventRecord.name == "exemplar_thing.bulk_created").order_by(EventRecord.id)).all()
        assert [(e.data["ids"], e.domain_id) for e in events] == [
            (with_records, things[with_records[0]].domain_id),
            (without, things[without[0]].domain_id)]


def test_a_default_callable_is_given_the_values_of_its_row(app, exemplar, make_account,
                                                           monkeypatch):
    from sqlalchemy import ColumnDefault

    thing = exemplar.ExemplarThing
    monkeypatch.setattr(thing.__table__.c.internal_note, "default", ColumnDefault(
        lambda context: f"about {context.get_current_parameters()['name']}"))
    account = make_account()
    with app.app_context():
        ids = insert_columns(thing, {"name": ["Alpha", "Beta"], "account_id": [account] * 2,
                                     "internal_note": [None, "kept"]})
        db.session.commit()
        notes = {t.name: t.internal_note for t in db.session.scalars(
            select(thing).where(thing.id.in_(ids)))}
    assert notes == {"Alpha": "about Alpha", "Beta": "kept"}


def test_columns_of_different_lengths_are_refused(app, exemplar, make_account):
    with app.app_context(), pytest.raises(ValueError, match="different lengths"):
        insert_columns(exemplar.ExemplarThing, {"name": ["Alpha"], "account_id": []})


def test_numbers_stay_in_sequence_without_gaps_between_orm_and_bulk(app, exemplar,
                                                                     make_account):
    account = make_account()
    with app.app_context():
        for batch in (1, 3, 1, 2):
            if batch == 1:
                db.session.add(exemplar.ExemplarThing(name="orm", account_id=account))
                db.session.flush()
            else:
                insert_many(exemplar.ExemplarThing,
                            [{"name": "bulk", "account_id": account}] * batch)
        db.session.commit()
        numbers = db.session.scalars(select(exemplar.ExemplarThing.number)
                                     .order_by(exemplar.ExemplarThing.id)).all()
        assert numbers == [f"EXM{n:07d}" for n in range(1, 8)]
        assert next_numbers(db.session, "EXM", 0) == []
        assert next_numbers(db.session, "EXM", 2) == ["EXM0000008", "EXM0000009"]
        assert next_number(db.session, "EXM") == "EXM0000010"
        db.session.rollback()
        assert next_number(db.session, "EXM") == "EXM0000008"


def test_each_record_gets_the_domain_of_its_own_account(app, exemplar, make_domain,
                                                        make_account):
    first, second = make_domain("first"), make_domain("second")
    accounts = [make_account(domain=first), make_account(domain=second)]
    with app.app_context():
        ids = insert_many(exemplar.ExemplarThing, [
            {"name": "a", "account_id": accounts[0], "domain_id": second},
            {"name": "b", "account_id": accounts[1]}])
        db.session.commit()
        assert [db.session.get(exemplar.ExemplarThing, i).domain_id for i in ids] == [
            first, second]


def test_a_refusing_rule_names_its_row_and_nothing_is_written(app, exemplar, make_account):
    account = make_account()
    rows = [{"account_id": account, "priority": priority} for priority in (2, 9, 3)]
    with app.app_context():
        with pytest.raises(RuleViolation, match="between 1 and 5") as refused:
            insert_many(exemplar.ExemplarCase, rows)
        assert refused.value.index == 1
        assert db.session.scalars(select(exemplar.ExemplarCase)).all() == []
        assert db.session.scalars(select(EventRecord).where(
            EventRecord.record_type == "exemplar_case")).all() == []
        assert db.session.scalars(select(AuditEntry).where(
            AuditEntry.table_name == "exemplar_case")).all() == []
        [case_id] = insert_many(exemplar.ExemplarCase, [rows[0]])
        db.session.commit()
        assert db.session.get(exemplar.ExemplarCase, case_id).number == "EXC0000001"


def test_a_rule_sees_each_set_field_as_changed(app, exemplar, make_account):
    account = make_account()
    with app.app_context():
        ids = insert_many(exemplar.ExemplarCase, [
            {"account_id": account, "state": "Closed"},
            {"account_id": account, "state": "Active", "stage": "At risk"}])
        db.session.commit()
        cases = [db.session.get(exemplar.ExemplarCase, i) for i in ids]
        assert [(c.state, c.stage) for c in cases] == [("Closed", "Finished"),
                                                      ("Active", "At risk")]
        with pytest.raises(RuleViolation, match="not allowed") as refused:
            insert_many(exemplar.ExemplarCase, [
                {"account_id": account, "state": "Active"},
                {"account_id": account, "state": "Closed", "stage": "At risk"}])
        assert refused.value.index == 1


def test_bulk_creates_are_dispatched_to_on_event_like_orm_creates(app, exemplar, make_account):
    account = make_account()
    with app.app_context():
        db.session.add(exemplar.ExemplarThing(name="one", account_id=account))
        db.session.commit()
        insert_many(exemplar.ExemplarThing, [{"name": "two", "account_id": account},
                                             {"name": "three", "account_id": account}])
        db.session.commit()
        # only once the context ends
        assert not [e for e in exemplar.received_events if e.record_type == "exemplar_thing"]
    received = [e for e in exemplar.received_events if e.name == "exemplar_thing.created"]
    assert [e.changes["name"][1] for e in received] == ["one", "two", "three"]
    assert [e.changes["number"][1] for e in received] == [
        "EXM0000001", "EXM0000002", "EXM0000003"]
    with app.app_context():
        assert all(e.dispatched_at is not None for e in db.session.scalars(select(EventRecord)))


def test_a_batch_announced_once_is_dispatched_as_one_event_listing_its_ids(app, exemplar,
                                                                           make_account):
    account = make_account()
    with app.app_context():
        ids = insert_many(exemplar.ExemplarThing, [{"name": "two", "account_id": account},
                                                   {"name": "three", "account_id": account}],
                          events="batch")
        db.session.commit()
        audited = db.session.scalars(select(AuditEntry.record_id).where(
            AuditEntry.table_name == "exemplar_thing")).all()
        assert sorted(audited) == ids  # the history of each record is kept as ever
    received = [(e.name, e.record_id, e.data) for e in exemplar.received_events
                if e.record_type == "exemplar_thing"]
    assert received == [("exemplar_thing.bulk_created", None, {"ids": ids})]


def test_orm_writes_inside_batch_events_are_announced_once_per_model_and_kind(
        app, exemplar, make_account):
    account = make_account()
    thing = exemplar.ExemplarThing
    with app.app_context():
        ids = insert_many(thing, [{"name": name, "account_id": account}
                                  for name in ("one", "two", "three", "four")])
        db.session.commit()
    exemplar.received_events.clear()
    with app.app_context():
        first, second, third, fourth = (db.session.get(thing, i) for i in ids)
        with batch_events():
            first.name, second.name = "One", "Two"
            third.name = third.name  # set, not changed: not announced
            db.session.delete(fourth)
            db.session.flush()
        db.session.delete(third)  # outside the block: announced on its own
        db.session.commit()
        audited = db.session.scalars(select(AuditEntry.record_id).where(
            AuditEntry.table_name == "exemplar_thing", AuditEntry.field.in_(("*", "name")),
            AuditEntry.old_value.in_(("one", "two", "deleted")))).all()
        assert sorted(audited) == sorted([ids[0], ids[1], ids[2], ids[3]])
    received = sorted((e.name, e.record_id, sorted(e.data.get("ids", [])))
                      for e in exemplar.received_events if e.record_type == "exemplar_thing")
    assert received == [("exemplar_thing.bulk_deleted", None, [ids[3]]),
                        ("exemplar_thing.bulk_updated", None, [ids[0], ids[1]]),
                        ("exemplar_thing.deleted", ids[2], [])]


def test_an_unknown_field_is_refused_before_anything_is_written(app, exemplar, make_account):
    account = make_account()
    with app.app_context():
        with pytest.raises(TypeError, match="colour: not a column of ExemplarThing"):
            insert_many(exemplar.ExemplarThing, [{"name": "a", "account_id": account,
                                                  "colour": "red"}])
        assert db.session.scalars(select(exemplar.ExemplarThing)).all() == []


def test_a_model_a_bulk_insert_cannot_reproduce_is_written_by_the_orm(app, exemplar,
                                                                       make_account,
                                                                       monkeypatch):
    from onward.core import bulk

    monkeypatch.setattr(bulk, "_bulk_mapper", lambda model: None)
    account = make_account()
    with app.app_context():
        ids = insert_many(exemplar.ExemplarThing, [{"name": "a", "account_id": account},
                                                   {"name": "b", "account_id": account}])
        db.session.commit()
        things = [db.session.get(exemplar.ExemplarThing, i) for i in ids]
        assert [(t.name, t.number) for t in things] == [("a", "EXM0000001"),
                                                        ("b", "EXM0000002")]
        assert [_event(i, "exemplar_thing")[0] for i in ids] == ["exemplar_thing.created"] * 2
        with pytest.raises(RuleViolation) as refused:
            insert_many(exemplar.ExemplarCase, [{"account_id": account, "priority": 9}])
        assert not hasattr(refused.value, "index")
        assert db.session.scalars(select(exemplar.ExemplarCase)).all() == []


def _things(exemplar, account, *names):
    return insert_many(exemplar.ExemplarThing,
                       [{"name": name, "account_id": account} for name in names])


def _saved_things(app, exemplar, account, *names):
    """Things (two by default), committed; the events so far forgotten."""
    with app.app_context():
        ids = _things(exemplar, account, *(names or ("one", "two")))
        db.session.commit()
    exemplar.received_events.clear()
    return ids


def delete_many_in(app, model, ids, **options):
    with app.app_context():
        count = delete_many(model, ids, **options)
        db.session.commit()
        return count


def test_delete_many_deletes_as_the_orm_deletes(app, exemplar, make_account, make_user):
    account, author = make_account(), make_user("admin")
    with app.app_context(), acting_as(db.session.get(User, author)):
        one, two, _, orm = _things(exemplar, account, "one", "two", "three", "orm")
        db.session.commit()
        db.session.delete(db.session.get(exemplar.ExemplarThing, orm))
        db.session.flush()
        loaded = db.session.get(exemplar.ExemplarThing, one)
        assert delete_many(exemplar.ExemplarThing, [one, two, 999_999]) == 2
        assert loaded not in db.session  # the session forgets what was deleted
        db.session.commit()
        assert db.session.scalars(select(exemplar.ExemplarThing.name)).all() == ["three"]
        deleted = [("change", "*", "deleted", None, author, _audit(orm, "exemplar_thing")[-1][5])]
        assert _audit(one, "exemplar_thing")[-1:] == _audit(two, "exemplar_thing")[-1:] == (
            _audit(orm, "exemplar_thing")[-1:]) == deleted
    received = [(e.name, e.record_id) for e in exemplar.received_events
                if e.name.endswith(".deleted")]
    assert received == [("exemplar_thing.deleted", orm), ("exemplar_thing.deleted", one),
                        ("exemplar_thing.deleted", two)]
    assert delete_many_in(app, exemplar.ExemplarThing, []) == 0


def test_delete_many_takes_more_ids_than_one_statement_holds(app, exemplar, make_account,
                                                             monkeypatch):
    from onward.core import bulk

    monkeypatch.setattr(bulk, "DELETE_SLICE", 2)
    ids = _saved_things(app, exemplar, make_account(), "one", "two", "three", "four", "five")
    assert delete_many_in(app, exemplar.ExemplarThing, [*reversed(ids), ids[0]],
                          events="batch") == 5
    assert [e.data for e in exemplar.received_events] == [{"ids": ids}]
    with app.app_context():
        assert db.session.scalars(select(exemplar.ExemplarThing)).all() == []


def test_delete_many_announces_a_batch_once(app, exemplar, make_account):
    ids = _saved_things(app, exemplar, make_account())
    assert delete_many_in(app, exemplar.ExemplarThing, ids, events="batch") == 2
    received = [(e.name, e.record_id, e.data) for e in exemplar.received_events]
    assert received == [("exemplar_thing.bulk_deleted", None, {"ids": ids})]


def test_a_delete_rule_that_refuses_deletes_nothing(app, exemplar, make_account, monkeypatch):
    from onward import Rule
    from onward.core import rules

    def keep_two(record, change):
        if change.kind == "delete" and record.name == "two":
            raise RuleViolation("two stays")

    keep = Rule("exemplar_thing.keep_two", exemplar.ExemplarThing, keep_two, on=("delete",))
    registered = rules.rules_for
    monkeypatch.setattr(rules, "rules_for", lambda record, kind: [
        *registered(record, kind), *([keep] if kind in keep.on else [])])
    account = make_account()
    with app.app_context():
        ids = _things(exemplar, account, "one", "two", "three")
        db.session.commit()
        with pytest.raises(RuleViolation, match="two stays") as refused:
            delete_many(exemplar.ExemplarThing, ids)
        assert refused.value.index == 1
        db.session.commit()
        assert len(db.session.scalars(select(exemplar.ExemplarThing)).all()) == 3
        assert delete_many(exemplar.ExemplarThing, [ids[0], ids[2]]) == 2


def test_a_model_the_orm_deletes_more_of_goes_through_the_orm(app, exemplar, make_account,
                                                             monkeypatch):
    from onward.core import bulk

    monkeypatch.setattr(bulk, "_bulk_deletable", lambda mapper: False)
    ids = _saved_things(app, exemplar, make_account())
    assert delete_many_in(app, exemplar.ExemplarThing, ids, events="batch") == 2
    assert [e.name for e in exemplar.received_events] == ["exemplar_thing.bulk_deleted"]
    with app.app_context():
        assert db.session.scalars(select(exemplar.ExemplarThing)).all() == []


def test_only_a_model_whose_relationships_point_to_one_record_is_bulk_deleted(exemplar):
    from onward.core.bulk import _bulk_deletable
    from onward.core.models import Domain

    assert _bulk_deletable(inspect(exemplar.ExemplarThing))
    assert not _bulk_deletable(inspect(Domain))  # its children: the ORM unlinks them


@pytest.mark.parametrize("copies", [1, COPY_MIN_ROWS])  # PostgreSQL: by INSERT, by COPY
def test_write_rows_stores_what_an_insert_stores(app, copies):
    from onward import write_rows

    moment = dt.datetime(2031, 5, 30, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    row = {"name": "exemplar.copied", "record_type": "exemplar_thing", "record_id": 7,
           "changes": {"name": [None, "Ünïcode \t tab \\ backslash"]},
           "data": {"ids": [1, 2], "none": None}, "actor_id": None, "domain_id": 1,
           "created_at": moment, "attempts": 0}
    table = EventRecord.__table__
    with app.app_context():
        connection = db.session.connection()
        write_rows(connection, table, [row] * copies)
        connection.execute(table.insert(), [{**row, "name": "exemplar.inserted"}])
        db.session.commit()
        events = db.session.scalars(select(EventRecord).where(
            EventRecord.name.like("exemplar.%")).order_by(EventRecord.id)).all()
        assert len(events) == copies + 1
        stored = {event.name: event for event in events}
        copied, inserted = stored["exemplar.copied"], stored["exemplar.inserted"]
        columns = ("record_type", "record_id", "changes", "data", "domain_id", "created_at")
        assert [getattr(copied, c) for c in columns] == [getattr(inserted, c) for c in columns]
        assert copied.created_at == moment and copied.data == {"ids": [1, 2], "none": None}
        # as the database holds them: SQLite keeps the text it was given, so a bulk row
        # must not get the driver's own date format (no microseconds, a zone suffix)
        as_text = dict(db.session.execute(select(EventRecord.name, cast(
            EventRecord.created_at, String)).where(EventRecord.name.like("exemplar.%"))).all())
        assert as_text["exemplar.copied"] == as_text["exemplar.inserted"]


def _event_rows(count, name="exemplar.later"):
    return [{"name": name, "record_type": "exemplar_thing", "record_id": i, "changes": {},
             "data": {}, "actor_id": None, "domain_id": 1, "created_at": dt.datetime.now(dt.UTC),
             "attempts": 0} for i in range(count)]


def _count(name):
    return db.session.scalar(select(func.count()).select_from(EventRecord).where(
        EventRecord.name == name))


def test_rows_written_without_waiting_are_there_for_the_next_statement_and_commit(app):
    from onward import write_rows

    with app.app_context():
        write_rows(db.session.connection(), EventRecord.__table__, _event_rows(3000),
                   wait=False)
        assert _count("exemplar.later") == 3000  # the statement waits for the COPY
        write_rows(db.session.connection(), EventRecord.__table__,
                   _event_rows(2000, "exemplar.committed"), wait=False)
        db.session.commit()
        write_rows(db.session.connection(), EventRecord.__table__,
                   _event_rows(1000, "exemplar.dropped"), wait=False)
        db.session.close()  # back to the pool: the COPY ends first, then is rolled back
    with app.app_context():
        assert _count("exemplar.committed") == 2000
        assert _count("exemplar.dropped") == 0


def test_a_write_that_fails_without_waiting_raises_at_the_next_statement(app):
    from onward import write_rows

    def write_then_read():  # SQLite writes at once, PostgreSQL's COPY fails meanwhile
        write_rows(db.session.connection(), EventRecord.__table__,
                   _event_rows(COPY_MIN_ROWS, name=None), wait=False)
        _count("exemplar.later")

    with app.app_context():
        db.session.commit()
        with pytest.raises(Exception, match=r"(?i)null"):
            write_then_read()
        db.session.rollback()  # quietly: the failure was raised already
        assert _count(None) == 0


def test_a_forked_process_copies_with_threads_of_its_own(monkeypatch):
    from onward.core import bulk

    parents = bulk._copier()
    parents.submit(sum, [1]).result()  # its threads exist in this process only
    # as in a child forked now (only bulk's view of the process: other threads keep theirs)
    monkeypatch.setattr(bulk, "os", SimpleNamespace(getpid=lambda: -1))
    childs = bulk._copier()
    assert childs is not parents and childs.submit(sum, [1, 2]).result(timeout=10) == 3


@pytest.mark.parametrize("by_column", [False, True])
@pytest.mark.parametrize("mixed", [False, True])
def test_write_rows_stores_dates_and_times_as_text_an_insert_stores(app, by_column, mixed):
    from sqlalchemy import Column, Date, DateTime, Integer, MetaData, Table

    from onward import UTCDateTime, write_columns, write_rows

    table = Table("exemplar_moments", MetaData(), Column("id", Integer, primary_key=True),
                  Column("day", Date), Column("naive", DateTime), Column("aware", UTCDateTime))
    shared = dt.datetime(2031, 5, 30, 23, 30, tzinfo=dt.UTC)  # one object in many rows
    east = dt.timezone(dt.timedelta(hours=5, minutes=30))
    rows = [{"day": dt.date(1999 + i, 12, 31), "naive": dt.datetime(987, 1, 2, 3, 4, 5, i),
             "aware": shared if i % 2 else dt.datetime(2031, 1, 1, 2, 3, i, 999, tzinfo=east)}
            for i in range(COPY_MIN_ROWS)]
    rows += [{"day": None, "naive": None, "aware": None}]  # blanks among them
    rows += [{"day": dt.datetime(2024, 2, 29, 13), "naive": dt.date(2024, 3, 1),  # the other type
              "aware": dt.datetime(2024, 3, 1, 12)}] if mixed else []  # naive: taken to be UTC
    with app.app_context():
        connection = db.session.connection()
        table.create(connection)
        try:
            if by_column:  # each column's values in one go, where they are all of one type
                write_columns(connection, table, {name: [row[name] for row in rows]
                                                  for name in rows[0]})
            else:
                write_rows(connection, table, rows)
            connection.execute(table.insert(), rows)
            stored = connection.execute(select(
                cast(table.c.day, String), cast(table.c.naive, String),
                cast(table.c.aware, String), table.c.day, table.c.naive, table.c.aware)
                .order_by(table.c.id)).all()
        finally:
            table.drop(connection)
        assert stored[:len(rows)] == stored[len(rows):]
        assert stored[1][3:] == (dt.date(2000, 12, 31), dt.datetime(987, 1, 2, 3, 4, 5, 1),
                                 shared)
        assert stored[0][5] == dt.datetime(2030, 12, 31, 20, 33, 0, 999, tzinfo=dt.UTC)


def test_fewer_collections_holds_while_any_user_is_inside_and_then_restores():
    import gc

    from onward import fewer_collections

    before = gc.get_threshold()
    with fewer_collections(123_456):
        assert gc.get_threshold() == (123_456, *before[1:])
        with fewer_collections(999):  # a second user (another thread's import) changes nothing
            assert gc.get_threshold()[0] == 123_456
        assert gc.get_threshold()[0] == 123_456  # the first is still inside
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), fewer_collections(5_000):
        raise RuntimeError("the bulk work failed")
    assert gc.get_threshold() == before


def test_among_finds_values_and_tuples_and_sends_postgresql_one_array_per_column(
        app, exemplar, make_account):
    from sqlalchemy import func

    from onward import among

    account = make_account()
    start = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    with app.app_context():
        insert_many(exemplar.ExemplarThing, [  # created apart: one microsecond may hold all
            {"name": name, "account_id": account, "created_at": start + dt.timedelta(hours=i)}
            for i, name in enumerate(("Alpha", "Beta", "Gamma"))])
        db.session.commit()
        thing = exemplar.ExemplarThing

        def names(condition):
            return sorted(db.session.scalars(select(thing.name).where(condition)))

        many = [f"x{n}" for n in range(3000)]
        assert names(among(func.lower(thing.name), [None, "alpha", "gamma", *many])) == [
            "Alpha", "Gamma"]
        assert names(among((thing.name, thing.account_id),
                           [("Beta", account), ("Alpha", account + 1)])) == ["Beta"]
        assert names(among(thing.name, [])) == []
        beta = db.session.scalars(select(thing).where(thing.name == "Beta")).one()
        moment = dt.datetime(2031, 5, 30, 23, 30, tzinfo=dt.UTC)
        assert names(among((thing.created_at, thing.account_id),
                           [(beta.created_at, account), (moment, account)])) == ["Beta"]
        ids = [beta.id, beta.id + 1000]
        assert names(among(thing.id, ids)) == ["Beta"]
        assert names(among(thing.created_at, [beta.created_at])) == ["Beta"]  # dates as dates
        # one array, not 3,000 parameters
        compiled = select(thing.id).where(among(func.lower(thing.name), many)).compile(db.engine)
        listed = "= ANY (" if db.engine.dialect.name == "postgresql" else "json_each("
        assert listed in str(compiled) and len(compiled.construct_params()) == 1


def test_among_finds_text_of_every_kind(app, exemplar, make_account):
    """Quotes, backslashes, braces, commas, "NULL", blanks and line breaks come back as
    they are (PostgreSQL reads them from one array, SQLite from one JSON text)."""
    from onward import among

    account = make_account()
    odd = ['say "hi"', "back\\slash", "\\n is no line break", "{braced, with comma}", "NULL",
           "", " padded ", "Zoë ☃ 😀", "two\nlines", 'both \\"']
    with app.app_context():
        insert_many(exemplar.ExemplarThing, [{"name": name, "account_id": account}
                                             for name in [*odd, "other"]])
        db.session.commit()
        thing = exemplar.ExemplarThing
        for wanted in ([name] for name in odd):
            assert db.session.scalars(select(thing.name).where(
                among(thing.name, [*wanted, "absent", None]))).all() == wanted
        assert sorted(db.session.scalars(select(thing.name).where(among(thing.name, odd)))) \
            == sorted(odd)
