"""POST /v1/files/addTags, /v1/files/removeTags, /v1/files/removeAITags."""

from __future__ import annotations

import pytest

from medialib.models import AITag, Asset, AssetTag
from tests.factories import AssetFactory, TagFactory


def tag_names(asset: Asset) -> list[str]:
    return list(AssetTag.objects.filter(asset=asset).values_list("tag__name", flat=True))


def ai_tag_names(asset: Asset) -> set[str]:
    return set(AITag.objects.filter(asset=asset).values_list("name", flat=True))


@pytest.fixture
def assets(db):
    first, second = AssetFactory(), AssetFactory()
    AssetTag.objects.create(asset=first, tag=TagFactory(name="old"), position=0)
    for asset in (first, second):
        for name in ("Dog", "Cat"):
            AITag.objects.create(asset=asset, name=name, confidence=80, source="aws-auto-tagging")
    return first, second


def test_it_appends_tags_to_every_file(api_client, assets):
    first, second = assets
    before = first.updated_at

    response = api_client.post(
        "/v1/files/addTags",
        {"fileIds": [first.file_id, second.file_id], "tags": ["new", "old", " sale "]},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {"successfullyUpdatedFileIds": [first.file_id, second.file_id]}
    assert tag_names(first) == ["old", "new", "sale"]
    assert tag_names(second) == ["new", "old", "sale"]
    first.refresh_from_db()
    assert first.updated_at > before


def test_it_adds_tags_idempotently(api_client, assets):
    first, _ = assets
    body = {"fileIds": [first.file_id], "tags": ["new"]}

    api_client.post("/v1/files/addTags", body, format="json")
    response = api_client.post("/v1/files/addTags", body, format="json")

    assert response.status_code == 200
    assert tag_names(first) == ["old", "new"]


def test_it_removes_tags(api_client, assets):
    first, second = assets

    response = api_client.post(
        "/v1/files/removeTags",
        {"fileIds": [first.file_id, second.file_id], "tags": ["old", "absent"]},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {"successfullyUpdatedFileIds": [first.file_id, second.file_id]}
    assert tag_names(first) == []


def test_it_removes_ai_tags_only(api_client, assets):
    first, second = assets

    response = api_client.post(
        "/v1/files/removeAITags",
        {"fileIds": [first.file_id, second.file_id], "AITags": ["Dog", "old"]},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {"successfullyUpdatedFileIds": [first.file_id, second.file_id]}
    assert ai_tag_names(first) == ai_tag_names(second) == {"Cat"}
    assert tag_names(first) == ["old"]


@pytest.mark.parametrize(
    "url", ["/v1/files/addTags", "/v1/files/removeTags", "/v1/files/removeAITags"]
)
def test_it_changes_nothing_when_a_file_is_missing(api_client, assets, url):
    first, _ = assets
    field = "AITags" if "AI" in url else "tags"

    response = api_client.post(
        url,
        {"fileIds": [first.file_id, "0" * 24, "missing"], field: ["old", "Dog", "x"]},
        format="json",
    )

    assert response.status_code == 404
    assert response.json()["missingFileIds"] == ["0" * 24, "missing"]
    assert tag_names(first) == ["old"]
    assert ai_tag_names(first) == {"Dog", "Cat"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"tags": ["a"]}, "fileIds must be a non-empty array"),
        ({"fileIds": [], "tags": ["a"]}, "fileIds must be a non-empty array"),
        ({"fileIds": "abc", "tags": ["a"]}, "fileIds must be a non-empty array"),
        ({"fileIds": [1], "tags": ["a"]}, "fileIds must hold only non-empty strings"),
        ({"fileIds": ["a\x00"], "tags": ["a"]}, "fileIds must hold only non-empty strings"),
        ({"fileIds": ["a"] * 101, "tags": ["a"]}, "at most 100"),
        ({"fileIds": ["a"]}, "tags must be a non-empty array"),
        ({"fileIds": ["a"], "tags": []}, "tags must be a non-empty array"),
        ({"fileIds": ["a"], "tags": [" "]}, "tags must be a non-empty array"),
        ({"fileIds": ["a"], "tags": [5]}, "tags must be a comma-separated string or a list"),
        ({"fileIds": ["a"], "tags": "a,b"}, "tags must be a non-empty array"),
    ],
)
def test_it_refuses_bad_bodies(api_client, assets, body, message):
    response = api_client.post("/v1/files/addTags", body, format="json")

    assert response.status_code == 400
    assert message in response.json()["message"]


def test_it_refuses_a_body_that_is_not_an_object(api_client, db):
    response = api_client.post("/v1/files/addTags", ["a"], format="json")

    assert response.status_code == 400
    assert response.json()["message"] == "The request body must be a JSON object."


def test_it_refuses_malformed_json(api_client, db):
    response = api_client.post("/v1/files/removeTags", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert "not valid JSON" in response.json()["message"]


def test_it_needs_authentication(client, assets):
    response = client.post(
        "/v1/files/addTags",
        {"fileIds": [assets[0].file_id], "tags": ["a"]},
        content_type="application/json",
    )

    assert response.status_code == 401
