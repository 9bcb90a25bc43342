"""Upload transformation events through the SDK: an endpoint subscribed with
`client.accounts.webhooks`, uploads with `transformation` (`pre`, `post`, and ones
that cannot be rendered), a real worker rendering the `post` items and delivering,
and `client.webhooks.unwrap` returning the SDK's typed events with `data` and
`request` as its types declare.
"""

from __future__ import annotations

import io
import json
import urllib.request

import pytest
from imagekitio import BadRequestError, ImageKit
from imagekitio.types import (
    UploadPostTransformErrorEvent,
    UploadPostTransformSuccessEvent,
    UploadPreTransformErrorEvent,
    UploadPreTransformSuccessEvent,
)
from PIL import Image

from medialib.models import AssetVersion
from medialib.services import api_key_create
from tests.factories import make_image_bytes
from tests.fakes.loopback import wait_for
from webhooks.models import WebhookDelivery

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

UPLOAD_EVENTS = [
    "upload.pre-transform.success",
    "upload.pre-transform.error",
    "upload.post-transform.success",
    "upload.post-transform.error",
]
# Parses, but asks for more pixels than MEDIALIB_MAX_RENDITION_PIXELS: refused when rendered.
TOO_LARGE = "w-6000,h-6000"


@pytest.fixture
def client(live_server, celery_worker, settings) -> ImageKit:
    # URLs in webhook bodies (built on the worker) and in API answers on one base.
    settings.PUBLIC_BASE_URL = live_server.url
    issued = api_key_create(name="sdk upload transformation webhooks")
    return ImageKit(
        private_key=issued.private_key,
        base_url=live_server.url,
        max_retries=0,
        _strict_response_validation=True,
    )


