from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.fakes.webhook_receiver import WebhookReceiver
from webhooks.schedule import DeliverySchedule
from webhooks.ssrf import AddressGuard


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


class HostsResolver:
    """Answers like socket.getaddrinfo from a table, never from DNS.

    A value is a list of addresses, or a list of such lists answered one per
    lookup (the last one repeating): a name that changes its answer.
    """

    def __init__(self, table: dict[str, list[str] | list[list[str]]]) -> None:
        self.table = table
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int, family: int = 0, type: int = 0, *args) -> list:
        self.lookups.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answers = self.table[host]
        if answers and isinstance(answers[0], list):
            addresses = answers.pop(0) if len(answers) > 1 else answers[0]
        else:
            addresses = answers
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
            if ":" in address
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
            for address in addresses
        ]


@pytest.fixture
def hosts(monkeypatch):
    """Install a HostsResolver in the guard: `hosts({"name.test": ["127.0.0.1"]})`."""

    def install(table: dict) -> HostsResolver:
        resolver = HostsResolver(table)
        monkeypatch.setattr(AddressGuard, "resolver", resolver)
        return resolver

    return install
