"""/healthz tells strangers only that it lives; production settings are safe by default."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from medialib.services import api_key_create
from tests.conftest import basic_auth

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


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


def test_check_deploy_passes_with_a_production_environment(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "VAR_DIR": str(tmp_path),
        "ALLOWED_HOSTS": "media.example.com",
        "SECRET_KEY": "x" * 20 + "production-secret-key-with-enough-variety-0123456789",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
