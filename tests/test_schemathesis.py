"""schemathesis against the OpenAPI schema: every operation, authenticated, a bounded
number of examples each: no 5xx, no response that breaks the schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from medialib.services import api_key_create
from tests.conftest import basic_auth

EXAMPLES = 8
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _load_schema():
    from django.test import override_settings

    from config.wsgi import application

    with override_settings(ALLOWED_HOSTS=["localhost", "testserver"]):
        loaded = schemathesis.openapi.from_wsgi("/api/schema/", application)
    return loaded


schema = _load_schema()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_answers_without_5xx_and_within_the_schema(
    case, db, media_storage, settings
):
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    key = api_key_create(name="fuzz").private_key
    response = case.call(headers={"Authorization": basic_auth(key)})
    assert response.status_code < 500, (case.method, case.path, response.text[:300])
    # The checks of this issue: no 5xx, and every response as the schema says (status,
    # content type, body). Not the negative-testing checks: a schema-valid value the
    # service refuses (a file id that does not exist) is a clear 4xx, not a defect.
    case.validate_response(response, checks=CHECKS)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """As Django's test client does: requests must not close the test's connection."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def media_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media", "base_url": "/media/"},
        },
    }