def test_upload_transformation_events_reach_the_endpoint_as_the_sdk_types(
    client: ImageKit, receiver
):
    hook = client.accounts.webhooks.create(endpoint=receiver.url("/up"), events=UPLOAD_EVENTS)
    # Subscribed to something else: gets none of these.
    client.accounts.webhooks.create(endpoint=receiver.url("/other"), events=["file.deleted"])

    # A `pre` and two `post` items, one the default thumbnail.
    raw = client.files.with_raw_response.upload(
        file=make_image_bytes((40, 20), "red"),
        file_name="pre.png",
        use_unique_file_name=False,
        transformation={
            "pre": "w-20",
            "post": [{"type": "transformation", "value": "w-10"}, {"type": "thumbnail"}],
        },
    )
    good_request_id = raw.headers["x-ik-requestId"]
    uploaded = raw.parse()
    assert (uploaded.width, uploaded.height) == (20, 10)

    # A `pre` the renderer refuses: a 400, nothing stored, and the error event.
    with pytest.raises(BadRequestError, match="pixels") as refused:
        client.files.upload(
            file=make_image_bytes((8, 8), "blue"),
            file_name="bad-pre.png",
            folder="/refused",
            use_unique_file_name=False,
            transformation={"pre": TOO_LARGE},
        )
    bad_pre_request_id = refused.value.response.headers["x-ik-requestId"]

    # A `post` item the worker cannot render.
    raw = client.files.with_raw_response.upload(
        file=make_image_bytes((8, 8), "green"),
        file_name="bad-post.png",
        use_unique_file_name=False,
        transformation={"post": [{"type": "transformation", "value": TOO_LARGE}]},
    )
    bad_post_request_id = raw.headers["x-ik-requestId"]
    bad_post = raw.parse()

    expected = 5  # pre success, pre error, two post successes, one post error
    assert wait_for(lambda: len(receiver.requests) >= expected, timeout=30)
    assert wait_for(
        lambda: not WebhookDelivery.objects.filter(status="pending").exists(), timeout=30
    )
    assert {request.path for request in receiver.requests} == {"/up"}
    received = [
        (
            json.loads(request.body),
            client.webhooks.unwrap(request.body.decode(), headers=request.headers, key=hook.secret),
        )
        for request in receiver.requests
    ]
    assert len(received) == expected
    by_type: dict[type, list] = {}
    for body, event in received:
        # Every field the SDK's type requires is there (unwrap itself does not insist).
        type(event).model_validate(body)
        by_type.setdefault(type(event), []).append(event)
    assert {kind: len(items) for kind, items in by_type.items()} == {
        UploadPreTransformSuccessEvent: 1,
        UploadPreTransformErrorEvent: 1,
        UploadPostTransformSuccessEvent: 2,
        UploadPostTransformErrorEvent: 1,
    }

    [pre] = by_type[UploadPreTransformSuccessEvent]
    assert pre.type == "upload.pre-transform.success"
    assert (pre.data.file_id, pre.data.file_path) == (uploaded.file_id, "/pre.png")
    assert (pre.data.width, pre.data.height) == (20, 10)
    assert pre.data.version_info.id == uploaded.version_info.id
    assert pre.data.url == uploaded.url
    assert (pre.request.transformation, pre.request.x_request_id) == ("w-20", good_request_id)

    [pre_error] = by_type[UploadPreTransformErrorEvent]
    assert (pre_error.data.name, pre_error.data.path) == ("bad-pre.png", "/refused/bad-pre.png")
    assert "pixels" in pre_error.data.transformation.error.reason
    assert pre_error.request.transformation == TOO_LARGE
    assert pre_error.request.x_request_id == bad_pre_request_id

    posts = sorted(
        by_type[UploadPostTransformSuccessEvent],
        key=lambda event: event.request.transformation.type,
    )
    assert [(e.request.transformation.type, e.request.transformation.value) for e in posts] == [
        ("thumbnail", None),
        ("transformation", "w-10"),
    ]
    for event in posts:
        assert (event.data.file_id, event.data.name) == (uploaded.file_id, "pre.png")
        assert event.request.x_request_id == good_request_id
    assert posts[0].data.url == uploaded.thumbnail_url
    assert posts[1].data.url == uploaded.url + "?tr=w-10"
    # The URL serves the rendition the worker made.
    with urllib.request.urlopen(posts[1].data.url, timeout=10) as served:
        assert Image.open(io.BytesIO(served.read())).size == (10, 5)

    [post_error] = by_type[UploadPostTransformErrorEvent]
    assert (post_error.data.file_id, post_error.data.name, post_error.data.path) == (
        bad_post.file_id,
        "bad-post.png",
        "/bad-post.png",
    )
    assert "pixels" in post_error.data.transformation.error.reason
    assert post_error.data.url == bad_post.url + "?tr=" + TOO_LARGE.replace(",", "%2C")
    assert post_error.request.transformation.type == "transformation"
    assert post_error.request.transformation.value == TOO_LARGE
    assert post_error.request.x_request_id == bad_post_request_id
    states = AssetVersion.objects.get(version_id=bad_post.version_info.id).post_transformations
    assert [entry["state"] for entry in states] == ["failed"]


def test_no_endpoint_listening_means_no_delivery(client: ImageKit, receiver):
    client.accounts.webhooks.create(endpoint=receiver.url("/files"), events=["file.created"])
    uploaded = client.files.upload(
        file=make_image_bytes((8, 8), "red"),
        file_name="quiet.png",
        transformation={"pre": "w-4", "post": [{"type": "transformation", "value": "w-2"}]},
    )
    version = AssetVersion.objects.filter(version_id=uploaded.version_info.id)
    assert wait_for(lambda: version.get().post_transformations[0]["state"] == "done", timeout=30)
    assert wait_for(lambda: len(receiver.requests) >= 1, timeout=30)
    assert wait_for(
        lambda: not WebhookDelivery.objects.filter(status="pending").exists(), timeout=30
    )
    assert [json.loads(r.body)["type"] for r in receiver.requests] == ["file.created"]
    assert not WebhookDelivery.objects.filter(event__startswith="upload.").exists()
