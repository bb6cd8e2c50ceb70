"""Found by schemathesis with two workers on PostgreSQL: deleting a school while another request
deletes a cycle of the same LA deadlocked in the published-visit index (each cascading into rows
the other's index rewrite then needed), and one of them answered 500. Index writers of one LA
now take turns."""

from __future__ import annotations

import threading

import pytest


def test_a_school_and_a_cycle_of_one_la_deleted_at_once_both_succeed(app, backend, solved):
    from service.extensions import db
    from service.models import Cycle, PublishedVisit, School

    if backend["name"] != "postgresql":
        pytest.skip("SQLite has one writer at a time: nothing to interleave")
    with app.app_context():
        # A school that hosts a visit in the published plan (so index rows point at it).
        urn = db.session.scalar(db.select(PublishedVisit.school_urn).where(PublishedVisit.cycle_id == solved).limit(1))
    school_flushed, cycle_started = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def delete_school():
        try:
            with app.app_context():
                db.session.delete(db.session.scalar(db.select(School).where(School.urn == urn)))
                db.session.flush()  # holds the school's index rows (SET NULL) ...
                school_flushed.set()
                cycle_started.wait(10)
                threading.Event().wait(1.0)  # ... while the other request deletes the cycle
                db.session.commit()  # ... then rewrites the LA's whole index
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
            school_flushed.set()

    def delete_cycle():
        try:
            school_flushed.wait(10)
            with app.app_context():
                cycle = db.session.get(Cycle, solved)
                db.session.delete(cycle)
                cycle_started.set()
                db.session.commit()  # cascades into the same rows
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
            cycle_started.set()

    threads = [threading.Thread(target=delete_school), threading.Thread(target=delete_cycle)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    with app.app_context():
        assert db.session.get(Cycle, solved) is None
        assert db.session.scalar(db.select(School).where(School.urn == urn)) is None
        assert not db.session.scalars(db.select(PublishedVisit).where(PublishedVisit.cycle_id == solved)).all()
