from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from config.celery import app as celery_app


@pytest.fixture(scope="session")
def _celery_session_worker(django_db_setup, django_db_blocker) -> Iterator[object]:
    """One real Celery worker for the session, on the configured broker.

    It runs in a thread of the test process and consumes every queue, so tasks
    go through the broker and the result backend for real. Tests reach it
    through the `celery_worker` fixture, which gives them a committed database.
    """
    celery_app.loader.import_module("celery.contrib.testing.tasks")
    with django_db_blocker.unblock(), start_worker(
        celery_app,
        pool="threads",
        concurrency=4,
        queues=settings.CELERY_QUEUES_ALL,
        perform_ping_check=True,
        shutdown_timeout=30,
        loglevel="WARNING",
    ) as worker:
        yield worker


@pytest.fixture
def celery_worker(transactional_db, _celery_session_worker) -> object:
    return _celery_session_worker
