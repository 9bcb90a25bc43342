"""Bad remove-bg options are a 400 from the API that creates nothing."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from extensions.models import ExtensionRun, UnitLedgerEntry
from extensions.selectors import unit_balance
from medialib.models import Asset, AssetVersion
from tests.factories import AssetFactory, make_image_bytes


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media", "base_url": "/media/"},
        },
    }
    return tmp_path / "media"


def upload(api_client: APIClient, extensions: Any) -> Any:
    return api_client.post(
        "/api/v1/files/upload",
        {
            "file": io.BytesIO(make_image_bytes()),
            "fileName": "photo.png",
            "extensions": json.dumps(extensions),
        },
        format="multipart",
    )


@pytest.mark.parametrize(
    ("options", "field", "words"),
    [
        (
            {"bg_color": "white", "bg_image_url": "https://example.com/bg.jpg"},
            "options.bg_image_url",
            "mutually exclusive",
        ),
        ({"add_shadow": True, "shadows": True}, "options.shadows", "Unknown remove-bg option"),
        ({"add_shadow": "yes"}, "options.add_shadow", "true or false"),
        ({"semitransparency": 1}, "options.semitransparency", "true or false"),
        ({"bg_color": "#ff0000"}, "options.bg_color", "without '#'"),
        ({"bg_color": 255}, "options.bg_color", "string"),
        ({"bg_image_url": "file:///etc/passwd"}, "options.bg_image_url", "http(s) URL"),
        ({"size": "enormous"}, "options.size", "must be one of"),
        ({"format": "gif"}, "options.format", "must be one of"),
        ({"crop_margin": "900px"}, "options.crop_margin", "at most 500px"),
        ("add_shadow", "options", "must be an object"),
        ([{"add_shadow": True}], "options", "must be an object"),
    ],
)
def test_bad_options_are_refused_and_nothing_is_created(
    api_client, media_root, options, field, words
):
    balance = unit_balance()

    response = upload(api_client, [{"name": "remove-bg", "options": options}])

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["field"] == field
    assert words in body["message"]
    assert "extensions[0] (remove-bg)" in body["message"]
    assert body["help"]
    assert not Asset.objects.exists()
    assert not AssetVersion.objects.exists()
    assert not ExtensionRun.objects.exists()
    assert not UnitLedgerEntry.objects.filter(reason="reserve").exists()
    assert unit_balance() == balance
    assert not media_root.exists() or not any(p.is_file() for p in media_root.rglob("*"))


def test_an_unknown_key_beside_options_is_refused(api_client, media_root):
    response = upload(api_client, [{"name": "remove-bg", "option": {"add_shadow": True}}])

    assert response.status_code == 400
    assert "option" in response.json()["message"]
    assert not Asset.objects.exists()


def test_valid_options_are_accepted_and_recorded_on_the_run(api_client, media_root, settings):
    settings.REMOVE_BG_API_KEY = "a-key"
    options = {"add_shadow": True, "bg_color": "81d4fa", "size": "full", "format": "png"}

    response = upload(api_client, [{"name": "remove-bg", "options": options}])

    assert response.status_code == 200, response.content
    assert response.json()["extensionStatus"] == {"remove-bg": "pending"}
    run = ExtensionRun.objects.get()
    assert run.params == {"options": options}
    assert run.backend == "remove-bg-api"


def test_updating_details_with_bad_options_is_refused_without_a_run(api_client, media_root):
    asset = AssetFactory()

    response = api_client.patch(
        f"/v1/files/{asset.file_id}/details",
        {"extensions": [{"name": "remove-bg", "options": {"bg_color": "nope-colour"}}]},
        format="json",
    )

    assert response.status_code == 400, response.content
    assert response.json()["field"] == "options.bg_color"
    assert not ExtensionRun.objects.exists()
    assert asset.versions.count() == 1
