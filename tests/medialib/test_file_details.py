"""GET/PATCH /v1/files/{fileId}/details, GET and DELETE /v1/files/{fileId}."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from medialib.models import Asset, AssetVersion, Tag
from medialib.selectors import assets_for_listing
from medialib.services import asset_tags_set
from medialib.wire import file_details
from tests.factories import AssetFactory, make_image_bytes
from tests.medialib.conftest import stored_files

pytestmark = pytest.mark.django_db


def test_it_answers_the_file_object(api_client, upload):
    uploaded = upload(fileName="a.png", tags="x,y", useUniqueFileName="false").json()

    response = api_client.get(f"/v1/files/{uploaded['fileId']}/details")

    body = response.json()
    assert response.status_code == 200
    assert body["type"] == "file"
    assert body["fileId"] == uploaded["fileId"]
    assert body["tags"] == ["x", "y"]
    assert body["mime"] == "image/png"
    assert body["hasAlpha"] is False
    assert body["thumbnail"] == uploaded["thumbnailUrl"]
    assert body["customCoordinates"] is None
    assert body["customMetadata"] == {}
    assert body["createdAt"].endswith("Z") and len(body["createdAt"]) == 24
    assert "extensionStatus" not in body
    assert api_client.get(f"/v1/files/{uploaded['fileId']}").json() == body


def test_it_answers_404_for_an_unknown_file(api_client):
    response = api_client.get("/v1/files/ffffffffffffffffffffffff/details")

    assert response.status_code == 404
    assert set(response.json()) == {"message", "help"}


def test_it_updates_the_fields_given_and_keeps_the_others(api_client, upload):
    file_id = upload(tags="a", customMetadata='{"k": 1}', description="before").json()["fileId"]

    response = api_client.patch(
        f"/v1/files/{file_id}/details",
        {"customCoordinates": "5,5,10,10", "publish": {"isPublished": False}},
        format="json",
    )

    body = response.json()
    assert response.status_code == 200, body
    assert body["customCoordinates"] == "5,5,10,10"
    assert body["isPublished"] is False
    assert body["tags"] == ["a"]
    assert body["customMetadata"] == {"k": 1}
    assert body["description"] == "before"


def test_it_clears_tags_with_null_and_replaces_them_with_a_list(api_client, upload):
    file_id = upload(tags="a,b").json()["fileId"]
    url = f"/v1/files/{file_id}/details"

    assert api_client.patch(url, {"tags": ["c", "a"]}, format="json").json()["tags"] == ["c", "a"]
    assert api_client.patch(url, {"tags": None}, format="json").json()["tags"] is None


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"tags": "not-a-list"}, "tags"),
        ({"customMetadata": [1]}, "customMetadata"),
        ({"customCoordinates": "1,2"}, "customCoordinates"),
        ({"publish": {"isPublished": "maybe"}}, "isPublished"),
        ({"removeAITags": 5}, "removeAITags"),
        ({"removeAITags": [""]}, "removeAITags"),
        ({"removeAITags": None}, "removeAITags"),
    ],
)
def test_it_refuses_bad_updates_naming_the_field(api_client, body, named):
    asset = AssetFactory()

    response = api_client.patch(f"/v1/files/{asset.file_id}/details", body, format="json")

    assert response.status_code == 400
    assert named in response.json()["message"]


def test_it_answers_400_in_imagekit_shape_for_malformed_json(api_client):
    asset = AssetFactory()

    response = api_client.patch(
        f"/v1/files/{asset.file_id}/details", '{"tags": [', content_type="application/json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"message", "help"}
    assert "JSON" in response.json()["message"]


def test_it_deletes_the_file_and_the_stored_bytes_of_all_versions(
    api_client, upload, media_storage, django_capture_on_commit_callbacks
):
    upload(fileName="a.png", useUniqueFileName="false")
    file_id = upload(fileName="a.png", useUniqueFileName="false").json()["fileId"]
    assert len(stored_files(media_storage)) == 4  # two versions, two thumbnails

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.delete(f"/v1/files/{file_id}")

    assert response.status_code == 204
    assert not Asset.objects.exists()
    assert not AssetVersion.objects.exists()
    assert stored_files(media_storage) == []
    assert api_client.delete(f"/v1/files/{file_id}").status_code == 404


def test_listing_helper_loads_tags_and_versions_in_a_fixed_number_of_queries():
    for index in range(5):
        asset = AssetFactory()
        Tag.objects.get_or_create(name=f"t{index}")
        asset_tags_set(asset=asset, names=[f"t{index}", "common"])

    with CaptureQueriesContext(connection) as queries:
        objects = [file_details(asset=asset) for asset in assets_for_listing(Asset.objects.all())]

    assert len(objects) == 5
    assert all(obj["tags"][1] == "common" for obj in objects)
    assert len(queries) == 3  # assets (+ versions, folders), tags, AI tags


def test_it_accepts_extensions_as_a_json_string_in_patch(api_client):
    asset = AssetFactory()

    response = api_client.patch(
        f"/v1/files/{asset.file_id}/details",
        {"extensions": json.dumps("not a list")},
        format="json",
    )

    assert response.status_code == 400
    assert "extensions" in response.json()["message"].lower()


def test_it_answers_the_metadata_of_the_current_version(api_client, upload):
    file_id = upload(make_image_bytes((30, 20), (0, 0, 0, 0), mode="RGBA")).json()["fileId"]

    body = api_client.get(f"/v1/files/{file_id}/metadata").json()

    assert (body["width"], body["height"], body["format"]) == (30, 20, "png")
    assert body["hasTransparency"] is True
