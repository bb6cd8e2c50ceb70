"""Gunicorn settings of the web role (`gunicorn -c python:service.gunicorn_conf 'service:create_app()'`).

JSON log lines like the app's, and Prometheus' multiprocess mode: each gunicorn worker
process keeps its own counters, so /metrics adds up the files they all write.
"""

import os
import shutil

from prometheus_client import multiprocess

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# Threads rather than gunicorn's sync worker, which closes every connection after one answer and
# sits idle while PostgreSQL answers: on 2 cores the headteachers' reads go several times faster
# (bench/read_bench.py measures both).
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 120
accesslog = "-"

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "service.logs.JsonFormatter"}},
    # Sign-in links and calendar-feed URLs carry their secret in the path: cut from every line.
    "filters": {"redact": {"()": "service.logs.RedactSecrets"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["redact"],
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"handlers": ["stderr"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}


def on_starting(server):
    # Counters of a previous run's processes must not be added to this run's.
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
