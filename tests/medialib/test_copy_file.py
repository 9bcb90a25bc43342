"""POST /v1/files/copy."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.db.models.signals import post_save

from medialib.models import AITag, Asset, AssetTag, Folder
from tests.factories import AssetFactory, TagFactory, make_image_bytes

URL = "/v1/files/copy"


def read(key: str) -> bytes:
    with default_storage.open(key) as stored:
        return stored.read()


@pytest.fixture
def source(db):
    asset = AssetFactory(
        name="shoe.png",
        version=make_image_bytes((30, 20), "green"),
        custom_metadata={"brand": "Nike"},
        description="A shoe",
    )
    AssetTag.objects.create(asset=asset, tag=TagFactory(name="sale"))
    AITag.objects.create(asset=asset, name="Shoe", confidence=90, source="aws-auto-tagging")
    return asset


def test_it_copies_a_file_into_a_new_folder_as_a_new_file(api_client, source):
    response = api_client.post(
        URL, {"sourceFilePath": "/shoe.png", "destinationPath": "/archive/2024/"}, format="json"
    )

    assert response.status_code == 204
    copy = Asset.objects.get(file_path="/archive/2024/shoe.png")
    assert copy.file_id != source.file_id
    assert copy.folder == Folder.objects.get(path="/archive/2024")
    assert (copy.custom_metadata, copy.description) == ({"brand": "Nike"}, "A shoe")
    assert list(copy.asset_tags.values_list("tag__name", flat=True)) == ["sale"]
    assert list(copy.ai_tags.values_list("name", flat=True)) == ["Shoe"]
    version = copy.current_version
    assert (version.number, version.version_id) == (1, copy.file_id)
    assert version.storage_key != source.current_version.storage_key
    assert read(version.storage_key) == read(source.current_version.storage_key)
    details = api_client.get(f"/v1/files/{copy.file_id}/details").json()
    assert (details["filePath"], details["width"]) == ("/archive/2024/shoe.png", 30)


def test_it_copies_every_version_when_asked(api_client, upload):
    upload(make_image_bytes((10, 10)), fileName="a.png", useUniqueFileName="false")
    upload(make_image_bytes((20, 20)), fileName="a.png", useUniqueFileName="false")

    response = api_client.post(
        URL,
        {"sourceFilePath": "/a.png", "destinationPath": "/b", "includeFileVersions": True},
        format="json",
    )

    assert response.status_code == 204
    copy = Asset.objects.get(file_path="/b/a.png")
    widths = list(copy.versions.order_by("number").values_list("width", flat=True))
    assert widths == [10, 20]
    assert copy.current_version.width == 20


def test_it_appends_to_an_existing_file_at_the_destination(api_client, source):
    existing = AssetFactory(name="shoe.png", file_path="/archive/shoe.png", version__size=(5, 5))

    response = api_client.post(
        URL, {"sourceFilePath": "/shoe.png", "destinationPath": "/archive"}, format="json"
    )

    assert response.status_code == 204
    existing.refresh_from_db()
    assert existing.versions.count() == 2
    assert existing.current_version.width == 30
    assert Asset.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"sourceFilePath": "/nope.png", "destinationPath": "/a"}, 404, "No file found"),
        ({"destinationPath": "/a"}, 400, "sourceFilePath is required"),
        ({"sourceFilePath": "/shoe.png"}, 400, "destinationPath must be a string"),
        ({"sourceFilePath": "/shoe.png", "destinationPath": "/"}, 400, "the same file"),
        ({"sourceFilePath": "/shoe.png", "destinationPath": "/a/../.."}, 400, ".."),
        ({"sourceFilePath": "/../shoe.png", "destinationPath": "/a"}, 400, ".."),
        ({"sourceFilePath": "/shoe.png", "destinationPath": "/a\\b"}, 400, "backslash"),
        (
            {"sourceFilePath": "/shoe.png", "destinationPath": "/a", "includeFileVersions": "y"},
            400,
            "includeFileVersions must be true or false",
        ),
    ],
)
def test_it_refuses_bad_requests(api_client, source, body, status, message):
    response = api_client.post(URL, body, format="json")

    assert response.status_code == status
    assert message in response.json()["message"]
    assert Asset.objects.count() == 1


def test_a_destination_taken_meanwhile_gives_a_retryable_409(api_client, source):
    def copy_meanwhile(sender, instance, created, **kwargs):
        post_save.disconnect(copy_meanwhile, sender=Folder)
        AssetFactory(name="shoe.png", file_path="/archive/shoe.png", folder=instance)

    post_save.connect(copy_meanwhile, sender=Folder)
    try:
        response = api_client.post(
            URL, {"sourceFilePath": "/shoe.png", "destinationPath": "/archive"}, format="json"
        )
    finally:
        post_save.disconnect(copy_meanwhile, sender=Folder)

    assert response.status_code == 409
    assert response.json()["reason"] == "FILE_ALREADY_EXISTS"
    assert list(Asset.objects.all()) == [source]
