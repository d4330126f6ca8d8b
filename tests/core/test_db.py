"""The mixins: numbers, timestamps and actors, domain stamping, audit history, journal."""

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from onward import SYSTEM, acting_as, db
from onward.core.models import AuditEntry, JournalEntry, User


def _thing(exemplar, account, name="Thing", **fields):
    return exemplar.ExemplarThing(name=name, account_id=account, **fields)


def test_numbers_are_prefixed_padded_and_sequential(app, exemplar, make_account):
    account = make_account()
    with app.app_context():
        things = [_thing(exemplar, account, f"T{i}") for i in range(3)]
        db.session.add_all(things)
        db.session.commit()
        assert [t.number for t in things] == ["EXM0000001", "EXM0000002", "EXM0000003"]


def test_a_rolled_back_creation_gives_its_number_back(app, exemplar, make_account):
    account = make_account()
    with app.app_context():
        db.session.add(_thing(exemplar, account))
        db.session.flush()
        db.session.rollback()
        thing = _thing(exemplar, account)
        db.session.add(thing)
        db.session.commit()
        assert thing.number == "EXM0000001"


def test_numbers_stay_unique_and_gap_free_under_concurrent_creation(app, exemplar, make_account):
    account = make_account()
    threads, per_thread, errors = 6, 5, []

    def create_many():
        try:
            for _ in range(per_thread):
                with app.app_context():
                    db.session.add(_thing(exemplar, account))
                    db.session.commit()
        except Exception as exc:
            errors.append(exc)

    workers = [threading.Thread(target=create_many) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    with app.app_context():
        numbers = db.session.scalars(select(exemplar.ExemplarThing.number)).all()
    expected = [f"EXM{i:07d}" for i in range(1, threads * per_thread + 1)]
    assert sorted(numbers) == expected


def test_domain_is_stamped_from_the_account(app, exemplar, make_domain, make_account):
    tenant = make_domain("tenant")
    other = make_domain("other")
    first, second = make_account(domain=tenant), make_account(domain=other)
    with app.app_context():
        thing = _thing(exemplar, first)
        db.session.add(thing)
        db.session.commit()
        assert thing.domain_id == tenant
        thing.account_id = second
        db.session.commit()
        assert thing.domain_id == other


def test_the_database_refuses_a_record_whose_domain_is_not_its_accounts(
        app, exemplar, make_domain, make_account):
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    tenant, other = make_domain("tenant"), make_domain("other")
    account = make_account(domain=tenant)
    with app.app_context():
        thing = _thing(exemplar, account)
        db.session.add(thing)
        db.session.commit()
        # past the mixin's stamping: one key, (domain_id, account_id) to the account
        for change in (f"domain_id = {other}", f"account_id = {make_account(domain=other)}",
                       "account_id = 999999"):
            with pytest.raises(IntegrityError):
                db.session.execute(text(f"UPDATE exemplar_thing SET {change} WHERE id = :id"),
                                   {"id": thing.id})
            db.session.rollback()
        moved = make_account(domain=other)
        db.session.execute(text("UPDATE exemplar_thing SET domain_id = :domain, "
                                "account_id = :account WHERE id = :id"),
                           {"domain": other, "account": moved, "id": thing.id})
        db.session.commit()


def test_created_and_updated_by_record_the_actor(app, exemplar, make_account, make_user):
    account = make_account()
    author, editor = make_user("admin"), make_user("admin")
    with app.app_context():
        with acting_as(db.session.get(User, author)):
            thing = _thing(exemplar, account)
            db.session.add(thing)
            db.session.commit()
        with acting_as(db.session.get(User, editor)):
            thing.name = "Renamed"
            db.session.commit()
        assert (thing.created_by_id, thing.updated_by_id) == (author, editor)
        assert thing.updated_at >= thing.created_at
        assert thing.created_at.tzinfo is not None


def test_audit_history_records_who_what_old_and_new(app, exemplar, make_account, make_user):
    account = make_account()
    editor = make_user("admin")
    with app.app_context():
        thing = _thing(exemplar, account, "Before")
        db.session.add(thing)
        db.session.commit()
        with acting_as(db.session.get(User, editor)):
            thing.name = "After"
            db.session.commit()
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.table_name == "exemplar_thing",
                                     AuditEntry.record_id == thing.id).order_by(AuditEntry.id)
        ).all()
        assert [(e.field, e.old_value, e.new_value) for e in entries] == [
            ("*", None, "created"), ("name", "Before", "After")
        ]
        assert entries[1].user_id == editor
        assert entries[1].domain_id == thing.domain_id


