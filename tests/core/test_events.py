"""The durable event log and its dispatcher: written with the change, dispatched after it."""

import datetime as dt
import threading
import types

import pytest
from sqlalchemy import func, select

from onward import create_app, db, emit, hookimpl
from onward.core.events import MAX_ATTEMPTS, EventRecord, dispatch_pending


@pytest.fixture
def account(make_account):
    return make_account("Evented")


def _thing(exemplar, account, name="Thing"):
    return exemplar.ExemplarThing(name=name, account_id=account)


def _events(name_prefix=""):
    return db.session.scalars(select(EventRecord).where(EventRecord.name.startswith(name_prefix))
                              .order_by(EventRecord.id)).all()


def test_every_change_writes_an_event_with_old_and_new_values(app, exemplar, account,
                                                               make_user):
    from onward import acting_as
    from onward.core.models import User

    editor = make_user("admin")
    with app.app_context():
        thing = _thing(exemplar, account, "Before")
        db.session.add(thing)
        db.session.commit()
        with acting_as(db.session.get(User, editor)):
            thing.name = "After"
            db.session.commit()
        db.session.delete(thing)
        db.session.commit()
        created, updated, deleted = _events("exemplar_thing.")
    assert created.changes["name"] == [None, "Before"]
    assert created.changes["number"] == [None, "EXM0000001"]
    assert updated.changes == {"name": ["Before", "After"]}
    assert updated.actor_id == editor
    assert (deleted.name, deleted.record_id) == ("exemplar_thing.deleted", created.record_id)
    assert created.domain_id is not None


def test_a_rolled_back_change_leaves_no_event(app, exemplar, account):
    with app.app_context():
        db.session.add(_thing(exemplar, account))
        db.session.flush()
        emit("exemplar.custom")
        db.session.rollback()
        assert _events("exemplar") == []


def test_secrets_are_masked_in_events(app, make_user):
    user_id = make_user()
    with app.app_context():
        created = db.session.scalars(select(EventRecord).where(
            EventRecord.name == "core_user.created", EventRecord.record_id == user_id)).one()
    assert created.changes["password_hash"][1] == "••••"


def test_bookkeeping_changes_emit_nothing(app, make_user):
    from onward.core.models import User

    user_id = make_user()
    with app.app_context():
        before = db.session.scalar(select(func.count(EventRecord.id)))
        db.session.get(User, user_id).last_sign_in_at = dt.datetime.now(dt.UTC)
        db.session.commit()
        assert db.session.scalar(select(func.count(EventRecord.id))) == before


def test_events_are_dispatched_after_commit_in_order_and_marked(app, exemplar, account):
    with app.app_context():
        for name in ("one", "two", "three"):
            db.session.add(_thing(exemplar, account, name))
            db.session.commit()
        # not before the context ends
        assert not [e for e in exemplar.received_events if e.name.startswith("exemplar_thing")]
    received = [e.changes["name"][1] for e in exemplar.received_events
                if e.name == "exemplar_thing.created"]
    assert received == ["one", "two", "three"]
    ids = [e.id for e in exemplar.received_events]
    assert ids == sorted(ids)
    with app.app_context():
        assert all(e.dispatched_at is not None for e in _events("exemplar_thing."))
        assert all(e.attempts == 1 for e in _events("exemplar_thing."))


def test_requests_dispatch_their_events(app, client, exemplar, login_as, account):
    login_as("admin")
    response = client.post("/admin/accounts/new", data={"name": "Fresh", "domain": "1"})
    assert response.status_code == 302
    assert "core_account.created" in [e.name for e in exemplar.received_events]


def _failing_plugin(failures):
    plugin = types.ModuleType("flaky_plugin")

    def on_event(event):
        if event.name == "exemplar.flaky" and failures:
            failures.pop()
            raise RuntimeError("mail server down")

    plugin.on_event = hookimpl(on_event)
    return plugin


def test_a_failing_reaction_is_rolled_back_recorded_and_retried(app, exemplar):
    failures = ["once"]
    flaky = create_app({**app.config}, extra_plugins=[exemplar, _failing_plugin(failures)])
    with flaky.app_context():
        emit("exemplar.flaky", data={"n": 1})
        db.session.commit()
    with flaky.app_context():
        (event,) = _events("exemplar.flaky")
        assert event.dispatched_at is None
        assert (event.attempts, event.last_error) == (1, "RuntimeError: mail server down")
        assert event.claimed_until > dt.datetime.now(dt.UTC)  # a pause before the retry
        event.claimed_until = None
        db.session.commit()
        assert dispatch_pending() == 1
        (event,) = _events("exemplar.flaky")
        assert event.dispatched_at is not None and event.attempts == 2


