"""Celery tasks of the webhooks app: thin, they take ids and call services.

Deliveries run on the `webhooks` queue (settings.CELERY_TASK_ROUTES), one task
per delivery, so a slow receiver holds one worker slot for at most
WEBHOOKS_TIMEOUT and nothing else. The requests wait on the network, so the
webhooks workers should use a thread or gevent pool with a high concurrency
(`celery -A config worker -Q webhooks -P threads -c 32`).
"""

from __future__ import annotations

from celery import shared_task

from webhooks import services


@shared_task(acks_late=True, ignore_result=True)
def deliver_webhook(delivery_id: int) -> None:
    services.delivery_attempt(delivery_id=delivery_id)


@shared_task(ignore_result=True)
def sweep_due_deliveries() -> int:
    return services.deliveries_dispatch_due()
