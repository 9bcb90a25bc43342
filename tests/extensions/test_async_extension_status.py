"""remove-bg is always asynchronous: the upload answers `pending` for it, whatever the timing.

The sync extension of the same request (Google, faked on loopback) answers only once the
worker has finished remove-bg, so the response is built after the async run succeeded:
the race a fast worker wins in production, made certain.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.db import connection

from extensions.models import ExtensionRun
from tests.factories import make_image_bytes
from tests.fakes.loopback import wait_for
from tests.fakes.vision import FakeVision

pytestmark = [pytest.mark.slow]


class VisionAfterRemoveBg(FakeVision):
    """Vision that answers after the file's remove-bg run has finished on the worker."""

    def answer(self, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        try:
            self.remove_bg_finished = wait_for(
                lambda: ExtensionRun.objects.filter(name="remove-bg", status="success").exists(),
                timeout=20,
            )
        finally:
            # The fake's request thread must not keep a connection to the test database,
            # which could not be dropped at the end of the run.
            connection.close()
        return super().answer(path, headers, body)


@pytest.fixture
def slow_vision(settings, removebg_fake):
    fake = VisionAfterRemoveBg().start()
    settings.GOOGLE_VISION_API_ENDPOINT = fake.url
    settings.GOOGLE_VISION_API_KEY = "fake-vision-key"
    settings.EXTENSIONS_SYNC_BUDGET = 30
    yield fake
    fake.stop()


def test_remove_bg_is_pending_even_when_the_worker_finished_it_first(
    celery_worker, api_client, slow_vision
):
    extensions = [
        {"name": "remove-bg"},
        {"name": "google-auto-tagging", "minConfidence": 0, "maxTags": 5},
    ]

    response = api_client.post(
        "/api/v1/files/upload",
        {
            "file": io.BytesIO(make_image_bytes((40, 30), "green", fmt="JPEG")),
            "fileName": "photo.jpg",
            "extensions": json.dumps(extensions),
        },
        format="multipart",
    )

    assert response.status_code == 200, response.content
    assert slow_vision.remove_bg_finished
    assert response.json()["extensionStatus"] == {
        "google-auto-tagging": "success",
        "remove-bg": "pending",
    }
