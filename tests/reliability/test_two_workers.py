"""Two workers on the same queues, on Redis and on RabbitMQ: each provider call made once
at a time, and a task delivered twice does nothing the second time."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
import uuid
from collections import Counter

import pytest

from extensions.models import ExtensionRun, UnitLedgerEntry
from medialib.models import Asset
from medialib.services import api_key_create
from tests.reliability.helpers import Client, GatedRemoveBg, png
from tests.reliability.stack import REPORT, ROOT, RedisServer, wait_until

RUNS = 6
RABBITMQ = "amqp://guest:guest@127.0.0.1:5672/"


def _rabbitmqctl(*args: str) -> bool:
    try:
        done = subprocess.run(["rabbitmqctl", *args], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@pytest.fixture(params=["redis", "rabbitmq"])
def broker_url(request, tmp_path):
    if request.param == "redis":
        server = RedisServer(tmp_path).start()
        yield server.url
        server.stop()
        return
    vhost = f"c15-rel-{uuid.uuid4().hex[:8]}"
    if not _rabbitmqctl("add_vhost", vhost):
        pytest.skip("RabbitMQ (rabbitmqctl) is not available")
    try:
        _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        yield RABBITMQ + vhost
    finally:
        with contextlib.suppress(Exception):
            _rabbitmqctl("delete_vhost", vhost)


def test_two_workers_call_each_provider_once_and_ignore_a_task_sent_twice(
    stack, broker_url
) -> None:
    removebg = GatedRemoveBg().start()
    try:
        stack.env.update(
            CELERY_BROKER_URL=broker_url,
            REMOVE_BG_API_KEY=removebg.api_key,
            REMOVE_BG_API_URL=removebg.url,
        )
        base = stack.web(workers=1)
        stack.worker("worker-a", concurrency=4)
        stack.worker("worker-b", concurrency=4)
        stack.beat()
        client = Client(base, api_key_create(name="reliability").private_key)
        for index in range(RUNS):
            response = client.upload(
                f"two-{index}.png", png(index), extensions=[{"name": "remove-bg"}]
            )
            assert response.status_code == 200, response.text
        wait_until(lambda: removebg.calls == RUNS, timeout=60, what="every call in flight")
        # Held for several leases and sweeps: a live call is never taken over.
        time.sleep(8)
        assert removebg.calls == RUNS
        removebg.gate.set()
        wait_until(
            lambda: ExtensionRun.objects.filter(status="success").count() == RUNS,
            timeout=60,
            what="the runs to finish",
        )
        # Every task delivered again, to both workers.
        ids = list(ExtensionRun.objects.values_list("pk", flat=True))
        script = (
            "import json, sys, django; django.setup(); from config.celery import app; "
            "[app.send_task('extensions.tasks.run_extension', args=[i], queue='providers-io') "
            "for i in json.loads(sys.argv[1]) for _ in range(2)]"
        )
        subprocess.run(
            [sys.executable, "-c", script, json.dumps(ids)],
            cwd=ROOT,
            env=stack.env,
            check=True,
            timeout=60,
        )
        REPORT.faults[f"tasks delivered twice ({broker_url.split(':')[0]})"] += 2 * RUNS
        time.sleep(5)
    finally:
        removebg.gate.set()
        removebg.stop()
    assert removebg.calls == RUNS
    reserves = Counter(
        UnitLedgerEntry.objects.filter(reason="reserve").values_list("run_id", flat=True)
    )
    REPORT.charged_twice += sum(1 for count in reserves.values() if count > 1)
    assert sorted(reserves.values()) == [1] * RUNS
    for asset in Asset.objects.all():
        assert asset.versions.count() == 2
