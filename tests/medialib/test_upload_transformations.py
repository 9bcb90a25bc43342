"""An upload's `transformation`: `pre` on the stored original, `post` renditions made eagerly."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client
from imagekitio.lib.serialization_utils import serialize_upload_options
from PIL import Image

from core import events
from medialib import tasks
from medialib.events import (
    UploadPostTransformFailed,
    UploadPostTransformSucceeded,
    UploadPreTransformFailed,
    UploadPreTransformSucceeded,
)
from medialib.models import Asset, AssetVersion, Rendition
from medialib.services.renditions import rendition_digest
from tests.factories import make_image_bytes
from tests.medialib.conftest import stored_files

pytestmark = pytest.mark.django_db


def as_sdk_sends(transformation: dict) -> str:
    """The form field the SDK's files.upload sends for `transformation`."""
    return serialize_upload_options({"transformation": transformation})["transformation"]


@pytest.fixture
def announced(monkeypatch) -> list[object]:
    seen: list[object] = []
    for event_type in (
        UploadPreTransformSucceeded,
        UploadPreTransformFailed,
        UploadPostTransformSucceeded,
        UploadPostTransformFailed,
    ):
        monkeypatch.setitem(events._subscribers, event_type, [seen.append])
    return seen


def served_size(path: str) -> tuple[int, int]:
    response = Client().get(path)
    assert response.status_code == 200
    return Image.open(io.BytesIO(b"".join(response.streaming_content))).size


def test_pre_transforms_the_stored_original(upload, announced):
    content = make_image_bytes(size=(200, 100), fmt="PNG")
    response = upload(
        content,
        fileName="pre.png",
        useUniqueFileName="false",
        transformation=as_sdk_sends({"pre": "w-50,f-jpg"}),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["width"], body["height"]) == (50, 25)
    version = Asset.objects.get(file_path="/pre.png").current_version
    assert (version.format, version.mime) == ("jpg", "image/jpeg")
    assert served_size("/f/pre.png") == (50, 25)
    assert [type(e) for e in announced] == [UploadPreTransformSucceeded]
    assert announced[0].transformation == "w-50,f-jpg"
    assert announced[0].request_id == response["x-ik-requestId"]


@pytest.mark.parametrize(
    ("transformation", "named"),
    [
        ({"pre": "w-abc"}, "'w'"),
        ({"pre": "zz-1"}, "'zz'"),
        ({"post": [{"type": "transformation", "value": "h-0"}]}, "'h'"),
        ({"post": [{"type": "transformation"}]}, "value"),
        ({"post": [{"type": "gif-to-video"}]}, "gif-to-video"),
        ({"post": [{"type": "abs", "value": "sr-240_360", "protocol": "hls"}]}, "abs"),
        ({"post": [{"type": "nope", "value": "w-10"}]}, "type"),
        ({"middle": "w-10"}, "middle"),
    ],
)
def test_a_bad_transformation_is_a_400_before_anything_is_stored(
    upload, media_storage, transformation, named
):
    response = upload(transformation=as_sdk_sends(transformation))
    assert response.status_code == 400, response.content
    assert named in response.json()["message"]
    assert not Asset.objects.exists()
    assert stored_files(media_storage) == []


def test_pre_on_a_file_that_is_not_an_image_is_refused(upload, media_storage, announced):
    response = upload(
        b"plain text, not an image",
        fileName="notes.txt",
        transformation=json.dumps({"pre": "w-10"}),
    )
    assert response.status_code == 400, response.content
    assert not Asset.objects.exists()
    assert stored_files(media_storage) == []
    assert [type(e) for e in announced] == [UploadPreTransformFailed]


def test_post_renditions_are_made_by_the_task_once(upload, announced):
    response = upload(
        make_image_bytes(size=(200, 100), fmt="PNG"),
        fileName="post.png",
        useUniqueFileName="false",
        transformation=as_sdk_sends(
            {
                "post": [
                    {"type": "transformation", "value": "w-40"},
                    {"type": "thumbnail", "value": "w-20,h-20"},
                    {"type": "thumbnail"},
                ]
            }
        ),
    )
    assert response.status_code == 200, response.content
    version = AssetVersion.objects.get(version_id=response.json()["versionInfo"]["id"])
    assert [e["state"] for e in version.post_transformations] == ["pending"] * 3
    assert not Rendition.objects.exists()

    assert tasks.upload_post_transform(version.version_id) == 3
    assert tasks.upload_post_transform(version.version_id) == 0  # safe to run twice

    version.refresh_from_db()
    assert [e["state"] for e in version.post_transformations] == ["done"] * 3
    ready = {(r.transformation, r.state) for r in Rendition.objects.filter(version=version)}
    assert ready == {("w-40", "ready"), ("h-20,w-20", "ready")}
    assert [type(e) for e in announced] == [UploadPostTransformSucceeded] * 3
    assert {e.request_id for e in announced} == {response["x-ik-requestId"]}
    assert [e.value for e in announced] == ["w-40", "w-20,h-20", ""]
    # The first request is served from the rendition rendered by the task.
    digest = rendition_digest(transformation="w-40", fmt="png")
    assert Rendition.objects.get(version=version, digest=digest).storage_key
    assert served_size("/f/post.png?tr=w-40") == (40, 20)
    assert Rendition.objects.filter(version=version).count() == 2


def test_a_post_rendition_that_cannot_be_made_is_announced_failed(upload, announced, settings):
    settings.MEDIALIB_MAX_RENDITION_PIXELS = 100
    response = upload(
        make_image_bytes(size=(200, 100), fmt="PNG"),
        fileName="big.png",
        transformation=as_sdk_sends({"post": [{"type": "transformation", "value": "w-150"}]}),
    )
    assert response.status_code == 200, response.content
    version_id = response.json()["versionInfo"]["id"]
    assert tasks.upload_post_transform(version_id) == 0
    version = AssetVersion.objects.get(version_id=version_id)
    assert version.post_transformations[0]["state"] == "failed"
    assert [type(e) for e in announced] == [UploadPostTransformFailed]


def test_post_of_a_version_no_longer_current_is_skipped(upload, announced):
    first = upload(
        fileName="again.png",
        useUniqueFileName="false",
        transformation=as_sdk_sends({"post": [{"type": "transformation", "value": "w-10"}]}),
    )
    upload(fileName="again.png", useUniqueFileName="false")
    version_id = first.json()["versionInfo"]["id"]
    assert tasks.upload_post_transform(version_id) == 0
    assert AssetVersion.objects.get(version_id=version_id).post_transformations[0]["state"] == (
        "skipped"
    )
    assert not Rendition.objects.exists()
    assert announced == []
