"""Webhook deliveries: the outbox, one attempt at a time, the sweep, the secret.

A delivery is a row written in the caller's transaction (`delivery_create`), so
an event is never announced for a change that rolled back, nor lost when the
broker is down: the task sent on commit is only a nudge, and the sweep
(`deliveries_dispatch_due`, every few seconds from beat) sends whatever is due
and has no task on its way. Each attempt claims the delivery with a lease, sends
one signed request and records it; the schedule (webhooks.schedule) says when
to try again, for up to 24 hours.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from kombu.exceptions import OperationalError as BrokerError

from core import outbound
from core.exceptions import BadRequest, NotFound
from core.ssrf import AddressGuard, UnsafeTarget
from extensions.models import ExtensionRun
from extensions.selectors import latest_extension_status
from medialib.wire import file_details
from webhooks import selectors
from webhooks.models import (
    ACCOUNT_EVENT_TYPES,
    DeliveryAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookSecret,
    generate_message_id,
)
from webhooks.schedule import DeliverySchedule
from webhooks.signing import signature_headers

logger = logging.getLogger(__name__)
# Newest secret first.
ORDER = ("-created_at", "-id")

# How long past the request's timeout a lease outlives it: an attempt never
# outlasts its lease, so no two workers send the same delivery at once.
LEASE_MARGIN = timedelta(seconds=30)
# Retries due within this long are sent with a countdown at once rather than
# left to the sweep, which runs every few seconds only.
COUNTDOWN_LIMIT = timedelta(minutes=1)
# A task sent this long ago that has not run (a broker that lost it) is sent again.
REDISPATCH_AFTER = timedelta(minutes=5)
SWEEP_BATCH = 500
# A receiver already holding WEBHOOKS_MAX_IN_FLIGHT_PER_RECEIVER of this process's
# worker threads gets its next delivery sent again this much later (no attempt counted),
# so one receiver that never answers cannot hold every slot of a thread pool.
RECEIVER_BUSY_DELAY = 5.0
_in_flight: Counter[str] = Counter()
_in_flight_lock = threading.Lock()


class InvalidWebhookUrl(BadRequest):
    pass


def clean_webhook_url(url: str) -> str:
    """Return the URL if webhooks may be sent to it; raise InvalidWebhookUrl (400) if not.

    Refused: schemes other than http(s), hosts that do not resolve, and hosts
    with any private, loopback, link-local or metadata address, unless
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS (then the host is not looked up).
    The check is made again at each delivery, against the address connected to.
    """
    url = url.strip()
    try:
        AddressGuard.vet(url, resolve=False)
    except UnsafeTarget as exc:
        raise InvalidWebhookUrl(f"webhookUrl {exc}") from None
    if len(url) > WebhookDelivery._meta.get_field("url").max_length:
        raise InvalidWebhookUrl("webhookUrl is too long")
    return url


def delivery_create(
    *,
    url: str,
    event: str,
    payload: dict,
    subject: str = "",
    endpoint: WebhookEndpoint | None = None,
    message_id: str | None = None,
) -> WebhookDelivery:
    """Write a pending delivery; call inside the transaction that made the event.

    The task is sent when the transaction commits; if the broker is down then,
    the sweep sends it later.
    """
    now = DeliverySchedule.now()
    delivery = WebhookDelivery.objects.create(
        url=url,
        event=event,
        payload=payload,
        subject=subject,
        endpoint=endpoint,
        message_id=message_id or generate_message_id(),
        next_attempt_at=now,
        dispatched_at=now,
    )
    transaction.on_commit(partial(_dispatch, delivery.pk))
    return delivery


def extension_result_delivery_create(*, run: ExtensionRun) -> WebhookDelivery | None:
    """The delivery of a finished run's result to its webhookUrl, in ImageKit's body.

    Only asynchronous runs report by webhook (a synchronous one answered in
    its request). Call inside the transaction that finished the run.
    """
    if run.mode != ExtensionRun.Mode.ASYNC or not run.webhook_url:
        return None
    asset = run.asset
    if run.status == ExtensionRun.Status.SUCCESS:
        asset.refresh_from_db()
        event = "extension.success"
        payload = {
            "service": run.name,
            "status": "SUCCESS",
            "fileObject": file_details(
                asset=asset, extension_status=latest_extension_status(asset=asset)
            ),
        }
    else:
        event = "extension.failure"
        payload = {
            "service": run.name,
            "status": "FAILURE",
            "fileId": asset.file_id,
            "error": {"code": run.error_code, "message": public_error_message(run)},
        }
    return delivery_create(url=run.webhook_url, event=event, payload=payload, subject=asset.file_id)


# Errors whose message may carry exception text or a provider's address: the
# receiver gets a fixed message, the run (admin) keeps the detail.
_PUBLIC_ERROR_MESSAGES = {
    "internal_error": "The extension failed on the server.",
    "connection_error": "The extension's provider could not be reached.",
    "unexpected_response": "The extension's provider answered something unexpected.",
}


def public_error_message(run: ExtensionRun) -> str:
    """The message of a failed run that a webhook receiver may see."""
    return _PUBLIC_ERROR_MESSAGES.get(run.error_code, run.error_message)


def delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Make one more attempt now, with the same message id (receivers may deduplicate).

    A delivered or failed delivery goes back to pending, its attempts kept.
    The retry schedule still counts from the first attempt: if this attempt
    fails after the 24 hours are over, the delivery is failed again; within
    them, the schedule carries on.
    """
    now = DeliverySchedule.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING,
        next_attempt_at=now,
        delivered_at=None,
        dispatched_at=now,
    )
    transaction.on_commit(partial(_dispatch, delivery.pk))
    delivery.refresh_from_db()
    return delivery


