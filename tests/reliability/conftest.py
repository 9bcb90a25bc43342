"""Fixtures of the reliability suite: real processes on PostgreSQL and Redis.

Skipped unless DATABASE_URL is PostgreSQL. The processes use the test database (tests
use `transactional_db`, so what they write is committed and seen by the processes), the
configured broker under a key prefix of their own (so the in-process test worker of the
rest of the suite never takes their tasks), short leases and sweep intervals, and the
providers faked on loopback.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.stack import REPORT, Stack

IS_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
BROKER = os.environ.get("CELERY_BROKER_URL", "")


def pytest_collection_modifyitems(config, items) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.reliability)
            item.add_marker(pytest.mark.slow)
            if not IS_POSTGRES:
                item.add_marker(
                    pytest.mark.skip(reason="the reliability suite needs DATABASE_URL=postgres://")
                )


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not (REPORT.requests or REPORT.faults or REPORT.inputs):
        return
    terminalreporter.section("reliability summary")
    for line in REPORT.lines():
        terminalreporter.write_line(line)


@pytest.fixture
def stack_env(transactional_db, tmp_path: Path) -> dict[str, str]:
    """The environment of the processes: this test database, short timings."""
    from django.db import connection

    url = database_url(connection.settings_dict)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "DJANGO_", "COV_")) and key != "VAR_DIR"
    }
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY="reliability-suite-secret-key-not-for-production",
        MEDIALIB_API_KEY_SECRET=os.environ.get("MEDIALIB_API_KEY_SECRET", "")
        or _test_api_key_secret(),
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        CELERY_BROKER_URL=BROKER or "redis://127.0.0.1:6379/0",
        CELERY_REDIS_KEYPREFIX=f"rel-{uuid.uuid4().hex[:8]}:",
        WEBHOOKS_ALLOW_PRIVATE_TARGETS="true",
        EXTENSIONS_LEASE_SECONDS="3",
        EXTENSIONS_HEARTBEAT_SECONDS="1",
        EXTENSIONS_SWEEP_INTERVAL="2",
        EXTENSIONS_SWEEP_AFTER="5",
        WEBHOOKS_SWEEP_INTERVAL="1",
        LOG_LEVEL="INFO",
        DATABASE_CONN_MAX_AGE="60",
        EXTENSIONS_INITIAL_UNITS="10000000",
    )
    return env


def database_url(db: dict, port: int | None = None) -> str:
    """The test database as a DATABASE_URL, optionally through another port (a proxy)."""
    host = db["HOST"] or "127.0.0.1"
    password = db.get("PASSWORD") or ""
    return f"postgres://{db['USER']}:{password}@{host}:{port or db['PORT'] or 5432}/{db['NAME']}"


def _test_api_key_secret() -> str:
    from django.conf import settings

    return settings.MEDIALIB_API_KEY_SECRET


@pytest.fixture
def stack(stack_env: dict[str, str], tmp_path: Path) -> Iterator[Stack]:
    running = Stack(stack_env, tmp_path)
    yield running
    running.stop()
    # Shown by pytest only when the test failed: the end of each process's log.
    for process in running.processes:
        lines = process.log.read_text(errors="replace").splitlines()[-40:]
        print(f"----- {process.name} -----", *lines, sep="\n")
