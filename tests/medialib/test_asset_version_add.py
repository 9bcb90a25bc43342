"""medialib.services.asset_version_add: a new current version from bytes (remove-bg uses it)."""

from __future__ import annotations

import pytest

from core.exceptions import BadRequest
from medialib.models import AssetVersion
from medialib.services import asset_version_add
from medialib.storage import open_version
from tests.factories import AssetFactory, make_image_bytes
from tests.medialib.conftest import stored_files

pytestmark = pytest.mark.django_db


def test_it_stores_the_bytes_as_the_new_current_version(media_storage):
    asset = AssetFactory()
    cut_out = make_image_bytes((64, 48), (0, 0, 0, 0), mode="RGBA")

    version = asset_version_add(
        asset=asset,
        content=cut_out,
        origin=AssetVersion.Origin.EXTENSION,
        origin_detail="remove-bg",
    )

    asset.refresh_from_db()
    assert asset.current_version == version
    assert (version.number, version.has_alpha, version.mime) == (2, True, "image/png")
    assert version.thumbnail_key.endswith(".png")
    with open_version(version) as stored:
        assert stored.read() == cut_out


def test_it_refuses_bytes_that_are_not_a_readable_image_and_stores_nothing(media_storage):
    asset = AssetFactory()
    before = stored_files(media_storage)

    with pytest.raises(BadRequest):
        asset_version_add(
            asset=asset, content=b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, origin="extension"
        )

    assert asset.versions.count() == 1
    assert stored_files(media_storage) == before