def delivery_attempt(*, delivery_id: int) -> DeliveryAttempt | None:
    """Send the delivery once if it is due and nobody else is sending it; record the attempt.

    Returns the attempt, or None when there was nothing to do (not pending,
    not due, or claimed by another worker): safe to call twice.
    """
    started_at = DeliverySchedule.now()
    lease_expires_at = started_at + timedelta(seconds=settings.WEBHOOKS_TIMEOUT) + LEASE_MARGIN
    claimed = (
        WebhookDelivery.objects.filter(
            pk=delivery_id,
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lte=started_at,
        )
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=started_at))
        .update(lease_expires_at=lease_expires_at)
    )
    if claimed != 1:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    receiver = urlsplit(delivery.url).netloc.lower()
    with _in_flight_lock:
        busy = _in_flight[receiver] >= settings.WEBHOOKS_MAX_IN_FLIGHT_PER_RECEIVER
        if not busy:
            _in_flight[receiver] += 1
    if busy:
        WebhookDelivery.objects.filter(pk=delivery_id, lease_expires_at=lease_expires_at).update(
            lease_expires_at=None
        )
        _dispatch(delivery_id, countdown=RECEIVER_BUSY_DELAY)
        return None
    # An account event is signed with its endpoint's own secret; an extension result
    # with the account's, and with the previous one during its rotation grace.
    if delivery.endpoint_id:
        secret, previous_secrets = delivery.endpoint.secret, []
    else:
        secret = webhook_secret_current()
        previous_secrets = webhook_secrets_in_grace(now=started_at)
    try:
        body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)
        headers = signature_headers(
            secret=secret,
            previous_secrets=previous_secrets,
            message_id=delivery.message_id,
            sent_at=started_at.timestamp(),
            body=body,
        )
        outcome = outbound.post(
            delivery.url, body=body.encode(), headers=headers, timeout=settings.WEBHOOKS_TIMEOUT
        )
    finally:
        with _in_flight_lock:
            _in_flight[receiver] -= 1
            if not _in_flight[receiver]:
                del _in_flight[receiver]
    finished_at = DeliverySchedule.now()
    return _attempt_record(
        delivery=delivery,
        outcome=outcome,
        started_at=started_at,
        finished_at=finished_at,
        lease_expires_at=lease_expires_at,
    )


def _attempt_record(
    *,
    delivery: WebhookDelivery,
    outcome: outbound.Outcome,
    started_at: datetime,
    finished_at: datetime,
    lease_expires_at: datetime,
) -> DeliveryAttempt:
    attempts = delivery.attempts + 1
    first_attempt_at = delivery.first_attempt_at or started_at
    changes: dict = {
        "attempts": attempts,
        "first_attempt_at": first_attempt_at,
        "last_attempt_at": started_at,
        "lease_expires_at": None,
    }
    countdown = None
    if outcome.status_code == 200:
        changes |= {
            "status": WebhookDelivery.Status.DELIVERED,
            "delivered_at": finished_at,
            "next_attempt_at": None,
        }
    else:
        next_attempt_at = DeliverySchedule.next_attempt_at(
            attempts=attempts, first_attempt_at=first_attempt_at, now=finished_at
        )
        if next_attempt_at is None:
            changes |= {"status": WebhookDelivery.Status.FAILED, "next_attempt_at": None}
        else:
            changes["next_attempt_at"] = next_attempt_at
            if next_attempt_at - finished_at <= COUNTDOWN_LIMIT:
                countdown = (next_attempt_at - finished_at).total_seconds()
                changes["dispatched_at"] = next_attempt_at
    with transaction.atomic():
        attempt = DeliveryAttempt.objects.create(
            delivery=delivery,
            attempted_at=started_at,
            duration_ms=outcome.duration_ms,
            status_code=outcome.status_code,
            error=outcome.error,
            # PostgreSQL text cannot hold NUL characters.
            response_body=outcome.body.decode(errors="replace").replace("\x00", "\ufffd"),
        )
        # Still ours unless the lease ran out; then the attempt stays recorded
        # and the delivery's state is left to the worker that took it over.
        updated = WebhookDelivery.objects.filter(
            pk=delivery.pk, lease_expires_at=lease_expires_at
        ).update(**changes)
        if not updated:
            logger.warning("Webhook delivery %s: lease lost during the attempt", delivery.pk)
        elif countdown is not None:
            transaction.on_commit(partial(_dispatch, delivery.pk, countdown=countdown))
    return attempt


