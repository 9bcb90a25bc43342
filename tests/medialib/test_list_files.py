"""GET /v1/files: list and search."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from medialib.models import AITag, Asset, AssetTag, AssetVersion
from tests.factories import AssetFactory, FolderFactory, TagFactory, make_image_bytes

URL = "/v1/files"


def names(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [item["name"] for item in response.json()]


def add_version(asset: Asset, number: int) -> AssetVersion:
    return AssetVersion.objects.create(
        asset=asset,
        number=number,
        name=asset.name,
        storage_key=asset.current_version.storage_key,
        size=10 + number,
        mime="image/png",
        format="png",
        width=number,
        height=number,
        checksum="0" * 64,
    )


def created(asset: Asset, minutes_ago: int) -> Asset:
    Asset.objects.filter(pk=asset.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )
    return asset


@pytest.fixture
def library(db):
    shoes = FolderFactory(name="shoes", path="/shoes")
    assets = [
        created(AssetFactory(name="b.png", version__size=(30, 10)), 3),
        created(AssetFactory(name="a.png", version__size=(10, 30)), 2),
        created(
            AssetFactory(
                name="c.jpg",
                file_path="/shoes/c.jpg",
                folder=shoes,
                version=make_image_bytes((20, 20), fmt="JPEG"),
            ),
            1,
        ),
    ]
    AssetTag.objects.create(asset=assets[0], tag=TagFactory(name="sale"))
    AITag.objects.create(asset=assets[1], name="Shoe", confidence=91.5, source="aws-auto-tagging")
    return assets


def test_it_lists_every_file_oldest_first_as_file_objects(api_client, library):
    response = api_client.get(URL)

    assert names(response) == ["b.png", "a.png", "c.jpg"]
    first = response.json()[0]
    assert first["type"] == "file"
    assert first["fileId"] == library[0].file_id
    assert first["tags"] == ["sale"]
    assert first["versionInfo"] == {
        "id": library[0].current_version.version_id,
        "name": "Version 1",
    }
    assert response.json()[1]["AITags"] == [
        {"name": "Shoe", "confidence": 91.5, "source": "aws-auto-tagging"}
    ]


def test_it_returns_the_same_object_as_details(api_client, library):
    listed = api_client.get(URL).json()[0]
    details = api_client.get(f"/v1/files/{library[0].file_id}/details").json()

    assert listed == details


def test_each_listed_file_is_its_details_object_key_for_key(api_client, library):
    # The listing builds its objects from a page of rows (selectors.file_page), the
    # details from one prefetched asset: tag order, AI-tag order, key order and the
    # URLs of private and non-image files must come out the same.
    private = AssetFactory(name="secret.png", is_private=True, custom_metadata={"k": 1})
    notes = AssetFactory(name="notes.txt", file_type="non-image", description="text")
    for position, name in enumerate(["zebra", "apple", "mango"]):
        AssetTag.objects.create(asset=private, tag=TagFactory(name=name), position=position)
    for name, confidence in (("Bird", 80), ("Ant", 95), ("Cat", 95)):
        AITag.objects.create(asset=private, name=name, confidence=confidence, source="s")

    listed = api_client.get(URL, {"limit": 10}).json()

    assert len(listed) == 5
    for item in listed:
        details = api_client.get(f"/v1/files/{item['fileId']}/details").json()
        assert list(item.items()) == list(details.items())
    by_name = {item["name"]: item for item in listed}
    assert by_name["secret.png"]["tags"] == ["zebra", "apple", "mango"]
    assert [tag["name"] for tag in by_name["secret.png"]["AITags"]] == ["Ant", "Cat", "Bird"]
    assert by_name[notes.name]["thumbnail"] == ""


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("ASC_NAME", ["a.png", "b.png", "c.jpg"]),
        ("DESC_NAME", ["c.jpg", "b.png", "a.png"]),
        ("ASC_CREATED", ["b.png", "a.png", "c.jpg"]),
        ("DESC_CREATED", ["c.jpg", "a.png", "b.png"]),
        ("ASC_WIDTH", ["a.png", "c.jpg", "b.png"]),
        ("DESC_HEIGHT", ["a.png", "c.jpg", "b.png"]),
    ],
)
def test_it_sorts(api_client, library, sort, expected):
    assert names(api_client.get(URL, {"sort": sort})) == expected


def test_it_sorts_by_size_and_update(api_client, library):
    by_size = sorted(library, key=lambda asset: asset.current_version.size)
    Asset.objects.filter(pk=library[0].pk).update(updated_at=timezone.now() + dt.timedelta(1))

    assert names(api_client.get(URL, {"sort": "ASC_SIZE"})) == [a.name for a in by_size]
    assert names(api_client.get(URL, {"sort": "DESC_UPDATED"}))[0] == "b.png"


def test_it_pages_with_skip_and_limit(api_client, library):
    assert names(api_client.get(URL, {"skip": 1, "limit": 1})) == ["a.png"]
    assert names(api_client.get(URL, {"skip": 3})) == []


def test_it_lists_one_folder_only(api_client, library):
    assert names(api_client.get(URL, {"path": "/shoes/"})) == ["c.jpg"]
    assert names(api_client.get(URL, {"path": "/"})) == ["b.png", "a.png"]
    assert names(api_client.get(URL, {"path": "/nowhere"})) == []


def test_it_filters_by_file_type_tags_and_name(api_client, library):
    other = AssetFactory(name="doc.pdf", file_type=Asset.FileType.NON_IMAGE)

    assert names(api_client.get(URL, {"fileType": "non-image"})) == [other.name]
    assert "doc.pdf" not in names(api_client.get(URL, {"fileType": "image"}))
    assert names(api_client.get(URL, {"tags": "sale,Shoe"})) == ["b.png", "a.png"]
    assert names(api_client.get(URL, {"name": "c.jpg"})) == ["c.jpg"]


def test_it_lists_folders_then_files_with_type_all(api_client, library):
    response = api_client.get(URL, {"type": "all"})

    assert names(response) == ["shoes", "b.png", "a.png", "c.jpg"]
    folder = response.json()[0]
    assert set(folder) == {"type", "folderId", "name", "folderPath", "createdAt", "updatedAt"}
    assert (folder["type"], folder["folderPath"]) == ("folder", "/shoes")
    assert names(api_client.get(URL, {"type": "all", "skip": 1, "limit": 1})) == ["b.png"]
    assert names(api_client.get(URL, {"type": "folder"})) == ["shoes"]


def test_it_lists_older_versions_as_file_versions(api_client, library):
    asset = library[0]
    old = asset.current_version
    current = add_version(asset, 2)
    Asset.objects.filter(pk=asset.pk).update(current_version=current)

    response = api_client.get(URL, {"type": "file-version"})

    assert response.status_code == 200
    (item,) = response.json()
    assert item["type"] == "file-version"
    assert item["fileId"] == asset.file_id
    assert item["versionInfo"] == {"id": old.version_id, "name": "Version 1"}
    assert f"ik-obj-version={old.version_id}" in item["url"]
    assert names(api_client.get(URL))[0] == "b.png"


def test_it_searches_and_ignores_tags_type_and_name(api_client, library):
    response = api_client.get(
        URL,
        {
            "searchQuery": 'width >= 20 OR tags IN ["Shoe"]',
            "tags": "nope",
            "name": "x",
            "type": "folder",
        },
    )

    assert names(response) == ["b.png", "a.png", "c.jpg"]
    query = '(width > 15 AND format = "png") OR name = "c.jpg"'
    assert names(api_client.get(URL, {"searchQuery": query, "sort": "DESC_NAME"})) == [
        "c.jpg",
        "b.png",
    ]


def test_it_searches_within_a_path(api_client, library):
    assert names(api_client.get(URL, {"searchQuery": "width > 0", "path": "/shoes"})) == ["c.jpg"]


def test_it_searches_folders_when_the_query_asks_for_them(api_client, library):
    response = api_client.get(URL, {"searchQuery": 'type = "folder" AND name : "sh"'})

    assert [item["type"] for item in response.json()] == ["folder"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"sort": "ASC_COLOUR"}, "sort must be one of"),
        ({"type": "files"}, "type must be one of"),
        ({"fileType": "video"}, "fileType must be one of"),
        ({"limit": "0"}, "limit must be between 1 and 1000"),
        ({"limit": "1001"}, "limit must be between 1 and 1000"),
        ({"limit": "ten"}, "limit must be an integer"),
        ({"skip": "-1"}, "skip must be between 0"),
        ({"path": "/a/../b"}, 'path: folder must not contain "." or ".." segments.'),
        ({"searchQuery": 'colour = "red"'}, "Unknown field 'colour'"),
        ({"searchQuery": '(name = "a"))'}, "Unexpected token ')' at position 12"),
        ({"name": "a\x00"}, "name must not contain NUL characters."),
        ({"tags": "a\x00"}, "tags must not contain NUL characters."),
    ],
)
def test_it_refuses_bad_parameters(api_client, library, params, message):
    response = api_client.get(URL, params)

    assert response.status_code == 400
    assert message in response.json()["message"]
    assert "help" in response.json()


def test_it_needs_authentication(client, library):
    assert client.get(URL).status_code == 401


def test_it_runs_a_fixed_number_of_queries_whatever_the_page_size(
    api_client, django_assert_num_queries, db
):
    for index in range(100):
        asset = AssetFactory(name=f"file{index:03}.png")
        AssetTag.objects.create(asset=asset, tag=TagFactory(name=f"tag{index % 7}"))
        AITag.objects.create(asset=asset, name=f"AI{index % 5}", confidence=50, source="x")
    page = api_client.get(URL, {"limit": 10})  # warms the API key's last-used stamp
    assert len(page.json()) == 10

    with django_assert_num_queries(4) as small:
        assert len(api_client.get(URL, {"limit": 10}).json()) == 10
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(api_client.get(URL, {"limit": 100}).json()) == 100
    with django_assert_num_queries(len(small.captured_queries)):
        query = 'tags IN ["tag1", "AI2"] OR width > 1'
        assert len(api_client.get(URL, {"searchQuery": query}).json()) == 100


def test_it_lists_file_versions_in_a_fixed_number_of_queries(
    api_client, django_assert_num_queries, db
):
    for index in range(60):
        asset = AssetFactory(name=f"file{index:03}.png")
        AssetTag.objects.create(asset=asset, tag=TagFactory(name=f"tag{index % 7}"))
        AITag.objects.create(asset=asset, name=f"AI{index % 5}", confidence=50, source="x")
        Asset.objects.filter(pk=asset.pk).update(current_version=add_version(asset, 2))
    api_client.get(URL, {"type": "file-version", "limit": 5})

    with django_assert_num_queries(4) as small:
        assert len(api_client.get(URL, {"type": "file-version", "limit": 5}).json()) == 5
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(api_client.get(URL, {"type": "file-version", "limit": 60}).json()) == 60


def test_it_searches_file_versions_by_their_own_attributes(api_client, library):
    asset = library[0]
    Asset.objects.filter(pk=asset.pk).update(current_version=add_version(asset, 2))

    query = 'type = "file-version" AND width = 30 AND tags IN ["sale"]'
    response = api_client.get(URL, {"searchQuery": query})

    assert [(item["type"], item["width"]) for item in response.json()] == [("file-version", 30)]
    assert names(api_client.get(URL, {"searchQuery": 'type IN ["file"] AND width = 2'})) == [
        "b.png"
    ]
