"""Which deliveries the sweep sends (selectors.due_delivery_ids)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from webhooks.models import WebhookDelivery
from webhooks.selectors import due_delivery_ids
from webhooks.services import REDISPATCH_AFTER

pytestmark = pytest.mark.django_db


def delivery(name: str, **fields) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        url=f"https://hooks.example.com/{name}", event="extension.success", payload={}, **fields
    )


def test_it_picks_due_deliveries_that_have_no_task_on_its_way():
    now = timezone.now()
    long_ago = now - REDISPATCH_AFTER - timedelta(seconds=1)
    due = now - timedelta(seconds=1)
    expected = [
        # Sent for this attempt when it was due, long ago, and never run (a broker
        # that lost it; a worker that died and whose lease ran out).
        delivery(
            "lost",
            next_attempt_at=long_ago,
            dispatched_at=long_ago,
            lease_expires_at=now - timedelta(seconds=1),
        ),
        # Its task could not be sent (broker down).
        delivery("never-sent", next_attempt_at=due - timedelta(seconds=2)),
        # A retry: the last task was sent for an earlier attempt.
        delivery(
            "retry",
            next_attempt_at=due - timedelta(seconds=1),
            dispatched_at=due - timedelta(minutes=1),
        ),
    ]
    # Not picked: sent for this attempt just now, held by a worker, not due, settled.
    delivery("just-sent", next_attempt_at=due, dispatched_at=due)
    delivery("in-flight", next_attempt_at=due, lease_expires_at=now + timedelta(seconds=30))
    delivery("later", next_attempt_at=now + timedelta(seconds=5))
    delivery("delivered", next_attempt_at=due, status=WebhookDelivery.Status.DELIVERED)
    delivery("failed", next_attempt_at=due, status=WebhookDelivery.Status.FAILED)

    picked = due_delivery_ids(now=now, dispatched_before=now - REDISPATCH_AFTER, limit=10)

    assert picked == [item.pk for item in expected]


def test_it_picks_at_most_a_batch_oldest_due_first():
    now = timezone.now()
    deliveries = [
        delivery(str(index), next_attempt_at=now - timedelta(seconds=index)) for index in range(5)
    ]

    picked = due_delivery_ids(now=now, dispatched_before=now, limit=3)

    assert picked == [deliveries[4].pk, deliveries[3].pk, deliveries[2].pk]