def deliveries_dispatch_due(*, limit: int = SWEEP_BATCH) -> int:
    """Send a task for each due delivery that has none on its way; return how many."""
    now = DeliverySchedule.now()
    delivery_ids = selectors.due_delivery_ids(
        now=now, dispatched_before=now - REDISPATCH_AFTER, limit=limit
    )
    WebhookDelivery.objects.filter(pk__in=delivery_ids).update(dispatched_at=now)
    for sent, delivery_id in enumerate(delivery_ids):
        if not _dispatch(delivery_id):
            WebhookDelivery.objects.filter(pk__in=delivery_ids[sent:]).update(dispatched_at=None)
            return sent
    return len(delivery_ids)


def _dispatch(delivery_id: int, *, countdown: float | None = None) -> bool:
    """Send the delivery's task; when the broker is down, leave the delivery to the sweep."""
    from webhooks.tasks import deliver_webhook

    try:
        deliver_webhook.apply_async((delivery_id,), countdown=countdown)
    except (BrokerError, OSError):
        logger.warning(
            "Webhook delivery %s not sent to the broker; the sweep will send it",
            delivery_id,
            exc_info=True,
        )
        WebhookDelivery.objects.filter(pk=delivery_id).update(dispatched_at=None)
        return False
    return True


def webhook_secret_current() -> str:
    """The secret that signs deliveries; made on first use."""
    secret = WebhookSecret.objects.first()
    if secret is None:
        WebhookSecret.objects.create()
        # Two first uses at once each make one; both then read the newest.
        secret = WebhookSecret.objects.first()
    return secret.secret


def webhook_secrets_in_grace(*, now: datetime) -> list[str]:
    """Earlier secrets still valid: replaced less than WEBHOOKS_SECRET_ROTATION_GRACE
    seconds before `now`, newest first."""
    grace = timedelta(seconds=settings.WEBHOOKS_SECRET_ROTATION_GRACE)
    if not grace:
        return []
    rows = list(WebhookSecret.objects.filter(created_at__gt=now - grace).order_by(*ORDER))
    if not rows:
        return []
    # The secret each of these replaced is the one just before it.
    oldest_replacement = rows[-1]
    earlier = (
        WebhookSecret.objects.filter(
            Q(created_at__lt=oldest_replacement.created_at)
            | Q(created_at=oldest_replacement.created_at, id__lt=oldest_replacement.id)
        )
        .order_by(*ORDER)
        .first()
    )
    secrets = [row.secret for row in rows[1:]]
    if earlier is not None:
        secrets.append(earlier.secret)
    return secrets


def webhook_secret_rotate() -> str:
    """Make a new secret; deliveries are signed with it from now on, and with the
    previous one too for settings.WEBHOOKS_SECRET_ROTATION_GRACE seconds."""
    return WebhookSecret.objects.create().secret


# --- account event webhooks (/v1/accounts/webhooks) ----------------------------------

ENDPOINT_NOT_FOUND = "WEBHOOK_NOT_FOUND"


def clean_webhook_events(value: object) -> list[str]:
    """The `events` of an endpoint: a non-empty list of the SDK's WebhookEventType names."""
    if not isinstance(value, list) or not value:
        raise BadRequest(
            "events must be a non-empty array of event types.",
            help="One or more of: " + ", ".join(ACCOUNT_EVENT_TYPES),
        )
    unknown = [item for item in value if item not in ACCOUNT_EVENT_TYPES]
    if unknown:
        raise BadRequest(
            f"events: unknown event type {unknown[0]!r}.",
            help="One or more of: " + ", ".join(ACCOUNT_EVENT_TYPES),
        )
    return list(dict.fromkeys(value))


