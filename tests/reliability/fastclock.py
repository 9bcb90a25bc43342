"""The Celery app of a reliability worker whose webhook schedule runs fast.

`celery -A tests.reliability.fastclock worker`: the product's app, with
`webhooks.schedule.DeliverySchedule.clock` (the schedule's clock, not real time)
running RELIABILITY_CLOCK_SPEED times faster than real time from
RELIABILITY_CLOCK_ANCHOR (a Unix time), so a test simulates hours in seconds.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

from config.celery import app
from webhooks.schedule import DeliverySchedule

__all__ = ["app", "fast_clock"]


def fast_clock(anchor: float, speed: float):
    def now() -> datetime:
        return datetime.fromtimestamp(anchor + (time.time() - anchor) * speed, tz=UTC)

    return now


if os.environ.get("RELIABILITY_CLOCK_SPEED"):
    DeliverySchedule.clock = staticmethod(
        fast_clock(
            float(os.environ["RELIABILITY_CLOCK_ANCHOR"]),
            float(os.environ["RELIABILITY_CLOCK_SPEED"]),
        )
    )
