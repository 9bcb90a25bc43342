from __future__ import annotations

import base64
import socket
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from rest_framework.test import APIClient

from config.celery import app as celery_app
from core.ssrf import AddressGuard
from medialib.services import IssuedApiKey, api_key_create
from tests.fakes.removebg import removebg_fake  # noqa: F401 (a fixture for the whole suite)
from tests.fakes.resolver import hosts  # noqa: F401 (a fixture for the whole suite)


def resolve_loopback_only(host: str, port: int, *args: object, **kwargs: object) -> list:
    """getaddrinfo for tests: numeric addresses (in every form the C library reads)
    and localhost only, never a DNS query."""
    if host != "localhost":
        kwargs["flags"] = socket.AI_NUMERICHOST
    try:
        return socket.getaddrinfo(host, port, *args, **kwargs)
    except socket.gaierror:
        raise socket.gaierror(socket.EAI_NONAME, f"tests resolve no names ({host})") from None


@pytest.fixture(autouse=True, scope="session")
def _no_dns_lookups() -> Iterator[None]:
    """Outbound requests of the product resolve no name through real DNS during tests.

    Together with providers pointed at loopback, this keeps every test's traffic
    on this machine even where a test names a host like hooks.example.com.
    """
    original = AddressGuard.resolver
    AddressGuard.resolver = staticmethod(resolve_loopback_only)
    yield
    AddressGuard.resolver = original


def basic_auth(private_key: str) -> str:
    """The Authorization header ImageKit's SDKs send: the private key as user name."""
    return "Basic " + base64.b64encode(f"{private_key}:do_not_set".encode()).decode()


@pytest.fixture
def issued_key(db) -> IssuedApiKey:
    return api_key_create(name="tests")


@pytest.fixture
def api_client(issued_key: IssuedApiKey) -> APIClient:
    """A REST client authenticated as ImageKit's SDKs are, with a fresh API key."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth(issued_key.private_key))
    return client


@pytest.fixture(scope="session")
def _celery_session_worker(django_db_setup, django_db_blocker) -> Iterator[object]:
    """One real Celery worker for the session, on the configured broker.

    It runs in a thread of the test process and consumes every queue, so tasks
    go through the broker and the result backend for real. Tests reach it
    through the `celery_worker` fixture, which gives them a committed database.
    """
    celery_app.loader.import_module("celery.contrib.testing.tasks")
    with (
        django_db_blocker.unblock(),
        start_worker(
            celery_app,
            pool="threads",
            concurrency=4,
            queues=settings.CELERY_QUEUES_ALL,
            perform_ping_check=True,
            shutdown_timeout=30,
            loglevel="WARNING",
        ) as worker,
    ):
        yield worker


@pytest.fixture
def celery_worker(transactional_db, _celery_session_worker) -> object:
    return _celery_session_worker
