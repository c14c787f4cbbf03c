"""Redis connection and named RQ queues, one connection per process."""

from __future__ import annotations

from functools import cache

from flask import current_app
from redis import Redis
from rq import Queue


@cache
def _redis(url: str) -> Redis:
    return Redis.from_url(url, socket_connect_timeout=1, socket_timeout=5)


def get_redis() -> Redis:
    return _redis(current_app.config["REDIS_URL"])


def get_queue(name: str) -> Queue:
    return Queue(name, connection=get_redis())