def test_audit_masks_secrets(app, make_user):
    user_id = make_user()
    with app.app_context():
        user = db.session.get(User, user_id)
        user.password_hash = "new-hash"
        db.session.commit()
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.field == "password_hash"))
        assert entry.new_value == "••••"
        assert "new-hash" not in (entry.old_value or "")


def test_deleting_an_audited_record_is_recorded(app, exemplar, make_account):
    account = make_account()
    with app.app_context():
        thing = _thing(exemplar, account)
        db.session.add(thing)
        db.session.commit()
        thing_id = thing.id
        db.session.delete(thing)
        db.session.commit()
        deleted = db.session.scalar(select(AuditEntry).where(
            AuditEntry.record_id == thing_id, AuditEntry.old_value == "deleted"))
        assert deleted is not None


def test_journal_keeps_work_notes_and_comments_apart(app, exemplar, make_account, make_user):
    account = make_account()
    author = make_user("admin")
    with app.app_context():
        thing = _thing(exemplar, account)
        db.session.add(thing)
        with acting_as(db.session.get(User, author)):
            thing.add_work_note("internal only")
            thing.add_comment("for the customer")
            thing.add_comment("   ")  # blank entries are ignored
        db.session.commit()
        assert [e.body for e in thing.journal(("comments",))] == ["for the customer"]
        assert [e.body for e in thing.journal(("work_notes",))] == ["internal only"]
        assert {e.author_id for e in thing.journal()} == {author}
        assert db.session.scalar(select(db.func.count(JournalEntry.id))) == 2


@pytest.mark.parametrize("actor", [SYSTEM, None])
def test_records_made_by_the_system_have_no_author(app, exemplar, make_account, actor):
    account = make_account()
    with app.app_context():
        with acting_as(actor):
            thing = _thing(exemplar, account)
            db.session.add(thing)
            db.session.commit()
        assert thing.created_by_id is None


def test_bookkeeping_fields_stay_out_of_the_audit_log(app, make_user):
    user_id = make_user()
    with app.app_context():
        user = db.session.get(User, user_id)
        user.last_sign_in_at = user.created_at
        user.totp_last_step = 42
        user.name = "Audited"
        db.session.commit()
        fields = db.session.scalars(select(AuditEntry.field).where(
            AuditEntry.record_id == user_id, AuditEntry.table_name == "core_user")).all()
    assert sorted(fields) == ["*", "name"]


def test_json_columns_store_dates_as_iso_text_and_keys_as_text(app):
    from onward.core.events import EventRecord

    data = {"on": dt.date(2031, 5, 30), "at": dt.datetime(2031, 5, 30, 8, 15), 7: "seven"}
    with app.app_context():
        event = EventRecord(name="exemplar.checked", data=data)
        db.session.add(event)
        db.session.commit()
        db.session.expire_all()
        stored = db.session.get(EventRecord, event.id).data
    assert stored == {"on": "2031-05-30", "at": "2031-05-30T08:15:00", "7": "seven"}


@pytest.mark.parametrize(("value", "where"), [
    ({"a": [1, 2.5, "x", None, True, {"b": -(2**63 - 1)}]}, None),
    ({"a": [1, {"b": float("nan")}]}, "$.a[1].b"),
    ([float("-inf")], "$[0]"),
    ({"n": 2**63}, "$.n"),
    (-(2**63), "$"),
])
def test_unstorable_number_names_where_json_columns_would_fail(value, where):
    from onward import unstorable_number

    assert unstorable_number(value) == where


def test_unstorable_number_walks_any_depth_and_finds_the_first_in_order():
    from onward import unstorable_number

    deep: list = [float("nan")]
    for _ in range(5000):  # deeper than Python's recursion limit
        deep = [deep]
    assert unstorable_number(deep) == "$" + "[0]" * 5001
    assert unstorable_number({"a": [1, 2**64], "b": float("inf")}) == "$.a[1]"
