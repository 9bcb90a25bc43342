"""Domain events: how a lower layer says what happened without naming who listens.

An app announces an event (a frozen dataclass) from inside the transaction of
the change it describes; every subscriber of that event type runs at once, in
the same transaction. A subscriber writes its own rows there (an outbox
delivery, a run), so they commit or roll back with the change, and puts
anything that leaves the database (a task, a request) in
`transaction.on_commit`. A rolled-back change therefore announces nothing that
lasts.

Subscribers register in their app's `AppConfig.ready()`, so the announcing app
never imports them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

Event = TypeVar("Event")

_subscribers: defaultdict[type, list[Callable[[Any], None]]] = defaultdict(list)


def subscribe(
    event_type: type[Event],
) -> Callable[[Callable[[Event], None]], Callable[[Event], None]]:
    """Decorator: call the function with every announced event of `event_type`."""

    def register(handler: Callable[[Event], None]) -> Callable[[Event], None]:
        if handler not in _subscribers[event_type]:
            _subscribers[event_type].append(handler)
        return handler

    return register


def announce(event: object) -> None:
    """Call the subscribers of the event's type, in the order they subscribed."""
    for handler in _subscribers[type(event)]:
        handler(event)
