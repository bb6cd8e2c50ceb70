"""A solve's life as a state machine (`service/solve_lifecycle.py`), walked over its whole table
on each backend: every allowed move works, every forbidden one raises and changes nothing."""

from __future__ import annotations

import uuid

import pytest

from service import solve_lifecycle as life
from service.extensions import db
from service.models import ACTIVE_SOLVE_STATES, ENDED_SOLVE_STATES, Solve, SolveStatus

S = SolveStatus


def _row(cycle_id: int, status: SolveStatus, **values) -> str:
    solve = Solve(id=uuid.uuid4().hex, cycle_id=cycle_id, status=status.value, **values)
    db.session.add(solve)
    db.session.commit()
    return solve.id


def _status(solve_id: str) -> str:
    db.session.expire_all()
    return db.session.get(Solve, solve_id).status


def _drop(solve_id: str) -> None:
    db.session.rollback()
    db.session.delete(db.session.get(Solve, solve_id))
    db.session.commit()


def test_the_table_names_every_status_and_ends_are_final():
    assert set(life.MOVES) == set(SolveStatus)
    assert set(ACTIVE_SOLVE_STATES) | set(ENDED_SOLVE_STATES) == set(SolveStatus)
    assert not life.MOVES[S.FINISHED] and not life.MOVES[S.CANCELLED]
    # Nothing goes back to queued except a running job handing itself back for a retry.
    assert life.sources(S.QUEUED) == (S.RUNNING,)
    assert set(life.sources(S.RUNNING)) == {S.QUEUED, S.RUNNING}
    assert life.allowed("running", S.FINISHED) and not life.allowed("finished", S.RUNNING)


def test_every_move_by_id_is_checked_against_the_table(app, cycle_id):
    with app.app_context():
        for start in SolveStatus:
            for to in SolveStatus:
                solve_id = _row(cycle_id, start)
                if to in life.MOVES[start]:
                    life.move(solve_id, to)
                    db.session.commit()
                    assert _status(solve_id) == to, (start, to)
                    solve = db.session.get(Solve, solve_id)
                    if to in ENDED_SOLVE_STATES:
                        assert solve.finished_at is not None, (start, to)
                    if to is S.RUNNING:
                        assert solve.started_at is not None
                    if to is S.QUEUED:
                        assert solve.started_at is None
                else:
                    with pytest.raises(life.SolveTransitionError, match=f"cannot become {to}"):
                        life.move(solve_id, to)
                    assert _status(solve_id) == start, (start, to)
                _drop(solve_id)


def test_every_move_of_a_held_row_is_checked_against_the_table(app, cycle_id):
    with app.app_context():
        for start in SolveStatus:
            for to in SolveStatus:
                solve_id = _row(cycle_id, start)
                solve = db.session.get(Solve, solve_id)
                if to in life.MOVES[start]:
                    life.set_status(solve, to, error="why")
                    db.session.commit()
                    assert _status(solve_id) == to and db.session.get(Solve, solve_id).error == "why"
                else:
                    with pytest.raises(life.SolveTransitionError):
                        life.set_status(solve, to)
                    assert _status(solve_id) == start, (start, to)
                _drop(solve_id)


def test_a_narrower_start_is_kept_and_cannot_widen_the_table(app, cycle_id):
    with app.app_context():
        solve_id = _row(cycle_id, S.RUNNING)
        with pytest.raises(life.SolveTransitionError):  # cancelled straight from running: only by its job
            life.move(solve_id, S.CANCELLED, only_from=(S.QUEUED,))
        with pytest.raises(life.SolveTransitionError, match="from finished"):
            life.move(solve_id, S.FAILED, only_from=(S.FINISHED,))
        assert _status(solve_id) == S.RUNNING
        with pytest.raises(life.SolveTransitionError, match="does not exist"):
            life.move("no-such-solve", S.FAILED)
        _drop(solve_id)


def test_the_named_moves_of_a_job(app, cycle_id):
    with app.app_context():
        solve_id = _row(cycle_id, S.QUEUED)
        assert life.take(solve_id) and _status(solve_id) == S.RUNNING
        assert not life.take(solve_id)  # taken already
        assert life.take(solve_id, resume=True)  # a retry takes back its own running row
        assert not life.cancel_queued(solve_id)  # running: asked to stop instead
        assert life.ask_to_stop(solve_id)
        db.session.commit()
        solve = db.session.get(Solve, solve_id)
        assert solve.cancel_requested and solve.status == S.RUNNING
        life.end(solve, None, {"objective": 12.0, "bound": 10.0}, elapsed_s=1.5)
        db.session.commit()
        solve = db.session.get(Solve, solve_id)
        assert (solve.status, solve.objective, solve.bound, solve.elapsed_s) == (S.CANCELLED, 12.0, 10.0, 1.5)
        assert not life.fail(solve_id, "too late") and not life.ask_to_stop(solve_id)
        assert _status(solve_id) == S.CANCELLED
        _drop(solve_id)

        solve_id = _row(cycle_id, S.QUEUED)
        assert life.take(solve_id)
        life.hand_back(solve_id)
        db.session.commit()
        solve = db.session.get(Solve, solve_id)
        assert solve.status == S.QUEUED and solve.started_at is None
        assert life.cancel_queued(solve_id)
        db.session.commit()
        solve = db.session.get(Solve, solve_id)
        assert solve.status == S.CANCELLED and solve.cancel_requested and solve.finished_at
        with pytest.raises(life.SolveTransitionError):
            life.hand_back(solve_id)
        _drop(solve_id)

        # Given up for dead by the sweep, then the job ends with its plan after all: the plan stands.
        solve_id = _row(cycle_id, S.RUNNING)
        assert life.fail(solve_id, "heartbeat lost")
        db.session.commit()
        solve = db.session.get(Solve, solve_id)
        life.end(solve, None, {"objective": 3.0, "bound": 3.0})
        db.session.commit()
        assert _status(solve_id) == S.FINISHED
        _drop(solve_id)


def test_cancelling_an_ended_solve_through_the_api_is_409(admin, cycle_id, app):
    with app.app_context():
        solve_id = _row(cycle_id, S.FINISHED)
    response = admin.delete(f"/api/v1/solves/{solve_id}")
    assert response.status_code == 409, response.json
    assert response.json["message"] == "the solve is already finished"
