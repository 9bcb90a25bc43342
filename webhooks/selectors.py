"""Reads of webhook deliveries."""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, Q

from webhooks.models import WebhookDelivery


def due_delivery_ids(*, now: datetime, dispatched_before: datetime, limit: int) -> list[int]:
    """Pending deliveries that are due, not held by a worker, and have no task on its way.

    A task is on its way when one was sent for the current attempt
    (`dispatched_at` not before `next_attempt_at`) less than a while ago
    (`dispatched_before`). Oldest due first; uses delivery_pending_due_idx.
    """
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
        )
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now))
        .filter(
            Q(dispatched_at__isnull=True)
            | Q(dispatched_at__lt=F("next_attempt_at"))
            | Q(dispatched_at__lte=dispatched_before)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
