"""Webhook receivers away for hours, on the schedule's clock (run fast in the worker)."""

from __future__ import annotations

import time
from datetime import timedelta

from medialib.services import api_key_create
from tests.fakes.webhook_receiver import WebhookReceiver, reserve_port
from tests.reliability.fastclock import fast_clock
from tests.reliability.helpers import Client, GatedRemoveBg, png
from tests.reliability.stack import REPORT, wait_until
from webhooks.models import WebhookDelivery

SPEED = 1800  # simulated seconds per real second: 24 h in 48 s
HOURS = timedelta(hours=1)


def test_a_receiver_down_six_hours_gets_its_webhook_and_one_never_back_fails_at_24_h(
    stack,
) -> None:
    anchor = time.time()
    clock = fast_clock(anchor, SPEED)
    removebg = GatedRemoveBg().start()
    removebg.gate.set()
    returning_socket, gone_socket = reserve_port(), reserve_port()
    returning_port, gone_port = returning_socket.getsockname()[1], gone_socket.getsockname()[1]
    returning = None
    try:
        stack.env.update(
            REMOVE_BG_API_KEY=removebg.api_key,
            REMOVE_BG_API_URL=removebg.url,
            # The attempt's lease is on the schedule's clock too: long enough at this speed.
            WEBHOOKS_TIMEOUT="3600",
        )
        base = stack.web(workers=1)
        stack.worker(
            app="tests.reliability.fastclock",
            RELIABILITY_CLOCK_ANCHOR=str(anchor),
            RELIABILITY_CLOCK_SPEED=str(SPEED),
        )
        stack.beat()
        client = Client(base, api_key_create(name="reliability").private_key)
        for name, port in (("returns", returning_port), ("gone", gone_port)):
            response = client.upload(
                f"{name}.png",
                png(len(name)),
                extensions=[{"name": "remove-bg"}],
                webhook=f"http://127.0.0.1:{port}/hook",
            )
            assert response.status_code == 200, response.text
        REPORT.faults["webhook receiver down 6 h"] += 1
        REPORT.faults["webhook receiver never back"] += 1
        wait_until(lambda: WebhookDelivery.objects.count() == 2, timeout=60, what="deliveries")
        back = WebhookDelivery.objects.get(url__contains=str(returning_port))
        gone = WebhookDelivery.objects.get(url__contains=str(gone_port))

        def first_attempt(delivery):
            delivery.refresh_from_db()
            return delivery.first_attempt_at

        wait_until(lambda: first_attempt(back), timeout=30, what="a first attempt")
        wait_until(
            lambda: clock() >= back.first_attempt_at + 6 * HOURS, timeout=60, what="six hours"
        )
        back.refresh_from_db()
        assert back.status == "pending" and back.attempts >= 6
        returning = WebhookReceiver(reserved=returning_socket).start()
        wait_until(
            lambda: WebhookDelivery.objects.get(pk=back.pk).status == "delivered",
            timeout=60,
            what="the webhook once its receiver is back",
        )
        wait_until(
            lambda: WebhookDelivery.objects.get(pk=gone.pk).status == "failed",
            timeout=90,
            what="the other to fail at 24 h",
        )
        time.sleep(2)  # room for a duplicate, were there one
        back.refresh_from_db()
        gone.refresh_from_db()
    finally:
        if returning is not None:
            returning.stop()
        returning_socket.close()
        gone_socket.close()
        removebg.stop()

    assert len(returning.requests) == 1
    assert back.delivered_at - back.first_attempt_at >= 6 * HOURS
    attempts = list(back.delivery_attempts.order_by("attempted_at"))
    assert len(attempts) == back.attempts
    assert [a.status_code for a in attempts[-1:]] == [200]
    assert all(a.status_code != 200 and a.error for a in attempts[:-1])

    logged = list(gone.delivery_attempts.order_by("attempted_at"))
    assert len(logged) == gone.attempts >= 10
    assert all(a.status_code != 200 and a.error for a in logged)
    span = logged[-1].attempted_at - logged[0].attempted_at
    assert 24 * HOURS <= span < 25 * HOURS
    REPORT.notes.append(
        f"webhooks: delivered after {(back.delivered_at - back.first_attempt_at) / HOURS:.1f} "
        f"simulated h down ({back.attempts} attempts); the other failed after "
        f"{span / HOURS:.1f} h and {gone.attempts} attempts, all logged"
    )
