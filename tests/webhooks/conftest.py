from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.fakes.webhook_receiver import WebhookReceiver
from webhooks.schedule import DeliverySchedule


@pytest.fixture(autouse=True)
def _webhook_settings(settings) -> None:
    # Receivers live on loopback, which the guard refuses unless told otherwise;
    # the guard's own tests turn it back on.
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOKS_TIMEOUT = 5.0


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def set(self, when: datetime) -> None:
        self.current = when

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    monkeypatch.setattr(DeliverySchedule, "clock", fake.now)
    return fake


class ExtremeJitter:
    """A random source that always picks the lowest (or highest) jitter."""

    def __init__(self, *, highest: bool) -> None:
        self.highest = highest

    def uniform(self, low: float, high: float) -> float:
        return high if self.highest else low
