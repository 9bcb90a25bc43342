"""Rate limits: 429 with ImageKit's X-RateLimit-* headers, per key and per address."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from medialib.services import api_key_create
from tests.conftest import basic_auth
from tests.factories import make_image_bytes
from tests.medialib.conftest import UPLOAD_URL

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters() -> None:
    cache.clear()


def key_client(address: str = "127.0.0.1") -> APIClient:
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=basic_auth(api_key_create(name="k").private_key))
    return client


def test_a_key_past_its_limit_gets_429_with_imagekits_headers(settings):
    settings.MEDIALIB_RATE_LIMIT_PER_CALLER = (3, 60)
    client = key_client()

    statuses = [client.get("/v1/files").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    refused = client.get("/v1/files")
    assert refused.json()["message"]
    assert refused["X-RateLimit-Limit"] == "3"
    assert refused["X-RateLimit-Interval"] == "60000"
    assert 0 < int(refused["X-RateLimit-Reset"]) <= 60000
    # Another key is counted apart.
    assert key_client().get("/v1/files").status_code == 200


def test_an_address_past_its_limit_gets_429_whatever_the_key(settings):
    settings.MEDIALIB_RATE_LIMIT_PER_ADDRESS = (2, 60)

    statuses = [key_client("10.0.0.7").get("/v1/files").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert key_client("10.0.0.8").get("/v1/files").status_code == 200


def test_uploads_have_their_own_limit(settings):
    settings.MEDIALIB_RATE_LIMIT_PER_CALLER = (1, 60)
    settings.MEDIALIB_RATE_LIMIT_UPLOAD_PER_CALLER = (3, 60)
    client = key_client()

    assert client.get("/v1/files").status_code == 200
    assert client.get("/v1/files").status_code == 429
    for _ in range(3):
        form = {
            "file": SimpleUploadedFile("upload", make_image_bytes(), "application/octet-stream"),
            "fileName": "a.png",
        }
        assert client.post(UPLOAD_URL, form, format="multipart").status_code == 200
