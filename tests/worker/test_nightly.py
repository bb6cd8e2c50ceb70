"""Nightly re-optimisation: a proposed version with causes, auto-publish, idempotence, DST."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import sqlalchemy as sa
from worker_helpers import la_scenario

LONDON_2AM_WINTER = "2026-11-23T02:10:00+00:00"  # GMT: 02:10 in London


def _publish_solved(admin, scenario) -> int:
    from worker_helpers import wait_solve

    cycle_id = admin.post("/api/v1/cycles", json=scenario).json["id"]
    solve_id = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 5}).json["id"]
    assert wait_solve(admin, solve_id, timeout=30)["status"] == "finished"
    assert admin.post(f"/api/v1/cycles/{cycle_id}/plan/publish", json={"version": 1}).status_code == 200
    return cycle_id


def _fall_ill(app, cycle_id) -> tuple[str, str, str]:
    """The lead of the first published visit is off sick on the day of it."""
    from service.extensions import db
    from service.models import Cycle, Reviewer

    with app.app_context():
        cycle = db.session.get(Cycle, cycle_id)
        visit = cycle.published_version.plan["reviews"][0]
        rid = visit["team"][0]["reviewer"]
        reviewer = db.session.scalar(sa.select(Reviewer).where(Reviewer.la_id == cycle.la_id, Reviewer.ext_id == rid))
        reviewer.unavailable = sorted(set(reviewer.unavailable or []) | {visit["date"]})
        db.session.commit()
        db.session.remove()
    return visit["school_urn"], rid, visit["date"]


def _nightly_done(app, timeout=60.0):
    from service.extensions import db
    from service.models import ACTIVE_SOLVE_STATES, Solve

    deadline = time.monotonic() + timeout
    with app.app_context():
        while db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Solve)
            .where(Solve.kind == "nightly", Solve.status.in_(ACTIVE_SOLVE_STATES))
        ):
            assert time.monotonic() < deadline
            db.session.rollback()
            time.sleep(0.1)
        solves = db.session.scalars(sa.select(Solve).where(Solve.kind == "nightly")).all()
        out = [(s.id, s.status, s.error, s.plan_version.number if s.plan_version else None) for s in solves]
        db.session.remove()
    return out


def test_nightly_proposes_a_version_whose_every_change_has_a_cause_and_twice_changes_nothing(app, admin, workers):
    from worker.nightly import reoptimise_live_cycles

    workers()
    cycle_id = _publish_solved(admin, la_scenario(20, seed=4))
    urn, rid, date = _fall_ill(app, cycle_id)

    first = reoptimise_live_cycles(now=LONDON_2AM_WINTER)
    assert first["acted"] and first["queued"] == [cycle_id] and first["night"] == "2026-11-23"
    [(solve_id, status, error, number)] = _nightly_done(app)
    assert (solve_id, status, error, number) == (f"nightly-{cycle_id}-2026-11-23", "finished", None, 2)

    versions = admin.get(f"/api/v1/cycles/{cycle_id}/plan/versions").json
    assert [(v["number"], v["source"], v["published"]) for v in versions] == [(1, "solve", True), (2, "nightly", False)]
    assert versions[1]["proposed"] is True
    diff = versions[1]["diff"]
    assert diff["total"] >= 1
    assert all(change["causes"] for change in diff["changes"] + diff["support_changes"])
    [ill] = [c for c in diff["changes"] if c["school_urn"] == urn]
    assert any(rid in cause and "unavailable" in cause for cause in ill["causes"]), ill
    proposed = admin.get(f"/api/v1/cycles/{cycle_id}/plan?version=2").json
    assert all(not (v["date"] == date and rid in [m["reviewer"] for m in v["team"]]) for v in proposed["reviews"])

    # The scheduler fires again (a second scheduler, a retry by hand): nothing more happens.
    second = reoptimise_live_cycles(now="2026-11-23T02:40:00+00:00")
    assert second["queued"] == [] and cycle_id in second["skipped"]
    assert len(_nightly_done(app)) == 1
    assert len(admin.get(f"/api/v1/cycles/{cycle_id}/plan/versions").json) == 2


def test_nightly_publishes_by_itself_only_when_allowed_and_under_the_threshold(app, admin, workers):
    from worker.nightly import reoptimise_live_cycles

    workers()
    allowed = _publish_solved(admin, la_scenario(20, seed=4))
    too_many = _publish_solved(admin, la_scenario(21, seed=5))
    assert (
        admin.patch(
            f"/api/v1/cycles/{allowed}", json={"auto_publish": True, "auto_publish_max_changes": 50}
        ).status_code
        == 200
    )
    assert (
        admin.patch(
            f"/api/v1/cycles/{too_many}", json={"auto_publish": True, "auto_publish_max_changes": 0}
        ).status_code
        == 200
    )
    _fall_ill(app, allowed)
    _fall_ill(app, too_many)
    assert sorted(reoptimise_live_cycles(now=LONDON_2AM_WINTER)["queued"]) == sorted([allowed, too_many])
    _nightly_done(app)
    published = {
        cid: [v["number"] for v in admin.get(f"/api/v1/cycles/{cid}/plan/versions").json if v["published"]]
        for cid in (allowed, too_many)
    }
    assert published == {allowed: [2], too_many: [1]}
    # The night's publication goes through the same publication as an officer's: on the record, by "system".
    [event] = admin.get(f"/api/v1/audit?action=plan.published&cycle_id={allowed}").json[:1]
    assert (event["actor"], event["details"]["version"], event["details"]["previous"]) == ("system", 2, 1)


def test_an_unchanged_cycle_gets_no_new_version(app, admin, workers):
    from worker.nightly import reoptimise_live_cycles

    workers()
    cycle_id = _publish_solved(admin, la_scenario(20, seed=4))
    reoptimise_live_cycles(now=LONDON_2AM_WINTER)
    [(_, status, _, number)] = _nightly_done(app)
    assert (status, number) == ("finished", None)
    assert len(admin.get(f"/api/v1/cycles/{cycle_id}/plan/versions").json) == 1


def test_outside_the_hour_or_for_cycles_not_live_nothing_is_queued(app, admin):
    from service.extensions import db
    from service.models import Cycle
    from worker.nightly import reoptimise_live_cycles

    assert reoptimise_live_cycles(now="2026-11-23T01:10:00+00:00")["acted"] is False  # 01:10 GMT
    unpublished = admin.post("/api/v1/cycles", json=la_scenario(20, seed=4)).json["id"]
    assert reoptimise_live_cycles(now=LONDON_2AM_WINTER)["queued"] == []
    with app.app_context():
        cycle = db.session.get(Cycle, unpublished)
        assert cycle.window_end > dt.date(2026, 11, 23)
        db.session.remove()


def test_night_scenario_freezes_the_notice_period(app, admin):
    from service import nightly
    from service.extensions import db
    from service.models import Cycle

    cycle_id = admin.post("/api/v1/cycles", json=la_scenario(20, seed=4)).json["id"]
    admin.patch(f"/api/v1/cycles/{cycle_id}", json={"notice_days": 10})
    with app.app_context():
        cycle = db.session.get(Cycle, cycle_id)
        scenario = nightly.night_scenario(cycle, dt.date(2027, 9, 1))
        assert scenario["cycle"]["freeze_before"] == "2027-09-11"
        db.session.remove()


# --------------------------------------------------------------------------- daylight saving


def _firings(day: dt.date) -> list[dt.datetime]:
    """When `worker.cron`'s schedule fires on `day`, in UTC (rq's reading of a cron string)."""
    from croniter import croniter

    from worker.cron import SCHEDULE

    start = dt.datetime.combine(day, dt.time(0), dt.UTC) - dt.timedelta(seconds=1)
    it, out = croniter(SCHEDULE, start), []
    while (t := it.get_next(dt.datetime)).date() == day:
        out.append(t)
    return out


@pytest.mark.parametrize(
    "day",
    [
        dt.date(2026, 3, 28),
        dt.date(2026, 3, 29),
        dt.date(2026, 3, 30),  # clocks go forward on the 29th
        dt.date(2026, 10, 24),
        dt.date(2026, 10, 25),
        dt.date(2026, 10, 26),  # and back on the 25th
        dt.date(2027, 3, 28),
        dt.date(2027, 10, 31),
        dt.date(2026, 7, 1),
        dt.date(2026, 12, 31),
    ],
)
def test_exactly_one_firing_a_day_acts_and_it_is_2am_in_london(day):
    from zoneinfo import ZoneInfo

    from service.nightly import is_run_hour, night_of

    acting = [t for t in _firings(day) if is_run_hour(t)]
    assert len(acting) == 1, (day, _firings(day))
    local = acting[0].astimezone(ZoneInfo("Europe/London"))
    assert (local.hour, local.minute) == (2, 0)
    assert night_of(acting[0]) == day


def test_the_run_hour_across_both_changes_of_the_clocks():
    from service.nightly import is_run_hour

    utc = dt.UTC
    # Last Sunday of March 2026: 01:00 UTC is 02:00 BST (the first instant of BST).
    assert is_run_hour(dt.datetime(2026, 3, 29, 1, 0, tzinfo=utc))
    assert not is_run_hour(dt.datetime(2026, 3, 29, 2, 0, tzinfo=utc))  # 03:00 BST
    assert not is_run_hour(dt.datetime(2026, 3, 29, 0, 59, tzinfo=utc))  # 00:59 GMT
    # Last Sunday of October 2026: 01:00 UTC is the second 01:00 (GMT); 02:00 UTC is 02:00 GMT.
    assert not is_run_hour(dt.datetime(2026, 10, 25, 0, 30, tzinfo=utc))  # first 01:30 (BST)
    assert not is_run_hour(dt.datetime(2026, 10, 25, 1, 30, tzinfo=utc))  # second 01:30 (GMT)
    assert is_run_hour(dt.datetime(2026, 10, 25, 2, 0, tzinfo=utc))
    assert not is_run_hour(dt.datetime(2026, 10, 24, 2, 0, tzinfo=utc))  # 03:00 BST the day before


def test_rq_cron_loads_the_schedule_from_the_module_path(redis_url):
    from redis import Redis
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=Redis.from_url(redis_url))
    scheduler.load_config_from_file("worker.cron")
    [job] = scheduler.get_jobs()
    assert job.func_name == "worker.nightly.reoptimise_live_cycles"
    assert job.cron == "0 1,2 * * *"
    assert job.next_enqueue_time is not None


def test_an_undecided_proposal_is_not_proposed_again_the_next_night(app, admin, workers):
    from worker.nightly import reoptimise_live_cycles

    workers()
    cycle_id = _publish_solved(admin, la_scenario(20, seed=4))
    _fall_ill(app, cycle_id)
    reoptimise_live_cycles(now=LONDON_2AM_WINTER)
    _nightly_done(app)
    assert reoptimise_live_cycles(now="2026-11-24T02:10:00+00:00")["queued"] == [cycle_id]  # undecided
    solves = sorted(_nightly_done(app))
    assert [(s[0], s[1], s[3]) for s in solves] == [
        (f"nightly-{cycle_id}-2026-11-23", "finished", 2),
        (f"nightly-{cycle_id}-2026-11-24", "finished", 2),
    ]
    assert [v["number"] for v in admin.get(f"/api/v1/cycles/{cycle_id}/plan/versions").json] == [1, 2]
