"""One delivery attempt against a real receiver on loopback (services.delivery_attempt)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from imagekitio import ImageKit
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from core.outbound import RESPONSE_BODY_LIMIT, USER_AGENT
from tests.fakes.webhook_receiver import (
    WebhookReceiver,
    answer,
    drip_headers,
    endless_body,
    hang,
    redirect,
    reserve_port,
)
from webhooks.models import DeliveryAttempt, WebhookDelivery, WebhookSecret
from webhooks.services import (
    delivery_attempt,
    delivery_create,
    delivery_redeliver,
    webhook_secret_current,
    webhook_secret_rotate,
    webhook_secrets_in_grace,
)

PAYLOAD = {
    "service": "remove-bg",
    "status": "SUCCESS",
    "fileObject": {"fileId": "0123456789abcdef01234567", "name": "café.png", "AITags": None},
}


def create(url: str) -> WebhookDelivery:
    return delivery_create(
        url=url, event="extension.success", payload=PAYLOAD, subject="0123456789abcdef01234567"
    )


def verify_x_ik_signature(header: str, body: bytes, secret: str) -> dict:
    """What ImageKit's older SDKs do with `x-ik-signature` (t in ms, hex HMAC of "t.body")."""
    items = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), f"{items['t']}.{body.decode()}".encode(), hashlib.sha256)
    if not hmac.compare_digest(items["v1"], expected.hexdigest()):
        raise ValueError("Incorrect signature")
    return json.loads(body)


def test_it_posts_the_payload_as_json_with_its_headers(db, receiver):
    delivery = create(receiver.url("/hooks/imagekit?source=medialib"))

    attempt = delivery_attempt(delivery_id=delivery.pk)

    [request] = receiver.requests
    assert request.method == "POST"
    assert request.path == "/hooks/imagekit?source=medialib"
    assert json.loads(request.body) == PAYLOAD
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == USER_AGENT
    assert request.headers["host"] == f"127.0.0.1:{receiver.port}"
    assert request.headers["webhook-id"] == delivery.message_id
    assert attempt.status_code == 200
    assert attempt.response_body == "ok"
    assert attempt.error == ""
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 1
    assert delivery.delivered_at is not None
    assert delivery.next_attempt_at is None
    assert delivery.lease_expires_at is None


def test_it_signs_so_that_standardwebhooks_and_the_imagekit_sdk_verify(db, receiver):
    delivery_attempt(delivery_id=create(receiver.url()).pk)
    [request] = receiver.requests
    secret = webhook_secret_current()

    assert Webhook(secret.encode()).verify(request.body, request.headers) == PAYLOAD
    event = ImageKit(private_key="unused").webhooks.unwrap(
        request.body.decode(), headers=request.headers, key=secret
    )
    assert event.to_dict()["fileObject"]["name"] == "café.png"
    assert verify_x_ik_signature(request.headers["x-ik-signature"], request.body, secret) == PAYLOAD
    # Both timestamps are the send time, in seconds and in milliseconds.
    timestamp_ms = int(request.headers["x-ik-signature"].split(",")[0].removeprefix("t="))
    assert timestamp_ms // 1000 == int(request.headers["webhook-timestamp"])


def test_it_signs_with_the_new_secret_only_once_the_grace_period_is_over(db, receiver, settings):
    settings.WEBHOOKS_SECRET_ROTATION_GRACE = 0
    old = webhook_secret_current()
    new = webhook_secret_rotate()
    delivery_attempt(delivery_id=create(receiver.url()).pk)
    [request] = receiver.requests

    assert Webhook(new.encode()).verify(request.body, request.headers) == PAYLOAD
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(old.encode()).verify(request.body, request.headers)
    with pytest.raises(ValueError, match="Incorrect signature"):
        verify_x_ik_signature(request.headers["x-ik-signature"], request.body, old)


