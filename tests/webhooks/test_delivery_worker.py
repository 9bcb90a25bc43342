"""Deliveries through the broker and a real Celery worker (threads pool, concurrency 4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from tests.fakes.broker import broker_down
from tests.fakes.loopback import wait_for
from tests.fakes.webhook_receiver import WebhookReceiver, answer, hang, reserve_port
from webhooks.models import WebhookDelivery
from webhooks.services import delivery_create
from webhooks.tasks import sweep_due_deliveries

pytestmark = pytest.mark.slow


def status_of(delivery: WebhookDelivery) -> str:
    delivery.refresh_from_db()
    return delivery.status


def test_it_delivers_on_the_retry_after_a_500(celery_worker, receiver):
    receiver.script(answer(500), answer(200))

    delivery = delivery_create(url=receiver.url(), event="extension.success", payload={"a": 1})

    assert wait_for(lambda: status_of(delivery) == WebhookDelivery.Status.DELIVERED, timeout=30)
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery.message_id
    attempts = list(delivery.delivery_attempts.order_by("attempted_at"))
    assert [attempt.status_code for attempt in attempts] == [500, 200]
    # The retry waited for the schedule's first step (5 s, less 20% jitter).
    assert attempts[1].attempted_at - attempts[0].attempted_at >= timedelta(seconds=4)


def test_it_sends_a_delivery_written_while_the_broker_was_down(celery_worker, caplog):
    reserved = reserve_port()
    port = reserved.getsockname()[1]
    with broker_down(), transaction.atomic():
        delivery = delivery_create(
            url=f"http://127.0.0.1:{port}/hook", event="extension.success", payload={"a": 1}
        )
    # The commit happened; the task could not be sent, and that was only logged.
    assert "the sweep will send it" in caplog.text
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.dispatched_at is None

    # The broker is back; the receiver is still down when the sweep sends the delivery.
    sweep_due_deliveries.delay()
    assert wait_for(lambda: delivery.delivery_attempts.exists(), timeout=30)
    assert "refused" in delivery.delivery_attempts.get().error.lower()

    with WebhookReceiver(reserved=reserved) as receiver:
        assert wait_for(lambda: status_of(delivery) == WebhookDelivery.Status.DELIVERED, timeout=30)
        assert len(receiver.requests) == 1
    assert delivery.attempts == 2


def test_it_delivers_to_others_while_a_receiver_hangs(celery_worker, settings):
    settings.WEBHOOKS_TIMEOUT = 60.0
    with WebhookReceiver() as silent, WebhookReceiver() as prompt:
        silent.script(hang())
        stuck = delivery_create(url=silent.url(), event="extension.success", payload={"a": 1})
        assert silent.received.wait(30), "the worker never reached the silent receiver"

        quick = delivery_create(url=prompt.url(), event="extension.success", payload={"b": 2})

        assert wait_for(lambda: status_of(quick) == WebhookDelivery.Status.DELIVERED, timeout=30)
        # The first request is still waiting for its answer meanwhile.
        stuck.refresh_from_db()
        assert stuck.attempts == 0
        assert stuck.lease_expires_at is not None
        silent.release()
        assert wait_for(lambda: stuck.delivery_attempts.exists(), timeout=30)
    # The worker slot is free again; nothing is left waiting on this test's receivers.
    WebhookDelivery.objects.filter(pk=stuck.pk).update(status=WebhookDelivery.Status.FAILED)
