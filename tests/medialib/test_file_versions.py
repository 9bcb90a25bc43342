"""GET /v1/files/{fileId}/versions, GET|DELETE .../versions/{versionId}, PUT .../restore."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.storage import default_storage

from medialib import services
from medialib.models import Asset, AssetVersion
from tests.factories import AssetFactory, make_image_bytes


@pytest.fixture
def two_versions(upload):
    """A file uploaded twice at the same path: version 1 red 64x48, version 2 blue 20x10."""
    first = upload(make_image_bytes((64, 48), "red"), useUniqueFileName="false")
    assert first.status_code == 200, first.json()
    second = upload(make_image_bytes((20, 10), "blue"), useUniqueFileName="false")
    assert second.status_code == 200, second.json()
    assert second.json()["fileId"] == first.json()["fileId"]
    return Asset.objects.get(file_id=first.json()["fileId"])


def versions_url(asset: Asset, version: AssetVersion | None = None, suffix: str = "") -> str:
    url = f"/v1/files/{asset.file_id}/versions"
    return f"{url}/{version.version_id}{suffix}" if version else url


def stored_bytes(version: AssetVersion) -> bytes:
    with default_storage.open(version.storage_key) as stored:
        return stored.read()


def test_it_lists_all_versions_oldest_first(api_client, two_versions):
    response = api_client.get(versions_url(two_versions))

    assert response.status_code == 200
    items = response.json()
    assert [item["type"] for item in items] == ["file-version", "file"]
    assert [item["versionInfo"]["name"] for item in items] == ["Version 1", "Version 2"]
    assert items[0]["versionInfo"]["id"] == two_versions.file_id
    assert [(item["width"], item["height"]) for item in items] == [(64, 48), (20, 10)]
    assert {item["fileId"] for item in items} == {two_versions.file_id}


def test_it_gets_one_version(api_client, two_versions):
    old = two_versions.versions.get(number=1)

    response = api_client.get(versions_url(two_versions, old))

    assert response.status_code == 200
    assert response.json()["versionInfo"] == {"id": old.version_id, "name": "Version 1"}
    assert response.json()["type"] == "file-version"
    current = api_client.get(versions_url(two_versions, two_versions.current_version))
    assert current.json()["type"] == "file"


def test_it_answers_404_for_unknown_files_and_versions(api_client, two_versions):
    assert api_client.get(f"/v1/files/{'0' * 24}/versions").status_code == 404
    missing = api_client.get(f"{versions_url(two_versions)}/{'f' * 24}")
    assert missing.status_code == 404
    assert missing.json()["message"] == "The requested file version does not exist."
    assert api_client.get(f"{versions_url(two_versions)}/a%00b").status_code == 404


def test_it_restores_an_old_version_as_a_new_current_one(
    api_client, two_versions, django_capture_on_commit_callbacks
):
    old = two_versions.versions.get(number=1)

    response = api_client.put(versions_url(two_versions, old, "/restore"))

    assert response.status_code == 200
    body = response.json()
    assert body["versionInfo"]["name"] == "Version 3"
    assert (body["width"], body["height"], body["type"]) == (64, 48, "file")
    restored = AssetVersion.objects.get(version_id=body["versionInfo"]["id"])
    assert restored.origin == AssetVersion.Origin.RESTORE
    assert restored.origin_detail == old.version_id
    assert restored.storage_key != old.storage_key
    assert stored_bytes(restored) == stored_bytes(old)
    assert hashlib.sha256(stored_bytes(restored)).hexdigest() == old.checksum
    two_versions.refresh_from_db()
    assert two_versions.current_version == restored
    # The copy stands alone: deleting the version it came from leaves it whole.
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.delete(versions_url(two_versions, old)).status_code == 204
    assert stored_bytes(restored) == make_image_bytes((64, 48), "red")


def test_it_copies_the_thumbnail_when_restoring(api_client, two_versions):
    old = two_versions.versions.get(number=1)
    assert old.thumbnail_key

    restored = services.asset_version_restore(asset=two_versions, version=old)

    assert restored.thumbnail_key and restored.thumbnail_key != old.thumbnail_key
    with (
        default_storage.open(restored.thumbnail_key) as copy,
        default_storage.open(old.thumbnail_key) as original,
    ):
        assert copy.read() == original.read()


def test_it_refuses_to_restore_the_current_version(api_client, two_versions):
    response = api_client.put(versions_url(two_versions, two_versions.current_version, "/restore"))

    assert response.status_code == 400
    assert two_versions.versions.count() == 2


def test_it_deletes_an_old_version_and_its_stored_object(
    api_client, two_versions, django_capture_on_commit_callbacks
):
    old = two_versions.versions.get(number=1)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.delete(versions_url(two_versions, old))

    assert response.status_code == 204
    assert list(two_versions.versions.values_list("number", flat=True)) == [2]
    assert not default_storage.exists(old.storage_key)


def test_it_refuses_to_delete_the_current_version(api_client, two_versions):
    response = api_client.delete(versions_url(two_versions, two_versions.current_version))

    assert response.status_code == 400
    assert response.json()["message"] == "The current version of a file cannot be deleted."
    assert two_versions.versions.count() == 2


def test_it_keeps_at_most_100_versions_pruning_the_oldest(
    two_versions, django_capture_on_commit_callbacks
):
    first = two_versions.versions.get(number=1)
    template = two_versions.current_version
    AssetVersion.objects.bulk_create(
        AssetVersion(
            asset=two_versions,
            number=number,
            name=template.name,
            storage_key=template.storage_key,
            size=template.size,
            mime=template.mime,
            checksum=template.checksum,
        )
        for number in range(3, 101)
    )
    assert two_versions.versions.count() == 100

    with django_capture_on_commit_callbacks(execute=True):
        services.asset_version_restore(asset=two_versions, version=first)

    numbers = list(two_versions.versions.order_by("number").values_list("number", flat=True))
    assert numbers == list(range(2, 102))
    assert not default_storage.exists(first.storage_key)


def test_it_refuses_a_version_of_another_file(api_client, two_versions):
    other = AssetFactory()
    old = two_versions.versions.get(number=1)

    restore = api_client.put(f"/v1/files/{other.file_id}/versions/{old.version_id}/restore")
    delete = api_client.delete(f"/v1/files/{other.file_id}/versions/{old.version_id}")

    assert (restore.status_code, delete.status_code) == (404, 404)
    assert two_versions.versions.count() == 2
    assert other.versions.count() == 1
