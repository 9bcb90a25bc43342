"""A broker outage for this process's publishers; the running test worker keeps its own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from config.celery import app as celery_app

# Answers nothing: connections are refused at once.
DEAD_BROKER = "redis://127.0.0.1:9/0"


@contextmanager
def broker_down() -> Iterator[None]:
    conf = celery_app.conf
    saved = (
        conf.broker_url,
        conf.broker_write_url,
        conf.broker_transport,
        celery_app._pool,
        celery_app.amqp._producer_pool,
    )
    conf.broker_url = conf.broker_write_url = DEAD_BROKER
    # The embedded broker names its transport explicitly, which would win over the URL.
    conf.broker_transport = None
    # Publishing reuses pooled connections; Celery drops them the same way after a fork.
    celery_app._pool = celery_app.amqp._producer_pool = None
    try:
        yield
    finally:
        (
            conf.broker_url,
            conf.broker_write_url,
            conf.broker_transport,
            celery_app._pool,
            celery_app.amqp._producer_pool,
        ) = saved
