"""remove-bg from the upload API to a new file version, on the real Celery worker.

remove.bg is the fake on loopback (REMOVE_BG_API_URL); the offline remover serves the
name when no key is configured.
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pytest
from PIL import Image
from rest_framework.test import APIClient

from extensions.models import ExtensionRun
from extensions.selectors import unit_balance
from extensions.tasks import run_extension
from medialib.models import Asset, AssetVersion
from medialib.storage import open_version
from tests.extensions.drawings import encode, red_circle_on_white
from tests.extensions.helpers import ledger
from tests.factories import make_image_bytes
from tests.fakes.loopback import wait_for
from tests.fakes.removebg import centre_ellipse_mask
from webhooks.models import WebhookDelivery

pytestmark = [pytest.mark.slow]

UNITS = 130
# Nothing listens there: deliveries fail and wait for their next attempt.
HOOK = "http://127.0.0.1:9/remove-bg-hook"
PHOTO = make_image_bytes((120, 90), color="green", fmt="JPEG")


@pytest.fixture
def api(celery_worker, api_client) -> APIClient:
    """The API client, with the real worker running for these tests."""
    return api_client


@pytest.fixture
def quick_retries(settings) -> None:
    # Backoff alone would retry within a fraction of a second, so any longer wait
    # observed comes from the provider's Retry-After.
    settings.EXTENSIONS_RETRY_BASE_DELAY = 0.05


def upload_with_remove_bg(
    api: APIClient,
    content: bytes = PHOTO,
    options: dict[str, Any] | None = None,
    **fields: str,
) -> dict[str, Any]:
    item: dict[str, Any] = {"name": "remove-bg"}
    if options is not None:
        item["options"] = options
    response = api.post(
        "/api/v1/files/upload",
        {
            "file": io.BytesIO(content),
            "fileName": "photo.jpg",
            "extensions": json.dumps([item]),
            **fields,
        },
        format="multipart",
    )
    assert response.status_code == 200, response.content
    return response.json()


def finished_run(file_id: str) -> ExtensionRun:
    run = ExtensionRun.objects.get(asset__file_id=file_id, name="remove-bg")
    assert wait_for(lambda: _finished(run)), f"run still pending: {run.error_message}"
    return run


def _finished(run: ExtensionRun) -> bool:
    run.refresh_from_db()
    return run.status != ExtensionRun.Status.PENDING


def stored_image(version: AssetVersion) -> Image.Image:
    with open_version(version) as stored:
        picture = Image.open(io.BytesIO(stored.read()))
        picture.load()
    return picture


def test_it_stores_the_cut_out_as_a_new_restorable_version_charged_once(
    api, removebg_fake, settings
):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    balance = unit_balance()

    uploaded = upload_with_remove_bg(
        api,
        options={"add_shadow": True, "semitransparency": False},
        webhookUrl=HOOK,
    )

    assert uploaded["extensionStatus"] == {"remove-bg": "pending"}
    file_id = uploaded["fileId"]
    run = ExtensionRun.objects.get(asset__file_id=file_id)
    # A copy of the task delivered again while the first one works claims nothing.
    run_extension.delay(run.pk)
    run = finished_run(file_id)
    assert (run.status, run.backend, run.units_charged) == ("success", "remove-bg-api", UNITS)

    [request] = removebg_fake.requests
    asset = Asset.objects.get(file_id=file_id)
    original, cut_out = asset.versions.order_by("number")
    assert request.file_bytes == PHOTO
    assert request.fields == {
        "size": "auto",
        "add_shadow": "true",
        "semitransparency": "false",
    }

    assert asset.current_version == cut_out
    assert (cut_out.number, cut_out.origin, cut_out.origin_detail) == (2, "extension", "remove-bg")
    assert (cut_out.mime, cut_out.has_alpha, cut_out.width, cut_out.height) == (
        "image/png",
        True,
        120,
        90,
    )
    assert cut_out.thumbnail_key and cut_out.thumbnail_key != original.thumbnail_key
    picture = stored_image(cut_out)
    assert picture.getchannel("A").tobytes() == centre_ellipse_mask((120, 90)).tobytes()

    details = api.get(f"/v1/files/{file_id}/details").json()
    assert details["hasAlpha"] is True
    assert details["mime"] == "image/png"
    assert details["size"] == cut_out.size != original.size
    assert (details["width"], details["height"]) == (120, 90)
    assert details["versionInfo"] == {"id": cut_out.version_id, "name": "Version 2"}
    assert details["extensionStatus"] == {"remove-bg": "success"}
    # The webhook carries the file object after the extension: the new version.
    delivery = WebhookDelivery.objects.get(event="extension.success")
    assert delivery.url == HOOK
    assert delivery.payload["service"] == "remove-bg"
    assert delivery.payload["status"] == "SUCCESS"
    assert delivery.payload["fileObject"]["versionInfo"] == details["versionInfo"]
    assert delivery.payload["fileObject"]["hasAlpha"] is True

    versions = api.get(f"/v1/files/{file_id}/versions").json()
    assert sorted((v["versionInfo"]["name"], v["hasAlpha"]) for v in versions) == [
        ("Version 1", False),
        ("Version 2", True),
    ]
    listed_original = next(v for v in versions if v["versionInfo"]["name"] == "Version 1")
    assert listed_original["versionInfo"]["id"] == file_id
    assert listed_original["mime"] == "image/jpeg"

    # Delivered once more after it finished: nothing is called, stored or charged again.
    run_extension.apply(args=[run.pk])
    assert len(removebg_fake.requests) == 1
    assert asset.versions.count() == 2
    assert ledger(run) == [("reserve", -UNITS)]
    assert unit_balance() == balance - UNITS

    restored = api.put(f"/v1/files/{file_id}/versions/{file_id}/restore")
    assert restored.status_code == 200, restored.content
    assert restored.json()["hasAlpha"] is False
    assert restored.json()["versionInfo"]["name"] == "Version 3"
    asset.refresh_from_db()
    assert stored_image(asset.current_version).mode == "RGB"
    with open_version(asset.current_version) as stored:
        assert stored.read() == PHOTO


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (402, "Insufficient credits"),
        (400, "Could not identify foreground in image"),
    ],
)
def test_an_error_the_provider_calls_final_fails_the_run_and_refunds(
    api, removebg_fake, status, message
):
    removebg_fake.fail_next(status)
    balance = unit_balance()

    uploaded = upload_with_remove_bg(api)

    assert uploaded["extensionStatus"] == {"remove-bg": "pending"}
    run = finished_run(uploaded["fileId"])
    assert run.status == "failed"
    assert message in run.error_message
    assert run.attempts == 1
    assert len(removebg_fake.requests) == 1
    assert ledger(run) == [("reserve", -UNITS), ("refund", UNITS)]
    assert unit_balance() == balance
    details = api.get(f"/v1/files/{uploaded['fileId']}/details").json()
    assert details["extensionStatus"] == {"remove-bg": "failed"}
    assert details["versionInfo"]["name"] == "Version 1"
    assert details["hasAlpha"] is False


def test_rate_limiting_is_retried_after_retry_after_and_charged_once(
    api, removebg_fake, quick_retries
):
    removebg_fake.fail_next(429, headers={"Retry-After": "1"})
    balance = unit_balance()

    uploaded = upload_with_remove_bg(api)

    run = finished_run(uploaded["fileId"])
    assert (run.status, run.attempts) == ("success", 2)
    first, second = removebg_fake.requests
    assert second.received_at - first.received_at >= 0.9
    assert ledger(run) == [("reserve", -UNITS)]
    assert unit_balance() == balance - UNITS
    assert Asset.objects.get(file_id=uploaded["fileId"]).current_version.number == 2


@pytest.mark.parametrize("failure", ["server error", "timeout"])
def test_a_transient_failure_is_retried_then_succeeds(
    api, removebg_fake, quick_retries, settings, failure
):
    if failure == "timeout":
        settings.PROVIDER_TIMEOUT = 0.5
        removebg_fake.hang_next(3)
    else:
        removebg_fake.fail_next(503)
    balance = unit_balance()

    uploaded = upload_with_remove_bg(api)

    run = finished_run(uploaded["fileId"])
    assert (run.status, run.attempts) == ("success", 2)
    assert len(removebg_fake.requests) == 2
    assert ledger(run) == [("reserve", -UNITS)]
    assert unit_balance() == balance - UNITS
    asset = Asset.objects.get(file_id=uploaded["fileId"])
    assert (asset.current_version.number, asset.current_version.has_alpha) == (2, True)


def test_without_a_remove_bg_key_the_offline_remover_serves_it(api, settings):
    settings.REMOVE_BG_API_KEY = ""
    settings.EXTENSIONS_OFFLINE_FALLBACK = True
    picture, truth = red_circle_on_white()

    uploaded = upload_with_remove_bg(api, content=encode(picture))

    assert uploaded["extensionStatus"] == {"remove-bg": "pending"}
    run = finished_run(uploaded["fileId"])
    assert (run.status, run.backend) == ("success", "local-remove-bg"), run.error_message
    asset = Asset.objects.get(file_id=uploaded["fileId"])
    cut_out = asset.current_version
    assert (cut_out.number, cut_out.has_alpha, cut_out.origin_detail) == (2, True, "remove-bg")
    alpha = np.asarray(stored_image(cut_out).getchannel("A")) >= 128
    overlap = (alpha & truth).sum() / (alpha | truth).sum()
    assert overlap > 0.9
