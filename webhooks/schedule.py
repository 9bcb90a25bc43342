"""When a webhook delivery is tried again.

After the first attempt: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h,
then every 8 h, each delay with ±20% jitter so that deliveries that failed
together do not come back together. Retries stop 24 hours after the first
attempt: the last retry is made at that mark (a delay that would pass it is cut
short), and when it fails the delivery is `failed`.

The clock and the random source are class attributes, so tests can simulate the
24 hours (`DeliverySchedule.clock = fake.now`) without patching functions.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from django.utils import timezone


class DeliverySchedule:
    delays: tuple[timedelta, ...] = (
        timedelta(seconds=5),
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=10),
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(hours=2),
        timedelta(hours=4),
        timedelta(hours=8),
    )
    repeat_delay = timedelta(hours=8)
    window = timedelta(hours=24)
    jitter = 0.2
    clock: Callable[[], datetime] = staticmethod(timezone.now)
    random: random.Random = random.Random()

    @classmethod
    def now(cls) -> datetime:
        return cls.clock()

    @classmethod
    def delay_after(cls, attempts: int) -> timedelta:
        """The nominal wait after the `attempts`-th attempt (1-based), before jitter."""
        if attempts <= len(cls.delays):
            return cls.delays[attempts - 1]
        return cls.repeat_delay

    @classmethod
    def next_attempt_at(
        cls, *, attempts: int, first_attempt_at: datetime, now: datetime
    ) -> datetime | None:
        """When to try again after `attempts` failed attempts; None when the window is over."""
        deadline = first_attempt_at + cls.window
        if now >= deadline:
            return None
        factor = cls.random.uniform(1 - cls.jitter, 1 + cls.jitter)
        return min(now + cls.delay_after(attempts) * factor, deadline)
