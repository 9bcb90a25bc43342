"""Faults of a real deployment survived: a worker SIGKILLed mid-call, the database away."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from extensions.models import ExtensionRun, UnitLedgerEntry
from medialib.models import Asset
from medialib.services import api_key_create
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.reliability.conftest import database_url
from tests.reliability.helpers import Client, GatedRemoveBg, png
from tests.reliability.stack import REPORT, TcpProxy, wait_until
from webhooks.models import WebhookDelivery

RUNS_KILLED = 4


@pytest.fixture
def removebg():
    fake = GatedRemoveBg().start()
    yield fake
    fake.gate.set()
    fake.stop()


@pytest.fixture
def receiver():
    with WebhookReceiver() as running:
        yield running


def test_runs_of_a_worker_killed_mid_call_finish_once_within_90_s(
    stack, stack_env, removebg, receiver
) -> None:
    env = {"REMOVE_BG_API_KEY": removebg.api_key, "REMOVE_BG_API_URL": removebg.url}
    stack.env.update(env)
    base = stack.web()
    first = stack.worker("worker-1")
    stack.beat()
    client = Client(base, api_key_create(name="reliability").private_key)

    for index in range(RUNS_KILLED):
        response = client.upload(
            f"kill-{index}.png",
            png(index),
            extensions=[{"name": "remove-bg"}],
            webhook=receiver.url("/hook"),
        )
        assert response.status_code == 200, response.text
        assert response.json()["extensionStatus"] == {"remove-bg": "pending"}
    # Every run is in the middle of its provider call when the worker dies.
    wait_until(lambda: removebg.calls == RUNS_KILLED, timeout=60, what="calls in flight")
    first.kill()
    killed_at = time.time()
    REPORT.faults["worker SIGKILL mid-call"] += 1
    removebg.gate.set()
    stack.worker("worker-2")

    wait_until(
        lambda: ExtensionRun.objects.filter(status="success").count() == RUNS_KILLED,
        timeout=90,
        what="the killed runs to finish",
    )
    wait_until(
        lambda: WebhookDelivery.objects.filter(status="delivered").count() == RUNS_KILLED,
        timeout=30,
        what="their webhooks",
    )
    time.sleep(3)  # room for a duplicate to show up, if there were one

    runs = list(ExtensionRun.objects.all())
    resumed_in = max(run.finished_at.timestamp() for run in runs) - killed_at
    REPORT.notes.append(f"killed runs resumed and finished {resumed_in:.1f} s after SIGKILL")
    assert resumed_in < 90
    assert all(run.units_charged == run.units_reserved > 0 for run in runs)
    reserves = Counter(
        UnitLedgerEntry.objects.filter(reason="reserve").values_list("run_id", flat=True)
    )
    REPORT.charged_twice += sum(1 for count in reserves.values() if count > 1)
    assert sorted(reserves.values()) == [1] * RUNS_KILLED
    assert not UnitLedgerEntry.objects.filter(reason="refund").exists()
    # One new version per run (the cut-out), written once.
    for asset in Asset.objects.all():
        assert asset.versions.count() == 2
    # Each run's webhook delivered once: one delivery row, one webhook-id at the receiver.
    ids = Counter(request.headers["webhook-id"] for request in receiver.requests)
    assert len(ids) == RUNS_KILLED and set(ids.values()) == {1}
    REPORT.lost += RUNS_KILLED - len(runs)


def test_the_database_going_away_gives_clean_503s_and_recovers_without_a_restart(
    stack, stack_env
) -> None:
    from django.db import connection

    proxy = TcpProxy(int(connection.settings_dict["PORT"] or 5432))
    try:
        stack.env["DATABASE_URL"] = database_url(connection.settings_dict, proxy.port)
        base = stack.web(workers=2)
        client = Client(base, api_key_create(name="reliability").private_key)
        assert client.request("GET", "/v1/files").status_code == 200

        proxy.cut()
        REPORT.faults["database connections cut"] += 1
        answers = []
        for index in range(12):
            if index % 3 == 0:
                response = client.upload(f"outage-{index}.png", png(index))
            else:
                response = client.request("GET", "/v1/files")
            answers.append(response)
        for response in answers:
            assert response.status_code == 503, response.text[:300]
            assert response.headers["content-type"].startswith("application/json")
            body = response.json()
            assert set(body) == {"message", "help"}
            assert "Traceback" not in response.text

        proxy.restore()
        # Recovers with the same processes: every request after the outage is served.
        wait_until(
            lambda: client.request("GET", "/v1/files").status_code == 200,
            timeout=30,
            what="recovery",
        )
        for index in range(6):
            assert client.request("GET", "/v1/files").status_code == 200
            assert client.upload(f"after-{index}.png", png(index)).status_code == 200
        # Nothing half-stored from the outage: only the uploads after it exist.
        assert sorted(Asset.objects.values_list("name", flat=True)) == sorted(
            f"after-{index}.png" for index in range(6)
        )
    finally:
        proxy.stop()
