"""gunicorn settings: `make serve`, production (`gunicorn -c gunicorn.conf.py wsgi:app`), the bench.

Every value can be changed from the environment without editing this file.
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
# sync workers: one request each; 2 × CPUs + 1 keeps the CPUs busy while some wait on the database
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))  # a worker silent this long is restarted
graceful_timeout = 30  # on SIGTERM, requests in hand get this long to finish
keepalive = 2
# access log to stdout (ACCESS_LOG="" turns it off, as the bench does), errors to stderr
accesslog = os.environ.get("ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
