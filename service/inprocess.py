"""Solves in the web process (no `REDIS_URL`): at most a few at once, the rest wait their turn.

Each solve keeps CP-SAT's `SOLVER_WORKERS` threads busy; a process that started one thread per
cycle asked would run them all at once and starve itself (and its requests). A runner keeps
`SOLVE_INPROCESS_CONCURRENCY` daemon threads that take jobs in the order they came; a job beyond
those waits in the queue (its solve row stays `queued`), it is never refused.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Runner:
    """`size` daemon threads taking jobs first come, first served."""

    def __init__(self, size: int, name: str = "solve"):
        if size < 1:
            raise ValueError("an in-process runner needs at least one thread")
        self.size, self.name = size, name
        self.jobs: queue.Queue[Callable[[], None]] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            # Threads start with the first job: a process that never solves keeps none.
            while len(self._threads) < self.size:
                thread = threading.Thread(
                    target=self._work, name=f"{self.name}-runner-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        self.jobs.put(job)

    def _work(self) -> None:
        while True:
            job = self.jobs.get()
            try:
                job()
            except Exception:  # a job's own failure is its own: the runner goes on
                log.exception("in-process job failed")
            finally:
                self.jobs.task_done()


_RUNNERS: dict[int, Runner] = {}
_RUNNERS_LOCK = threading.Lock()


def runner(size: int) -> Runner:
    """The process's runner of `size` threads (one per size: the tests build apps of several)."""
    with _RUNNERS_LOCK:
        if size not in _RUNNERS:
            _RUNNERS[size] = Runner(size)
        return _RUNNERS[size]
