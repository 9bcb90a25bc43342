"""Extensions through the official `imagekitio` SDK (v5), against a live server.

The SDK's types spell the auto-tagging fields `max_tags` / `min_confidence`. Its upload
serialises `extensions` to a JSON string before renaming keys, so the upload sends them
snake_case; its update renames them to camelCase. A caller who passes ImageKit's own
camelCase keys sends those unchanged on both paths. All four must work.
"""

from __future__ import annotations

import pytest
from imagekitio import ImageKit

from medialib.services import api_key_create
from tests.factories import make_image_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SNAKE = {"name": "google-auto-tagging", "max_tags": 2, "min_confidence": 80}
CAMEL = {"name": "google-auto-tagging", "maxTags": 2, "minConfidence": 80}


@pytest.fixture
def client(live_server, transactional_db) -> ImageKit:
    issued = api_key_create(name="sdk extensions")
    return ImageKit(
        private_key=issued.private_key,
        base_url=live_server.url,
        max_retries=0,
        _strict_response_validation=True,
    )


@pytest.mark.parametrize("item", [SNAKE, CAMEL], ids=["snake_case", "camelCase"])
def test_the_sdk_uploads_and_updates_with_auto_tagging(client: ImageKit, vision_fake, item):
    uploaded = client.files.upload(file=make_image_bytes(), file_name="cat.png", extensions=[item])

    assert uploaded.extension_status.google_auto_tagging == "success"
    assert [(tag.name, tag.confidence) for tag in uploaded.ai_tags] == [
        ("Cat", 97.0),
        ("Whiskers", 91.0),
    ]
    upload_request = vision_fake.requests[-1].body["requests"][0]
    assert upload_request["features"][0]["maxResults"] == 2

    updated = client.files.update(
        uploaded.file_id, remove_ai_tags="all", extensions=[{**item, "name": "google-auto-tagging"}]
    )

    assert updated.extension_status.google_auto_tagging == "success"
    assert [tag.name for tag in updated.ai_tags] == ["Cat", "Whiskers"]
    assert len(vision_fake.requests) == 2
