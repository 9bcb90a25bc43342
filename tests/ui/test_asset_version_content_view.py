"""The stored bytes of a version (/assets/<fileId>/versions/<versionId>/content)."""

from __future__ import annotations

import pytest

from tests.factories import AssetFactory, make_image_bytes

pytestmark = pytest.mark.django_db


def test_it_does_not_serve_a_private_file_to_a_visitor_who_is_not_signed_in(client):
    content = make_image_bytes((30, 30), "purple")
    asset = AssetFactory(is_private=True, version=content)
    version = asset.current_version

    response = client.get(f"/assets/{asset.file_id}/versions/{version.version_id}/content")

    assert response.status_code == 302
    assert content not in response.content


def test_it_serves_any_version_to_a_signed_in_user(user_client):
    content = make_image_bytes((12, 12), "green")
    asset = AssetFactory(is_private=True, version=content)

    response = user_client.get(
        f"/assets/{asset.file_id}/versions/{asset.current_version.version_id}/content"
    )

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "image/png"
    assert "sandbox" in response["Content-Security-Policy"]


def test_it_answers_404_for_a_version_of_another_file(user_client):
    asset, other = AssetFactory(), AssetFactory()

    response = user_client.get(
        f"/assets/{asset.file_id}/versions/{other.current_version.version_id}/content"
    )

    assert response.status_code == 404
