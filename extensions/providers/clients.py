"""One API client per thread and configuration, reused across calls.

Creating a client costs more than most calls (boto3: about 25 ms of CPU to load the
service model; Google: a new HTTP session, so a new connection). Clients are kept per
thread, because a requests session is not documented as thread-safe, and per
configuration, so changing the settings (a test pointing at another fake) takes effect.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

_T = TypeVar("_T")
_local = threading.local()


def thread_client(key: Hashable, factory: Callable[[], _T]) -> _T:
    """Return this thread's client for `key`, made by `factory` on first use."""
    clients = _local.__dict__.setdefault("clients", {})
    if key not in clients:
        clients[key] = factory()
    return clients[key]
