"""Prometheus metrics at `/metrics`, for the scraper holding `METRICS_TOKEN` (404 without one set).

Request latency is measured in the web process. Job durations, solver gaps and
queue lengths are read at scrape time from the database and Redis, which every
worker shares: a metric kept in a worker's memory would die with the forked work
horse that ran the job and would count one replica out of many.
"""

from __future__ import annotations

import hmac
import logging
import os
import time

import sqlalchemy as sa
from flask import Response, current_app, g, request
from flask_smorest import abort
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue

from .extensions import db
from .models import ENDED_SOLVE_STATES, Solve, SolveStatus

log = logging.getLogger(__name__)

DURATION_BUCKETS = (1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


def register(app) -> None:
    registry = CollectorRegistry()
    latency = Histogram(
        "http_request_duration_seconds",
        "Time to answer an HTTP request",
        ["method", "endpoint", "status"],
        registry=registry,
    )
    shared = _SharedState(app)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Under gunicorn each process counts its own requests into files; a scrape, answered
        # by any one process, adds them all up (service/gunicorn_conf.py clears them at start).
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    registry.register(shared)

    @app.before_request
    def _start_timer():
        g._metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response):
        started = g.pop("_metrics_started", None)
        if started is not None:
            # The route's rule, not the path: one series per endpoint, not per cycle id.
            rule = request.url_rule.rule if request.url_rule else "unmatched"
            latency.labels(request.method, rule, str(response.status_code)).observe(time.perf_counter() - started)
        return response

    @app.get("/metrics")
    def metrics():
        _require_scraper()
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _require_scraper() -> None:
    """/metrics lists solves of every LA: only for the scraper that shows METRICS_TOKEN as its
    bearer token. No token configured: there is no /metrics on this port (404)."""
    expected = current_app.config.get("METRICS_TOKEN")
    if not expected:
        abort(404)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        abort(
            401, message="the metrics need their bearer token", headers={"WWW-Authenticate": 'Bearer realm="metrics"'}
        )


class _SharedState:
    """Collects, at each scrape, what all the workers wrote to the database and Redis."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        with self.app.app_context():
            try:
                yield from self._solves()
            finally:
                db.session.remove()
            yield from self._queues()

    def _solves(self):
        ended = sa.and_(Solve.status.in_(ENDED_SOLVE_STATES), Solve.elapsed_s.is_not(None))
        hist = HistogramMetricFamily(
            "solve_job_duration_seconds", "Wall time of ended solve jobs (all workers), by kind", labels=["kind"]
        )
        columns = [sa.func.sum(sa.case((Solve.elapsed_s <= b, 1), else_=0)) for b in DURATION_BUCKETS]
        rows = db.session.execute(
            sa.select(Solve.kind, sa.func.count(), sa.func.coalesce(sa.func.sum(Solve.elapsed_s), 0.0), *columns)
            .where(ended)
            .group_by(Solve.kind)
        ).all()
        for kind, count, total, *cumulative in rows:
            buckets = [(str(float(b)), int(c or 0)) for b, c in zip(DURATION_BUCKETS, cumulative)]
            hist.add_metric([kind], buckets + [("+Inf", int(count))], float(total))
        yield hist

        states = GaugeMetricFamily("solves", "Solves by state", labels=["status"])
        for status, count in db.session.execute(sa.select(Solve.status, sa.func.count()).group_by(Solve.status)).all():
            states.add_metric([status], count)
        yield states

        # Relative gap (objective - bound) / objective: of each running solve now, and of the
        # last solve that ended, so a dashboard sees both live progress and the usual result.
        gap = GaugeMetricFamily("solver_gap_ratio", "Relative optimality gap", labels=["solve", "status"])
        running = db.session.execute(
            sa.select(Solve.id, Solve.objective, Solve.bound).where(Solve.status == SolveStatus.RUNNING)
        ).all()
        last = db.session.execute(
            sa.select(Solve.id, Solve.objective, Solve.bound)
            .where(Solve.status == SolveStatus.FINISHED)
            .order_by(Solve.finished_at.desc())
            .limit(1)
        ).all()
        for (sid, objective, bound), status in [(r, SolveStatus.RUNNING.value) for r in running] + [
            (r, SolveStatus.FINISHED.value) for r in last
        ]:
            if objective is not None and bound is not None:
                gap.add_metric([sid, status], max(0.0, objective - bound) / max(abs(objective), 1e-9))
        yield gap

    def _queues(self):
        url = self.app.config.get("REDIS_URL")
        if not url:
            return
        length = GaugeMetricFamily("rq_queue_jobs", "Jobs waiting in an RQ queue", labels=["queue"])
        started = GaugeMetricFamily("rq_started_jobs", "Jobs running from an RQ queue", labels=["queue"])
        try:
            # No retries: a scrape must answer within its timeout even with Redis down.
            connection = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, retry=Retry(NoBackoff(), 0))
            for name in (self.app.config["SOLVE_QUEUE"], self.app.config["NIGHTLY_QUEUE"]):
                queue = Queue(name, connection=connection)
                length.add_metric([name], queue.count)
                started.add_metric([name], queue.started_job_registry.count)
        except Exception:  # Redis down: /readyz says so; the scrape still answers
            log.warning("metrics: could not read the queues", exc_info=True)
            return
        yield length
        yield started
