"""Names answered from a table instead of DNS, installed as the private-address guard's resolver."""

from __future__ import annotations

import socket

import pytest

from core.ssrf import AddressGuard


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
