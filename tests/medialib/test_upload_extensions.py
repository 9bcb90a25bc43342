"""Uploads and updates that request extensions (through the extensions app's services)."""

from __future__ import annotations

import json

import pytest

from extensions.models import ExtensionRun
from medialib.models import Asset
from tests.medialib.conftest import stored_files

pytestmark = pytest.mark.django_db

REMOVE_BG = json.dumps([{"name": "remove-bg"}])


def test_an_upload_with_extensions_answers_their_status(upload):
    response = upload(extensions=REMOVE_BG)

    body = response.json()
    assert response.status_code == 200, body
    assert body["extensionStatus"] == {"remove-bg": "pending"}
    run = ExtensionRun.objects.get()
    assert run.asset.file_id == body["fileId"]
    assert run.version == run.asset.current_version


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        (
            {"extensions": json.dumps([{"name": "google-auto-tagging", "maxTags": 5}])},
            "minConfidence",
        ),
        ({"extensions": json.dumps([{"name": "no-such-extension"}])}, "no-such-extension"),
        ({"webhookUrl": "ftp://example.com/hook"}, "ebhook"),
    ],
)
def test_invalid_extensions_or_webhook_are_refused_before_anything_is_written(
    upload, media_storage, fields, named
):
    response = upload(**fields)

    assert response.status_code == 400
    assert named in response.json()["message"]
    assert not Asset.objects.exists()
    assert not ExtensionRun.objects.exists()
    assert stored_files(media_storage) == []


def test_an_update_with_extensions_answers_their_status(api_client, upload):
    file_id = upload().json()["fileId"]

    response = api_client.patch(
        f"/v1/files/{file_id}/details",
        {"extensions": [{"name": "remove-bg"}], "removeAITags": "all"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["extensionStatus"] == {"remove-bg": "pending"}
    details = api_client.get(f"/v1/files/{file_id}/details").json()
    assert details["extensionStatus"] == {"remove-bg": "pending"}
