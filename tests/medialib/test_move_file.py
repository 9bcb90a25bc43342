"""POST /v1/files/move."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from medialib.models import Asset, Folder
from tests.factories import AssetFactory

URL = "/v1/files/move"


def test_it_moves_the_same_file_to_another_folder(api_client, db):
    asset = AssetFactory(name="shoe.png")

    response = api_client.post(
        URL, {"sourceFilePath": "/shoe.png", "destinationPath": "/shoes/"}, format="json"
    )

    assert response.status_code == 204
    asset.refresh_from_db()
    assert (asset.file_path, asset.folder) == ("/shoes/shoe.png", Folder.objects.get(path="/shoes"))
    details = api_client.get(f"/v1/files/{asset.file_id}/details").json()
    assert details["filePath"] == "/shoes/shoe.png"
    assert default_storage.exists(asset.current_version.storage_key)


def test_it_moves_back_to_the_root(api_client, db):
    asset = AssetFactory(name="shoe.png", file_path="/a/shoe.png")

    response = api_client.post(
        URL, {"sourceFilePath": "/a/shoe.png", "destinationPath": "/"}, format="json"
    )

    assert response.status_code == 204
    asset.refresh_from_db()
    assert (asset.file_path, asset.folder) == ("/shoe.png", None)


def test_it_appends_to_an_existing_file_and_removes_the_source(
    api_client, db, django_capture_on_commit_callbacks
):
    source = AssetFactory(name="shoe.png", version__size=(30, 30))
    existing = AssetFactory(name="shoe.png", file_path="/b/shoe.png", version__size=(5, 5))

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            URL, {"sourceFilePath": "/shoe.png", "destinationPath": "/b"}, format="json"
        )

    assert response.status_code == 204
    assert list(Asset.objects.all()) == [existing]
    existing.refresh_from_db()
    assert existing.current_version.width == 30
    assert not default_storage.exists(source.current_version.storage_key)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"sourceFilePath": "/missing.png", "destinationPath": "/b"}, 404),
        ({"sourceFilePath": "/shoe.png", "destinationPath": "/../etc"}, 400),
        ({"sourceFilePath": "/shoe.png", "destinationPath": 5}, 400),
        ({"sourceFilePath": "/shoe.png/", "destinationPath": "/b"}, 400),
    ],
)
def test_it_refuses_bad_requests(api_client, db, body, status):
    asset = AssetFactory(name="shoe.png")

    response = api_client.post(URL, body, format="json")

    assert response.status_code == status
    asset.refresh_from_db()
    assert asset.file_path == "/shoe.png"
