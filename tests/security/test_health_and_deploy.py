"""/healthz tells strangers only that it lives (check --deploy runs in .ci/run)."""

from __future__ import annotations

import pytest

from medialib.services import api_key_create
from tests.conftest import basic_auth

pytestmark = pytest.mark.django_db


def test_an_anonymous_remote_caller_gets_liveness_only(client, settings):
    # A broken broker would make the full check answer 503: liveness runs no check.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT = None

    response = client.get("/healthz", REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_a_remote_caller_with_a_key_gets_readiness(client):
    key = api_key_create(name="probe").private_key

    response = client.get("/healthz", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION=basic_auth(key))

    assert set(response.json()["checks"]) == {"database", "broker", "storage"}


def test_a_failing_check_does_not_reveal_its_error(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT = None

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == {"status": "down"}
    assert "127.0.0.1" not in response.content.decode()
