"""Webhook delivery throughput to a loopback receiver, the signing cost, and the sweep query.

Run standalone or through `make bench`. Deliveries go through the service the worker
runs (`delivery_attempt`: claim, sign, one POST on a new connection, record): one at a
time to a receiver that answers at once (the cost of a delivery), then from 8 threads
(a threads-pool worker with concurrency 8) to a receiver that takes 100 ms (how well
waiting deliveries overlap). The database is a throw-away test database of the configured kind
(SQLite by default, PostgreSQL with DATABASE_URL). The process is kept to two cores.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
from harness import pin_to_two_cores, report, test_database  # a sibling module

# The receiver is on loopback.
os.environ["WEBHOOKS_ALLOW_PRIVATE_TARGETS"] = "true"

SEQUENTIAL_TARGET = 100  # deliveries per second, one worker slot, instant receiver
# Waiting receivers overlap: 8 threads against a 100 ms receiver reach most of 80/s.
THREADS = 8
SLOW_RECEIVER_SECONDS = 0.1
THREADED_TARGET = 60
SIGNING_TARGET_US = 50  # both signatures of a 4 KB body
SWEEP_TARGET_MS = 50  # the sweep's query: 500 due among 20,000 pending


def serve_receiver(port_out, stop, delay: float) -> None:
    from tests.fakes.webhook_receiver import WebhookReceiver, answer

    with WebhookReceiver() as receiver:
        receiver.script(answer(200, delay=delay))
        port_out.send(receiver.port)
        stop.wait()


@contextmanager
def receiver_process(*, delay: float = 0.0) -> Iterator[str]:
    """A loopback receiver answering 200 after `delay` s, in its own process (its own GIL)."""
    context = multiprocessing.get_context("spawn")
    port_in, port_out = context.Pipe(duplex=False)
    stop = context.Event()
    process = context.Process(target=serve_receiver, args=(port_out, stop, delay), daemon=True)
    process.start()
    try:
        yield f"http://127.0.0.1:{port_in.recv()}/hook"
    finally:
        stop.set()
        process.join(timeout=10)


def payload() -> dict:
    """A success payload of the size ImageKit sends: a file object with tags (about 4 KB)."""
    return {
        "service": "google-auto-tagging",
        "status": "SUCCESS",
        "fileObject": {
            "fileId": "0123456789abcdef01234567",
            "name": "beach.jpg",
            "filePath": "/holidays/2026/beach.jpg",
            "url": "https://media.example.com/holidays/2026/beach.jpg",
            "AITags": [
                {"name": f"Label {index}", "confidence": 90.5, "source": "google-auto-tagging"}
                for index in range(40)
            ],
            "customMetadata": {"camera": "X100V", "notes": "é" * 200},
        },
    }


def pending_deliveries(url: str, count: int) -> list[int]:
    from webhooks.models import WebhookDelivery
    from webhooks.schedule import DeliverySchedule

    now = DeliverySchedule.now()
    rows = [
        WebhookDelivery(url=url, event="extension.success", payload=payload(), next_attempt_at=now)
        for _ in range(count)
    ]
    return [row.pk for row in WebhookDelivery.objects.bulk_create(rows)]


def deliveries_per_second(url: str, count: int, threads: int) -> float:
    from django.db import close_old_connections

    from webhooks.models import WebhookDelivery
    from webhooks.services import delivery_attempt

    ids = pending_deliveries(url, count)

    def attempt(delivery_id: int) -> None:
        delivery_attempt(delivery_id=delivery_id)
        close_old_connections()

    started = time.perf_counter()
    if threads == 1:
        for delivery_id in ids:
            delivery_attempt(delivery_id=delivery_id)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(attempt, ids))
    elapsed = time.perf_counter() - started
    delivered = WebhookDelivery.objects.filter(pk__in=ids, status="delivered").count()
    if delivered != count:
        raise SystemExit(f"only {delivered} of {count} deliveries were delivered")
    return count / elapsed


def signing_microseconds(runs: int) -> float:
    import json

    from webhooks.signing import signature_headers

    body = json.dumps(payload(), separators=(",", ":"), ensure_ascii=False)
    secret = "whsec_" + "k" * 43
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        signature_headers(secret=secret, message_id="msg_0123", sent_at=time.time(), body=body)
        timings.append((time.perf_counter() - started) * 1e6)
    return statistics.median(timings)


def sweep_query_ms(runs: int) -> float:
    from django.db import connection

    from webhooks import selectors
    from webhooks.models import WebhookDelivery
    from webhooks.schedule import DeliverySchedule

    now = DeliverySchedule.now()
    WebhookDelivery.objects.all().delete()
    # 500 due, the rest later; as many already delivered as pending.
    rows = [
        WebhookDelivery(
            url="https://hooks.example.com/",
            event="extension.success",
            payload={},
            next_attempt_at=now + timedelta(seconds=-index if index < 500 else 3600),
        )
        for index in range(20_000)
    ] + [
        WebhookDelivery(url="https://hooks.example.com/", event="x", payload={}, status="delivered")
        for _ in range(20_000)
    ]
    WebhookDelivery.objects.bulk_create(rows, batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE webhooks_webhookdelivery")
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        due = selectors.due_delivery_ids(now=now, dispatched_before=now, limit=500)
        timings.append((time.perf_counter() - started) * 1000)
    assert len(due) == 500
    return statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=500, help="deliveries per figure")
    args = parser.parse_args()

    pin_to_two_cores()

    with test_database():
        from webhooks.services import webhook_secret_current

        webhook_secret_current()
        with receiver_process() as url:
            deliveries_per_second(url, 20, 1)  # warm up
            results = [
                report(
                    "deliveries per second, one at a time, receiver answering at once",
                    deliveries_per_second(url, args.deliveries, 1),
                    "/s",
                    SEQUENTIAL_TARGET,
                    higher_is_better=True,
                )
            ]
        best = THREADS / SLOW_RECEIVER_SECONDS
        with receiver_process(delay=SLOW_RECEIVER_SECONDS) as url:
            results.append(
                report(
                    f"deliveries per second, {THREADS} threads, receiver answering in "
                    f"{SLOW_RECEIVER_SECONDS * 1000:g} ms (at best {best:g})",
                    deliveries_per_second(url, args.deliveries // 2, THREADS),
                    "/s",
                    THREADED_TARGET,
                    higher_is_better=True,
                )
            )
        results += [
            report(
                "signing (webhook-signature and x-ik-signature), 4 KB body, median",
                signing_microseconds(2000),
                "µs",
                SIGNING_TARGET_US,
                higher_is_better=False,
            ),
            report(
                "sweep query, 500 due among 20,000 pending, median",
                sweep_query_ms(20),
                "ms",
                SWEEP_TARGET_MS,
                higher_is_better=False,
            ),
        ]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
