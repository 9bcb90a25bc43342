"""An asset's admin page: preview, versions, AI tags, runs and webhook deliveries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from extensions.models import ExtensionRun
from medialib.models import AITag, AssetVersion
from medialib.services import asset_version_add
from tests.admin.conftest import run_of, upload
from tests.factories import make_image_bytes
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


def change_url(asset) -> str:
    return reverse("admin:medialib_asset_change", args=[asset.pk])


def test_it_shows_the_preview_and_every_version_with_a_link_to_its_file(alice_client):
    asset = upload("logo.png")
    first = asset.current_version
    asset_version_add(
        asset=asset,
        content=make_image_bytes(size=(32, 32), color="blue"),
        origin=AssetVersion.Origin.EXTENSION,
        origin_detail="remove-bg",
    )

    response = alice_client.get(change_url(asset))

    assert response.status_code == 200
    html = response.content.decode()
    # The preview is a rendition fitting the box (1x, 2x), linking to the file.
    assert '<a href="/f/logo.png" target="_blank"' in html
    assert '<img src="/f/logo.png?tr=w-720%2Ch-540%2Cc-at_max" srcset=' in html
    assert "/f/logo.png?tr=w-1440%2Ch-1080%2Cc-at_max 2x" in html
    for version in asset.versions.all():
        url = reverse("asset-version-content", args=[asset.file_id, version.version_id])
        assert f'href="{url}"' in html
        served = alice_client.get(url)
        assert b"".join(served.streaming_content) == _stored_bytes(version)
    assert "64 x 48" in html and "32 x 32" in html
    assert first.version_id != asset.versions.get(number=2).version_id


def _stored_bytes(version: AssetVersion) -> bytes:
    from medialib.storage import open_version

    with open_version(version) as stored:
        return stored.read()


def test_it_shows_ai_tags_with_confidence_and_source(alice_client):
    asset = upload("cat.png")
    AITag.objects.create(
        asset=asset, name="Cat", confidence=Decimal("97.25"), source="aws-auto-tagging"
    )

    html = alice_client.get(change_url(asset)).content.decode()

    assert "Cat" in html and "97.25" in html and "aws-auto-tagging" in html


def test_it_shows_the_runs_with_status_backend_attempts_units_and_error(alice_client):
    asset = upload("run.png")
    run_of(
        asset,
        "remove-bg",
        ExtensionRun.Status.FAILED,
        backend="remove-bg-api",
        attempts=3,
        units_reserved=130,
        error_code="provider_unavailable",
        error_message="remove.bg answered 503 three times",
    )

    html = alice_client.get(change_url(asset)).content.decode()

    assert "remove-bg-api" in html
    assert "provider_unavailable: remove.bg answered 503 three times" in html
    assert ">130<" in html or "130</td>" in html
    assert "remove-bg: failed" in html


def test_it_lists_the_webhook_deliveries_of_the_asset_with_links(alice_client):
    asset = upload("hook.png")
    other = upload("other.png")
    delivery = WebhookDelivery.objects.create(
        url="https://hooks.example.com/ik",
        event="extension.success",
        payload={"service": "remove-bg"},
        subject=asset.file_id,
        status=WebhookDelivery.Status.FAILED,
        attempts=7,
    )
    unrelated = WebhookDelivery.objects.create(
        url="https://hooks.example.com/ik",
        event="extension.success",
        payload={},
        subject=other.file_id,
    )

    html = alice_client.get(change_url(asset)).content.decode()

    delivery_url = reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk])
    assert f'<a href="{delivery_url}">{delivery.message_id}</a>' in html
    assert "<td>failed</td><td>7</td>" in html
    assert unrelated.message_id not in html
    assert alice_client.get(delivery_url).status_code == 200


def test_it_is_read_only(alice_client):
    asset = upload("fixed.png")

    response = alice_client.post(change_url(asset), {"name": "renamed.png"})

    asset.refresh_from_db()
    assert asset.name == "fixed.png"
    assert response.status_code == 403
    assert alice_client.get("/admin/medialib/asset/add/").status_code == 403
