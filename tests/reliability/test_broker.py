"""The broker away during uploads with extensions: every upload answered, every run sent
when it returns (the sweep), none lost, none twice."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from extensions.models import ExtensionRun, UnitLedgerEntry
from medialib.services import api_key_create
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.reliability.helpers import Client, GatedRemoveBg, png
from tests.reliability.stack import REPORT, RedisServer, wait_until
from webhooks.models import WebhookDelivery

UPLOADS = 100


@pytest.fixture
def redis_broker(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


def test_uploads_with_extensions_while_the_broker_is_down_all_run_once_when_it_returns(
    stack, redis_broker
) -> None:
    removebg = GatedRemoveBg().start()
    removebg.gate.set()
    try:
        with WebhookReceiver() as receiver:
            stack.env.update(
                CELERY_BROKER_URL=redis_broker.url,
                REMOVE_BG_API_KEY=removebg.api_key,
                REMOVE_BG_API_URL=removebg.url,
            )
            base = stack.web(workers=2)
            stack.worker(concurrency=8)
            stack.beat()
            client = Client(base, api_key_create(name="reliability").private_key)

            redis_broker.stop()
            REPORT.faults["broker stopped during 100 uploads"] += 1

            def upload(index: int):
                return client.upload(
                    f"broker-{index}.png",
                    png(index),
                    extensions=[{"name": "remove-bg"}],
                    webhook=receiver.url("/hook"),
                )

            with ThreadPoolExecutor(8) as pool:
                answers = list(pool.map(upload, range(UPLOADS)))
            for response in answers:
                assert response.status_code == 200, response.text[:300]
                assert response.json()["extensionStatus"] == {"remove-bg": "pending"}, (
                    response.json(),
                    list(ExtensionRun.objects.values("status", "error_code")[:2]),
                )
            assert removebg.calls == 0  # nothing could be sent
            assert ExtensionRun.objects.count() == UPLOADS

            redis_broker.start()
            wait_until(
                lambda: ExtensionRun.objects.filter(status="success").count() == UPLOADS,
                timeout=150,
                what="every run to go out once the broker is back",
            )
            wait_until(
                lambda: WebhookDelivery.objects.filter(status="delivered").count() == UPLOADS,
                timeout=60,
                what="their webhooks",
            )
            wait_until(lambda: len(receiver.requests) >= UPLOADS, timeout=10, what="posts")
            ids = Counter(request.headers["webhook-id"] for request in receiver.requests)
    finally:
        removebg.stop()

    reserves = Counter(
        UnitLedgerEntry.objects.filter(reason="reserve").values_list("run_id", flat=True)
    )
    REPORT.charged_twice += sum(1 for count in reserves.values() if count > 1)
    REPORT.lost += UPLOADS - ExtensionRun.objects.filter(status="success").count()
    assert sorted(reserves.values()) == [1] * UPLOADS
    assert removebg.calls == UPLOADS  # none twice
    assert len(ids) == UPLOADS and set(ids.values()) == {1}
    REPORT.notes.append(
        f"broker down: {UPLOADS} uploads answered 200, {UPLOADS} runs sent once after it returned"
    )
