"""POST /v1/files/batch/deleteByFileIds."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from medialib.models import Asset, AssetVersion
from tests.factories import AssetFactory

URL = "/v1/files/batch/deleteByFileIds"


def test_it_deletes_the_files_their_versions_and_stored_objects(
    api_client, db, django_capture_on_commit_callbacks
):
    first, second, kept = AssetFactory(), AssetFactory(), AssetFactory()
    keys = [first.current_version.storage_key, second.current_version.storage_key]

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(URL, {"fileIds": [first.file_id, second.file_id]}, format="json")

    assert response.status_code == 200
    assert response.json() == {"successfullyDeletedFileIds": [first.file_id, second.file_id]}
    assert list(Asset.objects.all()) == [kept]
    assert list(AssetVersion.objects.values_list("asset", flat=True)) == [kept.pk]
    assert not any(default_storage.exists(key) for key in keys)
    assert default_storage.exists(kept.current_version.storage_key)


def test_it_deletes_nothing_when_a_file_is_missing(
    api_client, db, django_capture_on_commit_callbacks
):
    asset = AssetFactory()

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(URL, {"fileIds": [asset.file_id, "f" * 24]}, format="json")

    assert response.status_code == 404
    assert response.json()["missingFileIds"] == ["f" * 24]
    assert Asset.objects.filter(pk=asset.pk).exists()
    assert default_storage.exists(asset.current_version.storage_key)


def test_a_repeated_delete_reports_the_files_as_missing(api_client, db):
    asset = AssetFactory()
    api_client.post(URL, {"fileIds": [asset.file_id]}, format="json")

    response = api_client.post(URL, {"fileIds": [asset.file_id]}, format="json")

    assert response.status_code == 404
    assert response.json()["missingFileIds"] == [asset.file_id]


@pytest.mark.parametrize("body", [{}, {"fileIds": []}, {"fileIds": [None]}, {"fileIds": "x"}])
def test_it_refuses_bad_bodies(api_client, db, body):
    response = api_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert "fileIds" in response.json()["message"]