def test_the_previous_secret_still_verifies_during_the_grace_period(db, receiver, settings):
    settings.WEBHOOKS_SECRET_ROTATION_GRACE = 3600
    old = webhook_secret_current()
    new = webhook_secret_rotate()
    delivery_attempt(delivery_id=create(receiver.url()).pk)
    [request] = receiver.requests

    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert Webhook(new.encode()).verify(request.body, request.headers) == PAYLOAD
    assert Webhook(old.encode()).verify(request.body, request.headers) == PAYLOAD
    event = ImageKit(private_key="unused").webhooks.unwrap(
        request.body.decode(), headers=request.headers, key=new
    )
    assert event.to_dict()["fileObject"]["name"] == "café.png"
    # The legacy header holds one signature: the current secret's.
    assert verify_x_ik_signature(request.headers["x-ik-signature"], request.body, new) == PAYLOAD


def test_the_grace_period_ends(db, settings):
    settings.WEBHOOKS_SECRET_ROTATION_GRACE = 3600
    old = webhook_secret_current()
    WebhookSecret.objects.update(created_at=timezone.now() - timedelta(days=3))
    newer = webhook_secret_rotate()
    WebhookSecret.objects.filter(secret=newer).update(
        created_at=timezone.now() - timedelta(hours=2)
    )
    newest = webhook_secret_rotate()

    in_grace = webhook_secrets_in_grace(now=timezone.now())

    assert in_grace == [newer]  # replaced minutes ago; `old` was replaced two hours ago
    assert old not in in_grace and newest not in in_grace


def test_it_does_not_verify_when_the_secret_is_given_to_standardwebhooks_as_a_string(db, receiver):
    # The pitfall the signing module documents: the library base64-decodes a string
    # secret (a wrong key, or a binascii.Error, depending on the secret's length).
    delivery_attempt(delivery_id=create(receiver.url()).pk)
    [request] = receiver.requests

    with pytest.raises((WebhookVerificationError, ValueError)):
        Webhook(webhook_secret_current()).verify(request.body, request.headers)


def test_it_percent_encodes_what_cannot_go_in_a_request_line(db, receiver):
    delivery_attempt(delivery_id=create(receiver.url("/hook path/ü%41?x=a b&y=1")).pk)

    [request] = receiver.requests
    assert request.path == "/hook%20path/%C3%BC%41?x=a%20b&y=1"


def test_it_sends_credentials_of_the_url_as_basic_auth(db, receiver):
    url = receiver.url().replace("http://", "http://hooks:s%40cret@")

    delivery_attempt(delivery_id=create(url).pk)

    [request] = receiver.requests
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"hooks:s@cret").decode()
    assert request.headers["host"] == f"127.0.0.1:{receiver.port}"


@pytest.mark.parametrize("status", [201, 204, 301, 400, 410, 500, 503])
def test_it_counts_anything_but_200_as_a_failed_attempt(db, receiver, clock, status):
    receiver.script(answer(status, b"" if status in (204, 301) else b"nope"))
    delivery = create(receiver.url())

    attempt = delivery_attempt(delivery_id=delivery.pk)

    assert attempt.status_code == status
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.attempts == 1
    assert delivery.first_attempt_at == clock.now()
    assert clock.now() + timedelta(seconds=4) <= delivery.next_attempt_at
    assert delivery.next_attempt_at <= clock.now() + timedelta(seconds=6)


def test_it_retries_with_the_same_message_id_when_due_and_not_before(db, receiver, clock):
    receiver.script(answer(500), answer(200))
    delivery = create(receiver.url())
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()

    clock.set(delivery.next_attempt_at - timedelta(milliseconds=1))
    assert delivery_attempt(delivery_id=delivery.pk) is None
    assert len(receiver.requests) == 1

    clock.set(delivery.next_attempt_at)
    attempt = delivery_attempt(delivery_id=delivery.pk)

    assert attempt.status_code == 200
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery.message_id
    assert int(second.headers["webhook-timestamp"]) > int(first.headers["webhook-timestamp"])
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 2
    assert delivery.delivery_attempts.count() == 2


def test_it_does_not_follow_redirects(db, receiver):
    with WebhookReceiver() as elsewhere:
        receiver.script(redirect(elsewhere.url(), status=307))
        delivery = create(receiver.url())

        attempt = delivery_attempt(delivery_id=delivery.pk)

        assert elsewhere.connections == 0
    assert attempt.status_code == 307
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING


