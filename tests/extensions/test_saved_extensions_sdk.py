"""Saved extensions and the refused AI extensions, through the SDK against a live server."""

from __future__ import annotations

import pytest
from imagekitio import BadRequestError, ImageKit, NotFoundError

from extensions.models import ExtensionRun, SavedExtension
from medialib.models import Asset
from medialib.services import api_key_create
from tests.factories import make_image_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TAGGING = {"name": "aws-auto-tagging", "minConfidence": 90, "maxTags": 5}


@pytest.fixture
def client(live_server, transactional_db) -> ImageKit:
    issued = api_key_create(name="sdk saved extensions")
    return ImageKit(
        private_key=issued.private_key,
        base_url=live_server.url,
        max_retries=0,
        _strict_response_validation=True,
    )


def test_it_creates_lists_gets_updates_and_deletes_saved_extensions(client: ImageKit):
    created = client.saved_extensions.create(
        name="Tag cats", description="AWS tags above 90%", config=TAGGING
    )
    assert created.id and created.name == "Tag cats"
    assert created.config.to_dict() == TAGGING
    assert created.created_at is not None

    assert [saved.id for saved in client.saved_extensions.list()] == [created.id]
    assert client.saved_extensions.get(created.id).description == "AWS tags above 90%"

    updated = client.saved_extensions.update(
        created.id, name="Cut out", config={"name": "remove-bg", "options": {"bg_color": "fff"}}
    )
    assert updated.name == "Cut out"
    assert updated.description == "AWS tags above 90%"
    assert updated.config.to_dict() == {"name": "remove-bg", "options": {"bg_color": "fff"}}

    client.saved_extensions.delete(created.id)
    with pytest.raises(NotFoundError):
        client.saved_extensions.get(created.id)
    with pytest.raises(NotFoundError):
        client.saved_extensions.delete(created.id)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"name": "aws-auto-tagging", "maxTags": 5}, r"config \(aws-auto-tagging\): minConfidence"),
        ({"name": "saved-extension", "id": "x"}, "not a reference to another saved extension"),
        ({"name": "ai-auto-description"}, "not offered by the self-hosted media library"),
    ],
)
def test_it_refuses_a_bad_configuration_and_stores_nothing(client: ImageKit, config, message):
    with pytest.raises(BadRequestError, match=message):
        client.saved_extensions.create(name="bad", description="", config=config)
    assert not SavedExtension.objects.exists()


def test_a_saved_extension_runs_on_upload_and_update_keyed_by_its_base_name(
    client: ImageKit, rekognition_fake
):
    saved = client.saved_extensions.create(name="Tags", description="", config=TAGGING)
    reference = [{"name": "saved-extension", "id": saved.id}]

    uploaded = client.files.upload(
        file=make_image_bytes((20, 20), "red"), file_name="cat.png", extensions=reference
    )
    assert uploaded.extension_status.to_dict() == {"aws-auto-tagging": "success"}
    assert [tag.name for tag in uploaded.ai_tags] == ["Cat", "Animal"]
    run = ExtensionRun.objects.get()
    assert run.params == {"minConfidence": 90, "maxTags": 5}

    updated = client.files.update(uploaded.file_id, extensions=reference, remove_ai_tags="all")
    assert updated.extension_status.to_dict() == {"aws-auto-tagging": "success"}
    assert ExtensionRun.objects.count() == 2


def test_an_unknown_saved_extension_is_refused_before_anything_is_stored(client: ImageKit):
    with pytest.raises(BadRequestError, match="no saved extension with id 'nope'"):
        client.files.upload(
            file=make_image_bytes((20, 20), "red"),
            file_name="cat.png",
            extensions=[{"name": "saved-extension", "id": "nope"}],
        )
    assert not Asset.objects.exists()


@pytest.mark.parametrize(
    "extension",
    [
        {"name": "ai-auto-description"},
        {"name": "ai-tasks", "tasks": [{"type": "select_tags", "instruction": "What is it?"}]},
    ],
)
def test_ai_description_and_tasks_are_refused_clearly(client: ImageKit, extension):
    with pytest.raises(BadRequestError, match="not offered by the self-hosted media library"):
        client.files.upload(
            file=make_image_bytes((20, 20), "red"), file_name="a.png", extensions=[extension]
        )
    assert not Asset.objects.exists()