def test_events_left_by_a_crash_are_dispatched_on_the_next_run(app, exemplar):
    with app.app_context():
        db.session.add(EventRecord(name="exemplar.orphan", changes={}, data={},
                                   claimed_until=dt.datetime.now(dt.UTC) - dt.timedelta(1)))
        db.session.commit()
    # a dispatcher that died held the lease, which has run out: run-due takes it over
    with app.app_context():
        from onward.core.jobs import run_due

        run_due()
    assert "exemplar.orphan" in [e.name for e in exemplar.received_events]


def test_an_event_claimed_by_another_dispatcher_is_left_alone(app, exemplar):
    with app.app_context():
        db.session.add(EventRecord(name="exemplar.held", changes={}, data={},
                                   claimed_until=dt.datetime.now(dt.UTC) + dt.timedelta(1)))
        db.session.commit()
        assert dispatch_pending() == 0
    assert "exemplar.held" not in [e.name for e in exemplar.received_events]


def test_events_past_the_attempt_limit_are_left_alone(app, exemplar):
    with app.app_context():
        db.session.add(EventRecord(name="exemplar.poison", changes={}, data={},
                                   attempts=MAX_ATTEMPTS))
        db.session.commit()
        assert dispatch_pending() == 0


def test_two_dispatchers_hand_each_event_over_once(app, exemplar):
    with app.app_context():
        for n in range(20):
            db.session.add(EventRecord(name="exemplar.bulk", changes={}, data={"n": n}))
        db.session.commit()
    counts = []

    def run():
        with app.app_context():
            counts.append(dispatch_pending())

    workers = [threading.Thread(target=run) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    bulk = [e.data["n"] for e in exemplar.received_events if e.name == "exemplar.bulk"]
    assert sorted(bulk) == list(range(20))
    assert sum(counts) == 20


@pytest.mark.onward_config(DISPATCH_EVENTS="jobs")
def test_dispatch_can_be_left_to_the_jobs(app, exemplar, account):
    with app.app_context():
        db.session.add(_thing(exemplar, account))
        db.session.commit()
    assert "exemplar_thing.created" not in [e.name for e in exemplar.received_events]
    with app.app_context():
        assert dispatch_pending() >= 1
    assert "exemplar_thing.created" in [e.name for e in exemplar.received_events]


@pytest.mark.onward_config(EVENTS_KEEP_DAYS=30, JOBS_BACKEND="sync")
def test_the_prune_job_deletes_only_events_dispatched_long_ago(app, monkeypatch):
    from onward.core import events
    from onward.core.jobs import enqueue, job_type

    now = dt.datetime.now(dt.UTC)
    ago = {name: now - dt.timedelta(days=days) for name, days in
           (("old", 31), ("recent", 29), ("pending", 90), ("failing", 90))}
    monkeypatch.setattr(events, "PRUNE_BATCH", 2)  # several batches
    with app.app_context():
        for n in range(5):
            db.session.add(EventRecord(name="exemplar.old", changes={}, data={"n": n},
                                       created_at=ago["old"], dispatched_at=ago["old"]))
        db.session.add(EventRecord(name="exemplar.recent", changes={}, data={},
                                   dispatched_at=ago["recent"]))
        db.session.add(EventRecord(name="exemplar.pending", changes={}, data={},
                                   created_at=ago["pending"]))
        db.session.add(EventRecord(name="exemplar.failing", changes={}, data={},
                                   created_at=ago["failing"], attempts=MAX_ATTEMPTS,
                                   last_error="RuntimeError: boom"))
        db.session.commit()
        assert job_type("core_events_prune").schedule  # runs by itself, every night
        run = enqueue("core_events_prune")
        db.session.commit()
        assert (run.status, run.result) == ("succeeded", {"deleted": 5})
        assert sorted(db.session.scalars(select(EventRecord.name).where(
            EventRecord.name.like("exemplar.%")))) == [
            "exemplar.failing", "exemplar.pending", "exemplar.recent"]