def test_it_reads_at_most_64_kb_of_an_endless_answer(db, receiver):
    receiver.script(endless_body())
    delivery = create(receiver.url())

    attempt = delivery_attempt(delivery_id=delivery.pk)

    # Reading on would have run into the timeout and an error.
    assert attempt.error == ""
    assert attempt.status_code == 200
    assert len(attempt.response_body) == RESPONSE_BODY_LIMIT == 65536
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED


def test_it_keeps_a_binary_answer_as_text(db, receiver):
    receiver.script(answer(500, b"\x00\xffbinary"))

    attempt = delivery_attempt(delivery_id=create(receiver.url()).pk)

    attempt.refresh_from_db()
    assert attempt.response_body == "\ufffd\ufffdbinary"


def test_it_gives_up_on_a_receiver_that_never_answers_after_the_timeout(db, receiver, settings):
    settings.WEBHOOKS_TIMEOUT = 0.5
    receiver.script(hang())
    delivery = create(receiver.url())

    attempt = delivery_attempt(delivery_id=delivery.pk)

    assert attempt.status_code is None
    assert attempt.error == "No complete answer within 0.5 s"
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.lease_expires_at is None


def test_it_bounds_the_whole_exchange_not_each_read(db, receiver, settings):
    # Each byte arrives well within the timeout; only a total deadline ends this.
    settings.WEBHOOKS_TIMEOUT = 0.5
    receiver.script(drip_headers(interval=0.05))
    delivery = create(receiver.url())

    attempt = delivery_attempt(delivery_id=delivery.pk)

    assert attempt.error == "No complete answer within 0.5 s"


def test_it_records_a_receiver_that_is_down_as_a_failed_attempt(db):
    with reserve_port() as down:
        delivery = create(f"http://127.0.0.1:{down.getsockname()[1]}/hook")

        attempt = delivery_attempt(delivery_id=delivery.pk)

    assert attempt.status_code is None
    assert "refused" in attempt.error.lower()
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING


def test_it_does_nothing_for_a_delivery_already_delivered(db, receiver):
    delivery = create(receiver.url())
    delivery_attempt(delivery_id=delivery.pk)

    assert delivery_attempt(delivery_id=delivery.pk) is None
    assert len(receiver.requests) == 1


def test_it_does_nothing_while_another_worker_holds_the_delivery(db, receiver, clock):
    delivery = create(receiver.url())
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        lease_expires_at=clock.now() + timedelta(seconds=10)
    )

    assert delivery_attempt(delivery_id=delivery.pk) is None
    assert receiver.connections == 0

    clock.advance(seconds=10)
    assert delivery_attempt(delivery_id=delivery.pk).status_code == 200


def test_it_redelivers_a_failed_delivery_now_keeping_its_history(db, receiver, clock):
    receiver.script(answer(500), answer(200))
    delivery = create(receiver.url())
    delivery_attempt(delivery_id=delivery.pk)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.FAILED, next_attempt_at=None
    )
    clock.advance(hours=30)

    delivery = delivery_redeliver(delivery=WebhookDelivery.objects.get(pk=delivery.pk))
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.next_attempt_at == clock.now()
    attempt = delivery_attempt(delivery_id=delivery.pk)

    assert attempt.status_code == 200
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 2
    assert delivery.delivery_attempts.count() == 2


def test_it_fails_a_redelivery_again_when_its_24_hours_are_over(db, receiver, clock):
    receiver.script(answer(500))
    delivery = create(receiver.url())
    delivery_attempt(delivery_id=delivery.pk)
    clock.advance(hours=25)

    delivery_redeliver(delivery=delivery)
    delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == 2


def test_it_sends_once_when_several_workers_take_the_same_delivery_at_once(
    transactional_db, receiver
):
    # Written directly: delivery_create would also send a task to the broker.
    delivery = WebhookDelivery.objects.create(
        url=receiver.url(), event="extension.success", payload={}, next_attempt_at=timezone.now()
    )
    start = threading.Barrier(4)

    def worker() -> DeliveryAttempt | None:
        start.wait()
        try:
            return delivery_attempt(delivery_id=delivery.pk)
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: worker(), range(4)))

    assert len([result for result in results if result is not None]) == 1
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1
