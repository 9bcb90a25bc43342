"""Figures 4, 5 and 8: work done by real Celery worker processes on loopback.

The harness process creates the work (runs, deliveries, an upload) in the run's database
and sends the tasks to the run's broker; workers started with `processes.celery_worker`
in the configuration the README recommends do it; the harness polls the database.
"""

from __future__ import annotations

import os
import socket
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from harness import Figure, ratio_figure
from processes import celery_worker, group_cpu_seconds

# The README's recommendation for I/O-bound runs: one worker process per core, their
# thread pools adding up to the concurrency wanted.
IO_PROCESSES = os.cpu_count() or 1


def wait_until(done: Callable[[], bool], timeout: float, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError(f"the workers did not finish within {timeout:.0f} s")
        time.sleep(interval)


def small_jpeg() -> bytes:
    from bench_offline_providers import photo_like

    return photo_like()


# Figure 4 -------------------------------------------------------------------------------


def figure_runs_vs_ideal(
    env: dict, var_dir: Path, slow_vision, quick: bool, processes: int = IO_PROCESSES
) -> Figure:
    """1,000 (250 with --quick) Google auto-tagging runs against a fake Vision of 200 ms,
    on the `providers-io` queue: a concurrency of 50 in all, as thread pools of
    `processes` workers (the README's recommendation: one per core)."""
    from django.db import transaction
    from django.test import override_settings

    from extensions.models import ExtensionRun
    from extensions.services import extensions_request
    from medialib.services.uploads import upload_file

    total, latency, concurrency = (250 if quick else 1000), 0.2, 50
    content = small_jpeg()
    with slow_vision(latency) as vision_url:
        vision = {"GOOGLE_VISION_API_ENDPOINT": vision_url, "GOOGLE_VISION_API_KEY": "bench-key"}
        worker_env = {**env, **vision}
        with override_settings(**vision):
            # Distinct assets, so concurrent runs do not queue on one asset's row lock.
            assets = [
                upload_file(file=content, file_name=f"run{index}.jpg").asset
                for index in range(concurrency)
            ]
            with ExitStack() as stack:
                workers = [
                    stack.enter_context(
                        celery_worker(
                            worker_env,
                            queues="providers-io",
                            pool="threads",
                            concurrency=concurrency // processes,
                            log=var_dir / f"worker-io-{index}.log",
                        )
                    )
                    for index in range(processes)
                ]
                # The runs are written first and sent at the commit: the clock times the
                # sending and the runs, not the harness writing 250-1,000 rows.
                with transaction.atomic():
                    runs = extensions_request(
                        assets=assets * (total // concurrency),
                        requests=[
                            {"name": "google-auto-tagging", "maxTags": 5, "minConfidence": 50}
                        ],
                    )
                    started = time.perf_counter()
                    cpu_before = sum(group_cpu_seconds(worker.pid) for worker in workers)
                # By their id range (written in one transaction, no other runs in this
                # database): a poll with `pk__in` 1,000 ids took 6 ms of the harness's CPU
                # and 14 ms in all, every 0.1 s, on the cores the workers use.
                these = ExtensionRun.objects.filter(
                    pk__range=(min(run.pk for run in runs), max(run.pk for run in runs))
                )
                pending = these.filter(status=ExtensionRun.Status.PENDING)
                wait_until(lambda: not pending.exists(), timeout=600, interval=0.1)
                elapsed = time.perf_counter() - started
                worker_cpu = sum(group_cpu_seconds(w.pid) for w in workers) - cpu_before
                succeeded = these.filter(status=ExtensionRun.Status.SUCCESS).count()
    ideal = total * latency / concurrency
    figure = ratio_figure(
        "runs_1000_vs_ideal",
        elapsed,
        ideal,
        "s",
        "<= 1.3",
        f"{total} runs, {succeeded} succeeded, worker CPU {worker_cpu / total * 1000:.1f} ms "
        f"per run; {processes} x -Q providers-io -P threads -c {concurrency // processes}",
    )
    if succeeded != total:
        figure.passed = False
    return figure


# Figure 5 -------------------------------------------------------------------------------


@contextmanager
def healthy_receiver() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args) -> None:
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 256
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def dead_receiver() -> Iterator[str]:
    """Accepts connections and reads them, never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(256)
    held: list[socket.socket] = []
    stopping = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stopping.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    finally:
        stopping.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


def _deliver(urls: list[str], healthy_url: str) -> float:
    """Create deliveries to `urls` (each sends its task as it is written); return the
    seconds until every delivery to `healthy_url` is delivered."""
    from webhooks.models import WebhookDelivery
    from webhooks.services import delivery_create

    started = time.perf_counter()
    deliveries = [
        delivery_create(url=url, event="bench.event", payload={"index": index})
        for index, url in enumerate(urls)
    ]
    healthy = WebhookDelivery.objects.filter(
        pk__in=[d.pk for d in deliveries if d.url == healthy_url],
    ).exclude(status=WebhookDelivery.Status.DELIVERED)
    wait_until(lambda: not healthy.exists(), timeout=900, interval=0.1)
    return time.perf_counter() - started


def figure_webhook_fanout(env: dict, var_dir: Path, quick: bool) -> Figure:
    """1,000 (400) deliveries to a healthy receiver, alone and then with one in ten more
    going to a receiver that never answers; `-Q webhooks -P threads -c 32`."""
    from django.test import override_settings

    healthy_count = 400 if quick else 1000
    worker_env = {**env, "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true"}
    with (
        override_settings(WEBHOOKS_ALLOW_PRIVATE_TARGETS=True),
        healthy_receiver() as healthy,
        dead_receiver() as dead,
        celery_worker(
            worker_env,
            queues="webhooks",
            pool="threads",
            concurrency=32,
            log=var_dir / "worker-webhooks.log",
        ),
    ):
        _deliver([healthy] * 20, healthy)  # warm the worker's threads and connections
        alone = _deliver([healthy] * healthy_count, healthy)
        mixed_urls: list[str] = []
        for index in range(healthy_count):
            if index % 10 == 0:
                mixed_urls.append(dead)
            mixed_urls.append(healthy)
        mixed = _deliver(mixed_urls, healthy)
    return ratio_figure(
        "webhook_fanout_with_dead_receiver",
        mixed,
        alone,
        "s",
        "<= 1.2",
        f"{healthy_count} healthy deliveries, {healthy_count // 10} to a receiver that never "
        "answers; WEBHOOKS_TIMEOUT unchanged",
    )


# Figure 8 -------------------------------------------------------------------------------


def figure_remove_bg(env: dict, var_dir: Path, base: str, headers: dict, quick: bool) -> Figure:
    """Upload with remove-bg (offline remover) until the new version is current, over the
    remover's own time on the same image; `-Q providers-cpu` prefork worker."""
    import json

    import httpx
    from bench_offline_providers import photo_like

    from extensions.providers.local_remove_bg import LocalBackgroundRemover
    from medialib.models import Asset

    content = photo_like()
    remover = LocalBackgroundRemover()
    repeats = 3 if quick else 8
    client = httpx.Client(headers=headers, timeout=120)

    def end_to_end() -> float:
        started = time.perf_counter()
        response = client.post(
            base + "/api/v1/files/upload",
            files={"file": ("bg.jpg", content, "image/jpeg")},
            data={"fileName": "bg.jpg", "extensions": json.dumps([{"name": "remove-bg"}])},
        )
        response.raise_for_status()
        file_id = response.json()["fileId"]
        first = Asset.objects.get(file_id=file_id).current_version_id
        wait_until(
            lambda: Asset.objects.get(file_id=file_id).current_version_id != first,
            timeout=120,
            interval=0.01,
        )
        return time.perf_counter() - started

    def model() -> float:
        started = time.perf_counter()
        remover.run(content, "image/jpeg", {"options": {}})
        return time.perf_counter() - started

    with celery_worker(
        env, queues="providers-cpu", pool="prefork", concurrency=1, log=var_dir / "worker-cpu.log"
    ):
        end_to_end()  # the worker loads its model once
        model()
        totals, models = [], []
        for _ in range(repeats):  # interleaved, so both see the same machine
            totals.append(end_to_end())
            models.append(model())
    whole, alone = statistics.median(totals), statistics.median(models)
    return ratio_figure(
        "remove_bg_end_to_end_vs_model",
        whole,
        alone,
        "s",
        "<= 1.5",
        f"medians of {repeats}: end to end {whole * 1000:.0f} ms, remover {alone * 1000:.0f} ms",
    )
