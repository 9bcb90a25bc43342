"""PUT /v1/files/rename."""

from __future__ import annotations

import pytest

from medialib.models import Asset
from tests.factories import AssetFactory

URL = "/v1/files/rename"


def test_it_renames_the_file_in_its_folder(api_client, db):
    asset = AssetFactory(name="old.png", file_path="/a/old.png")

    response = api_client.put(
        URL, {"filePath": "/a/old.png", "newFileName": "new name!.png"}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {}
    asset.refresh_from_db()
    assert (asset.name, asset.file_path) == ("new name_.png", "/a/new name_.png")


def test_it_accepts_purge_cache(api_client, db):
    AssetFactory(name="old.png")

    response = api_client.put(
        URL, {"filePath": "/old.png", "newFileName": "new.png", "purgeCache": True}, format="json"
    )

    assert response.status_code == 200
    assert Asset.objects.get().file_path == "/new.png"


def test_it_answers_409_when_the_name_is_taken(api_client, db):
    AssetFactory(name="old.png")
    AssetFactory(name="new.png")

    response = api_client.put(
        URL, {"filePath": "/old.png", "newFileName": "new.png"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["reason"] == "FILE_ALREADY_EXISTS"
    assert set(Asset.objects.values_list("name", flat=True)) == {"old.png", "new.png"}


def test_renaming_to_the_same_name_changes_nothing(api_client, db):
    AssetFactory(name="same.png")

    response = api_client.put(
        URL, {"filePath": "/same.png", "newFileName": "same.png"}, format="json"
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"filePath": "/missing.png", "newFileName": "x.png"}, 404, "No file found"),
        ({"newFileName": "x.png"}, 400, "filePath is required"),
        ({"filePath": "/old.png"}, 400, "newFileName is required"),
        ({"filePath": "/old.png", "newFileName": "../x.png"}, 400, "not a path"),
        ({"filePath": "/old.png", "newFileName": ".."}, 400, "not a path"),
        ({"filePath": "/old.png", "newFileName": "a/b.png"}, 400, "not a path"),
        ({"filePath": "/old.png", "newFileName": "x" * 300}, 400, "newFileName is longer"),
        ({"filePath": "/old.png", "newFileName": "x.png", "purgeCache": "no"}, 400, "purgeCache"),
    ],
)
def test_it_refuses_bad_requests(api_client, db, body, status, message):
    AssetFactory(name="old.png")

    response = api_client.put(URL, body, format="json")

    assert response.status_code == status
    assert message in response.json()["message"]
    assert Asset.objects.get().file_path == "/old.png"
