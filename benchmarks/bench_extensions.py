"""Extension runs: the sync path in the request, throughput on a real worker, the sweep query.

Run standalone or through `make bench`. The providers are the wire-level fakes of the
tests on loopback (Google Cloud Vision over REST, Rekognition over JSON 1.1), so the
figures measure this product (claims, units, tags, webhooks outbox, broker round trips,
client set-up), not a cloud. The worker is a real Celery worker (threads pool, 8 slots)
in this process, on the configured broker (the filesystem one by default, Redis with
CELERY_BROKER_URL); the database is a throw-away test database of the configured kind.
The process is kept to two cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
from harness import pin_to_two_cores, report, test_database  # a sibling module

SYNC_TARGET_MS = 150  # create + start one sync google-auto-tagging run, median
# One threads-pool worker process on two cores; more comes from more worker processes.
THROUGHPUT_TARGET = 25  # async runs queued and completed per second
SWEEP_TARGET_MS = 50  # the sweep's query: 500 overdue among 20,000 pending
WORKER_SLOTS = 8


def make_assets(count: int) -> list:
    from tests.factories import AssetFactory

    return [AssetFactory() for _ in range(count)]


def sync_run_ms(assets: list) -> float:
    """Median time the request spends creating and running one sync tagging run."""
    from django.db import transaction

    from extensions.services import (
        clean_extensions,
        extension_runs_create,
        extension_runs_start,
    )

    requests = clean_extensions(
        [{"name": "google-auto-tagging", "minConfidence": 50, "maxTags": 10}]
    )
    timings = []
    for asset in assets:
        started = time.perf_counter()
        with transaction.atomic():
            runs = extension_runs_create(
                asset=asset, version=asset.current_version, requests=requests
            )
        extension_runs_start(runs=runs)
        timings.append((time.perf_counter() - started) * 1000)
        if runs[0].status != "success":
            raise SystemExit(f"sync run ended {runs[0].status}: {runs[0].error_message}")
    return statistics.median(timings)


def async_runs_per_second(assets: list, name: str) -> float:
    """Runs queued at once (as an admin action does) and completed by the worker."""
    from extensions.models import ExtensionRun
    from extensions.services import extensions_request

    started = time.perf_counter()
    runs = extensions_request(
        assets=assets, requests=[{"name": name, "minConfidence": 50, "maxTags": 10}]
    )
    ids = [run.pk for run in runs]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        pending = ExtensionRun.objects.filter(pk__in=ids, status="pending").count()
        if not pending:
            break
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    succeeded = ExtensionRun.objects.filter(pk__in=ids, status="success").count()
    if succeeded != len(ids):
        raise SystemExit(f"only {succeeded} of {len(ids)} {name} runs succeeded")
    return len(ids) / elapsed


def sweep_query_ms(asset, runs: int) -> float:
    from django.db import connection
    from django.utils import timezone

    from extensions.models import ExtensionRun

    now = timezone.now()
    ExtensionRun.objects.all().delete()
    rows = [
        ExtensionRun(
            asset=asset,
            name="google-auto-tagging",
            backend="google-cloud-vision",
            next_attempt_at=now + timedelta(seconds=-3600 - index if index < 500 else 60),
        )
        for index in range(20_000)
    ] + [
        ExtensionRun(
            asset=asset, name="aws-auto-tagging", backend="aws-rekognition", status="success"
        )
        for _ in range(20_000)
    ]
    ExtensionRun.objects.bulk_create(rows, batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE extensions_extensionrun")
    from extensions.selectors import runs_overdue

    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        found = list(runs_overdue(now=timezone.now()).values_list("pk", flat=True))
        timings.append((time.perf_counter() - started) * 1000)
    assert len(found) == 500, len(found)
    return statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="async runs per figure")
    args = parser.parse_args()

    pin_to_two_cores()

    import logging

    with test_database():
        logging.disable(logging.INFO)
        return measure(runs=args.runs)


def measure(*, runs: int) -> int:
    from celery.contrib.testing.worker import start_worker
    from django.conf import settings

    from config.celery import app
    from tests.fakes.rekognition import FakeRekognition
    from tests.fakes.vision import FakeVision

    vision, rekognition = FakeVision().start(), FakeRekognition().start()
    settings.GOOGLE_VISION_API_ENDPOINT = vision.url
    settings.GOOGLE_VISION_API_KEY = "bench-key"
    settings.AWS_REKOGNITION_ENDPOINT_URL = rekognition.url
    settings.AWS_REKOGNITION_ACCESS_KEY_ID = "AKIABENCH"
    settings.AWS_REKOGNITION_SECRET_ACCESS_KEY = "bench-secret"  # noqa: S105 (a fake's)
    settings.EXTENSIONS_INITIAL_UNITS = 10_000_000
    try:
        assets = make_assets(runs)
        sync_run_ms(assets[:5])  # warm up: imports, first clients
        results = [
            report(
                "sync google-auto-tagging run in the request (create + start), median",
                sync_run_ms(assets[:50]),
                "ms",
                SYNC_TARGET_MS,
                higher_is_better=False,
            )
        ]
        with start_worker(
            app,
            pool="threads",
            concurrency=WORKER_SLOTS,
            queues=settings.CELERY_QUEUES_ALL,
            perform_ping_check=False,
            shutdown_timeout=30,
            loglevel="WARNING",
        ):
            async_runs_per_second(assets[:10], "aws-auto-tagging")  # warm up
            for name in ("aws-auto-tagging", "google-auto-tagging"):
                results.append(
                    report(
                        f"{name} runs queued and completed per second, "
                        f"{runs} runs, worker with {WORKER_SLOTS} threads",
                        async_runs_per_second(assets, name),
                        "/s",
                        THROUGHPUT_TARGET,
                        higher_is_better=True,
                    )
                )
        results.append(
            report(
                "sweep query, 500 overdue among 20,000 pending, median",
                sweep_query_ms(assets[0], 20),
                "ms",
                SWEEP_TARGET_MS,
                higher_is_better=False,
            )
        )
    finally:
        vision.stop()
        rekognition.stop()
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