def clean_endpoint_url(value: object, *, exclude_pk: int | None = None) -> str:
    """An endpoint URL: http(s), past the private-address guard, unique."""
    if not isinstance(value, str) or not value.strip():
        raise BadRequest("endpoint must be an http or https URL.")
    try:
        url = clean_webhook_url(value)
    except InvalidWebhookUrl as exc:
        raise BadRequest(exc.message.replace("webhookUrl", "endpoint", 1)) from None
    taken = WebhookEndpoint.objects.filter(url=url).exclude(pk=exclude_pk)
    if taken.exists():
        raise BadRequest("A webhook with this endpoint already exists.")
    return url


def webhook_endpoint_create(
    *, url: object, events: object, enabled: object = True
) -> WebhookEndpoint:
    """A new account webhook with a generated secret; input checked first."""
    clean_url = clean_endpoint_url(url)
    clean_events = clean_webhook_events(events)
    if not isinstance(enabled, bool):
        raise BadRequest("enabled must be a boolean.")
    try:
        with transaction.atomic():
            return WebhookEndpoint.objects.create(
                url=clean_url, events=clean_events, enabled=enabled
            )
    except IntegrityError:
        raise BadRequest("A webhook with this endpoint already exists.") from None


def webhook_endpoint_get(*, endpoint_id: str) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(endpoint_id=endpoint_id).first()
    if endpoint is None:
        raise NotFound("No webhook found with id " + endpoint_id, reason=ENDPOINT_NOT_FOUND)
    return endpoint


def webhook_endpoint_update(*, endpoint_id: str, changes: dict) -> WebhookEndpoint:
    """Change `endpoint`, `events` and/or `enabled`; omitted ones stay as they are."""
    with transaction.atomic():
        endpoint = (
            WebhookEndpoint.objects.select_for_update().filter(endpoint_id=endpoint_id).first()
        )
        if endpoint is None:
            raise NotFound("No webhook found with id " + endpoint_id, reason=ENDPOINT_NOT_FOUND)
        if "endpoint" in changes:
            endpoint.url = clean_endpoint_url(changes["endpoint"], exclude_pk=endpoint.pk)
        if "events" in changes:
            endpoint.events = clean_webhook_events(changes["events"])
        if "enabled" in changes:
            if not isinstance(changes["enabled"], bool):
                raise BadRequest("enabled must be a boolean.")
            endpoint.enabled = changes["enabled"]
        endpoint.save()
    return endpoint


def webhook_endpoint_delete(*, endpoint_id: str) -> None:
    """Delete the endpoint; its pending deliveries fail (nobody can verify them any more)."""
    with transaction.atomic():
        endpoint = webhook_endpoint_get(endpoint_id=endpoint_id)
        WebhookDelivery.objects.filter(
            endpoint=endpoint, status=WebhookDelivery.Status.PENDING
        ).update(status=WebhookDelivery.Status.FAILED, next_attempt_at=None)
        endpoint.delete()


def _subscribed_endpoints(event: str) -> list[WebhookEndpoint]:
    # Few endpoints per account: filter in Python (JSON `contains` is not on SQLite).
    return [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(enabled=True)
        if event in endpoint.events
    ]


def account_event_subscribed(event: str) -> bool:
    """Whether any enabled endpoint listens to `event` (to skip building its data)."""
    # Asked at every file change: the event lists alone, in no order, cost a third
    # less CPU than the endpoints.
    listened = WebhookEndpoint.objects.filter(enabled=True).order_by().values_list("events")
    return any(event in events for (events,) in listened)


def account_event_deliveries_create(
    *,
    event: str,
    data: dict,
    subject: str = "",
    occurred_at: datetime | None = None,
    request: dict | None = None,
) -> list[WebhookDelivery]:
    """One delivery per enabled endpoint subscribed to `event`, in ImageKit's envelope.

    `request` is the envelope's `request` object of the events that have one (the
    upload transformation events: `{"transformation", "x_request_id"}`).
    Call inside the transaction of the change, so a rolled-back change sends nothing.
    """
    endpoints = _subscribed_endpoints(event)
    if not endpoints:
        return []
    created_at = (occurred_at or DeliverySchedule.now()).isoformat().replace("+00:00", "Z")
    deliveries = []
    for endpoint in endpoints:
        message_id = generate_message_id()
        payload = {"id": message_id, "type": event, "created_at": created_at, "data": data}
        if request is not None:
            payload["request"] = request
        deliveries.append(
            delivery_create(
                url=endpoint.url,
                event=event,
                payload=payload,
                subject=subject,
                endpoint=endpoint,
                message_id=message_id,
            )
        )
    return deliveries
