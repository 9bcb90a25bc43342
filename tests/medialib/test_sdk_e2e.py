"""The official `imagekitio` SDK (v5) against a live server, unchanged.

Strict response validation is on, so every answer must parse into the SDK's own
models; retries are off, so a status the SDK would retry fails the test instead
of hiding behind a second attempt.
"""

from __future__ import annotations

import pytest
from imagekitio import ConflictError, ImageKit, NotFoundError

from medialib.services import api_key_create
from tests.factories import make_image_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def client(live_server, transactional_db) -> ImageKit:
    issued = api_key_create(name="sdk e2e")
    return ImageKit(
        private_key=issued.private_key,
        base_url=live_server.url,
        max_retries=0,
        _strict_response_validation=True,
    )


def test_the_sdk_uploads_updates_searches_versions_and_deletes(client: ImageKit):
    uploaded = client.files.upload(
        file=make_image_bytes((64, 48), "red"),
        file_name="sdk.png",
        use_unique_file_name=False,
        tags=["e2e"],
    )
    file_id = uploaded.file_id
    assert (uploaded.width, uploaded.height, uploaded.file_path) == (64, 48, "/sdk.png")

    details = client.files.get(file_id)
    assert details.file_id == file_id
    assert details.version_info.name == "Version 1"

    updated = client.files.update(
        file_id, tags=["e2e", "summer"], custom_metadata={"brand": "Nike", "price": 10}
    )
    assert updated.tags == ["e2e", "summer"]
    assert updated.custom_metadata == {"brand": "Nike", "price": 10}

    found = client.assets.list(search_query='tags IN ["summer"] AND "customMetadata.price" < 20')
    assert [item.file_id for item in found] == [file_id]
    assert client.assets.list(search_query='"customMetadata.brand" = "Adidas"') == []

    second = client.files.upload(
        file=make_image_bytes((20, 10), "blue"), file_name="sdk.png", use_unique_file_name=False
    )
    assert second.file_id == file_id
    assert second.version_info.name == "Version 2"

    versions = client.files.versions.list(file_id)
    assert [(v.type, v.version_info.name) for v in versions] == [
        ("file-version", "Version 1"),
        ("file", "Version 2"),
    ]
    first_version = versions[0].version_info.id
    assert client.files.versions.get(first_version, file_id=file_id).width == 64

    restored = client.files.versions.restore(first_version, file_id=file_id)
    assert (restored.version_info.name, restored.width) == ("Version 3", 64)
    old = [v.version_info.id for v in client.files.versions.list(file_id) if v.type != "file"]
    client.files.versions.delete(old[-1], file_id=file_id)
    assert len(client.files.versions.list(file_id)) == 2

    client.files.delete(file_id)
    with pytest.raises(NotFoundError):
        client.files.get(file_id)


def test_the_sdk_manages_folders_paths_and_bulk_changes(client: ImageKit):
    client.folders.create(folder_name="shoes", parent_folder_path="/catalog")
    first = client.files.upload(file=make_image_bytes(), file_name="a.png", folder="/catalog")
    second = client.files.upload(file=make_image_bytes(), file_name="b.png", folder="/catalog")
    ids = [first.file_id, second.file_id]

    listed = client.assets.list(path="/catalog", type="all", sort="DESC_NAME")
    assert [item.name for item in listed] == ["shoes", *sorted([first.name, second.name])[::-1]]

    added = client.files.bulk.add_tags(file_ids=ids, tags=["sale"])
    assert added.successfully_updated_file_ids == ids
    assert [f.file_id for f in client.assets.list(search_query='tags IN ["sale"]')] == ids
    removed = client.files.bulk.remove_tags(file_ids=ids, tags=["sale"])
    assert removed.successfully_updated_file_ids == ids
    removed_ai = client.files.bulk.remove_ai_tags(file_ids=ids, ai_tags=["x"])
    assert removed_ai.successfully_updated_file_ids == ids

    client.files.copy(source_file_path=first.file_path, destination_path="/catalog/shoes")
    client.files.move(source_file_path=second.file_path, destination_path="/catalog/shoes")
    client.files.rename(file_path=f"/catalog/shoes/{second.name}", new_file_name="renamed.png")
    names = sorted(item.name for item in client.assets.list(path="/catalog/shoes"))
    assert names == sorted([first.name, "renamed.png"])
    # The SDK retries a 409 (twice by default): each attempt is refused the same way.
    with pytest.raises(ConflictError) as taken:
        client.with_options(max_retries=2).files.rename(
            file_path="/catalog/shoes/renamed.png", new_file_name=first.name
        )
    assert taken.value.body["reason"] == "FILE_ALREADY_EXISTS"
    names = sorted(item.name for item in client.assets.list(path="/catalog/shoes"))
    assert names == sorted([first.name, "renamed.png"])

    with pytest.raises(NotFoundError) as missing:
        client.files.bulk.delete(file_ids=[first.file_id, "0" * 24])
    assert missing.value.body["missingFileIds"] == ["0" * 24]
    deleted = client.files.bulk.delete(file_ids=[first.file_id])
    assert deleted.successfully_deleted_file_ids == [first.file_id]

    client.folders.delete(folder_path="/catalog")
    assert client.assets.list(type="all") == []
