"""The 24-hour retry schedule, with time simulated through DeliverySchedule's clock."""

from __future__ import annotations

import random
from datetime import timedelta
from itertools import pairwise

import pytest

from tests.fakes.webhook_receiver import answer, hang
from tests.webhooks.conftest import ExtremeJitter
from webhooks.models import WebhookDelivery
from webhooks.schedule import DeliverySchedule
from webhooks.services import delivery_attempt, delivery_create

NOMINAL_SECONDS = [5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800, 28800, 28800]


def attempt_until_settled(delivery: WebhookDelivery, clock) -> list:
    """Attempt whenever the delivery is due, jumping the clock there; return the attempt times."""
    times = []
    while True:
        attempt = delivery_attempt(delivery_id=delivery.pk)
        assert attempt is not None
        times.append(attempt.attempted_at)
        delivery.refresh_from_db()
        if delivery.status != WebhookDelivery.Status.PENDING:
            return times
        clock.set(delivery.next_attempt_at)


def test_it_retries_a_silent_receiver_on_schedule_for_24_hours_then_fails(
    db, receiver, clock, settings, monkeypatch
):
    settings.WEBHOOKS_TIMEOUT = 0.2
    monkeypatch.setattr(DeliverySchedule, "random", random.Random(20261125))
    receiver.script(hang())
    delivery = delivery_create(url=receiver.url(), event="extension.failure", payload={"a": 1})

    times = attempt_until_settled(delivery, clock)

    first = times[0]
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.next_attempt_at is None
    assert len(receiver.requests) == len(times) == delivery.attempts
    # Every wait but the last is its nominal delay ±20%; the last one is cut
    # short to make the final attempt exactly 24 hours after the first.
    for number, (earlier, later) in enumerate(pairwise(times[:-1]), start=1):
        nominal = NOMINAL_SECONDS[number - 1]
        assert 0.8 * nominal <= (later - earlier).total_seconds() <= 1.2 * nominal, number
    assert times[-1] == first + timedelta(hours=24)
    assert times[-2] < first + timedelta(hours=24)
    assert (times[-1] - times[-2]).total_seconds() <= 1.2 * NOMINAL_SECONDS[len(times) - 2]
    # The fixed steps take at most 18.9 h with jitter, then 8-hour steps fill the day.
    assert 11 <= len(times) <= 12
    assert delivery_attempt(delivery_id=delivery.pk) is None


@pytest.mark.parametrize(
    ("highest", "expected_attempts"),
    [
        # Shortest waits: the nine steps end at 12.6 h, +6.4 h = 19.0 h, then 24 h.
        (False, 12),
        # Longest waits: the nine steps end at 18.9 h; +9.6 h passes 24 h, so 24 h.
        (True, 11),
    ],
)
def test_it_makes_as_many_attempts_as_the_jitter_leaves_room_for(
    db, receiver, clock, monkeypatch, highest, expected_attempts
):
    monkeypatch.setattr(DeliverySchedule, "random", ExtremeJitter(highest=highest))
    receiver.script(answer(503))
    delivery = delivery_create(url=receiver.url(), event="extension.failure", payload={"a": 1})

    times = attempt_until_settled(delivery, clock)

    factor = 1.2 if highest else 0.8
    expected_times = [times[0]]
    for nominal in NOMINAL_SECONDS[: expected_attempts - 2]:
        expected_times.append(expected_times[-1] + timedelta(seconds=nominal * factor))
    expected_times.append(times[0] + timedelta(hours=24))
    assert times == expected_times
    assert delivery.status == WebhookDelivery.Status.FAILED


def test_it_delivers_on_a_late_retry_within_the_24_hours(db, receiver, clock):
    receiver.script(*[answer(500)] * 9, answer(200))
    delivery = delivery_create(url=receiver.url(), event="extension.success", payload={"a": 1})

    times = attempt_until_settled(delivery, clock)

    assert len(times) == 10
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert times[-1] - times[0] > timedelta(hours=12)


def test_it_stops_scheduling_once_the_24_hours_are_over(clock):
    first = clock.now()

    assert (
        DeliverySchedule.next_attempt_at(
            attempts=30, first_attempt_at=first, now=first + timedelta(hours=24)
        )
        is None
    )
    assert DeliverySchedule.next_attempt_at(
        attempts=11, first_attempt_at=first, now=first + timedelta(hours=23)
    ) == first + timedelta(hours=24)
