"""A solve's life: the one module that moves a solve from one `SolveStatus` to another.

    queued ──> running ──> finished | cancelled
      │  ╲        │  ╲
      │   ╲       │   └──> queued   (a transient error: the job hands itself back for a retry)
      │    ╲      └──────> failed
      │     └────────────> cancelled (cancelled before it started)
      └──────────────────> failed   (could not be queued; its runner died)
    failed ──> finished | cancelled (a job given up for dead that ends after all keeps its plan)

Officer solves, nightly re-optimisations and what-if solves all live by this table. Every
move is checked against it: a move it forbids raises `SolveTransitionError` (409), and so
does a move whose row was no longer where it was expected to be (another process moved it
first: the moves by id are compare-and-set in one UPDATE, safe between web processes,
workers and the sweep). Timestamps follow the status: `started_at` when it runs (cleared when
handed back), `finished_at` when it ends. The caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from .errors import Conflict
from .extensions import db
from .models import ACTIVE_SOLVE_STATES, ENDED_SOLVE_STATES, Solve, SolveStatus, utcnow

QUEUED, RUNNING, FINISHED, FAILED, CANCELLED = (
    SolveStatus.QUEUED,
    SolveStatus.RUNNING,
    SolveStatus.FINISHED,
    SolveStatus.FAILED,
    SolveStatus.CANCELLED,
)

# status -> the statuses it may move to.
MOVES: dict[SolveStatus, frozenset[SolveStatus]] = {
    QUEUED: frozenset({RUNNING, FAILED, CANCELLED}),
    # running -> running: a retried job takes back the row its failed attempt left running.
    RUNNING: frozenset({RUNNING, QUEUED, FINISHED, FAILED, CANCELLED}),
    # The sweep marks failed a solve whose heartbeat stopped; if its job was only late and
    # ends with a plan, the plan is stored and the solve says so.
    FAILED: frozenset({FINISHED, CANCELLED}),
    FINISHED: frozenset(),
    CANCELLED: frozenset(),
}


class SolveTransitionError(Conflict):
    """A move the table forbids, or one another process got to first."""


def allowed(current: str, to: SolveStatus) -> bool:
    return to in MOVES.get(SolveStatus(current), frozenset())


def sources(to: SolveStatus) -> tuple[SolveStatus, ...]:
    """The statuses from which a solve may move to `to`."""
    return tuple(s for s, targets in MOVES.items() if to in targets)


def _stamps(to: SolveStatus) -> dict:
    if to is RUNNING:
        return {"started_at": utcnow()}
    if to is QUEUED:
        return {"started_at": None}
    return {"finished_at": utcnow()} if to in ENDED_SOLVE_STATES else {}


def move(solve_id: str, to: SolveStatus, *, only_from: Iterable[SolveStatus] | None = None, **values) -> None:
    """Move solve `solve_id` to `to` in one compare-and-set UPDATE, from any status the table
    allows (or only from `only_from`, a subset of those), writing `values` with it."""
    starts = sources(to)
    if only_from is not None:
        narrower = tuple(only_from)
        if not set(narrower) <= set(starts):
            raise SolveTransitionError(f"a solve cannot become {to} from {', '.join(narrower)}")
        starts = narrower
    moved = db.session.execute(
        sa.update(Solve)
        .where(Solve.id == solve_id, Solve.status.in_([s.value for s in starts]))
        .values(status=to.value, **_stamps(to), **values)
    ).rowcount
    if not moved:
        current = db.session.scalar(sa.select(Solve.status).where(Solve.id == solve_id))
        if current is None:
            raise SolveTransitionError(f"solve {solve_id} does not exist")
        raise SolveTransitionError(f"solve {solve_id} is {current}: it cannot become {to}")


def set_status(solve: Solve, to: SolveStatus, **values) -> None:
    """Move a solve this session holds (and has locked or just written) to `to`."""
    if not allowed(solve.status, to):
        raise SolveTransitionError(f"solve {solve.id} is {solve.status}: it cannot become {to}")
    for key, value in (_stamps(to) | values).items():
        setattr(solve, key, value)
    solve.status = to.value


# --------------------------------------------------------------------------- the moves, by name


def take(solve_id: str, *, resume: bool = False) -> bool:
    """queued -> running for the job that runs it; False when it was cancelled or taken already.
    `resume`: a retried job, whose first attempt may have left the row running."""
    try:
        move(solve_id, RUNNING, only_from=ACTIVE_SOLVE_STATES if resume else (QUEUED,))
    except SolveTransitionError:
        return False
    return True


def hand_back(solve_id: str) -> None:
    """running -> queued: a lost connection, the job will run again."""
    move(solve_id, QUEUED, only_from=(RUNNING,))


def cancel_queued(solve_id: str) -> bool:
    """queued -> cancelled (nothing ran); False when it is no longer queued (ask it to stop instead)."""
    try:
        move(solve_id, CANCELLED, only_from=(QUEUED,), cancel_requested=True)
    except SolveTransitionError:
        return False
    return True


def ask_to_stop(solve_id: str) -> bool:
    """Set the cancel flag of a running solve (it stops and ends `cancelled` with its best plan);
    False when it is not running."""
    return bool(
        db.session.execute(
            sa.update(Solve).where(Solve.id == solve_id, Solve.status == RUNNING.value).values(cancel_requested=True)
        ).rowcount
    )


def end(solve: Solve, version, plan: dict, *, elapsed_s: float | None = None) -> None:
    """A solve's job is done: finished with the version it stored (None: it stored none), or
    cancelled when it was asked to stop."""
    set_status(
        solve,
        CANCELLED if solve.cancel_requested else FINISHED,
        plan_version_id=version.id if version else None,
        objective=plan.get("objective"),
        bound=plan.get("bound"),
        **({"elapsed_s": elapsed_s} if elapsed_s is not None else {}),
    )


def fail(solve_id: str, error: str) -> bool:
    """An active solve failed (its job raised, timed out or died, or it could not be queued);
    False when it had ended already."""
    try:
        move(solve_id, FAILED, error=error)
    except SolveTransitionError:
        return False
    return True
