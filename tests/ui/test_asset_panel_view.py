"""The asset panel (/assets/<fileId>/): details, tags, runs and versions."""

from __future__ import annotations

import pytest

from medialib.models import Asset, AssetVersion
from tests.factories import AssetFactory, make_image_bytes
from tests.ui.conftest import HTMX, add_ai_tag, add_run, tag

pytestmark = pytest.mark.django_db


def test_it_renders_an_asset_panel_with_details_tags_ai_tags_runs_and_versions(user_client):
    asset = AssetFactory(name="shoe.png", version=make_image_bytes((40, 30), "red"))
    tag(asset, "summer", "sale")
    add_ai_tag(asset, "Red", 91.5)
    add_run(asset, "google-auto-tagging", "success")
    add_run(asset, "remove-bg", "failed", message="Not enough extension units: 130 needed.")

    response = user_client.get(f"/assets/{asset.file_id}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html  # a page of its own when not asked by htmx
    assert "40 \N{MULTIPLICATION SIGN} 30 px" in html
    assert 'value="summer, sale"' in html
    assert "Red" in html and "91.5%" in html and "width: 92%" in html
    assert "Not enough extension units: 130 needed." in html
    assert "Version 1" in html
    # The preview is a rendition fitting the panel, naming the version.
    version_id = asset.current_version.version_id
    preview = "http://testserver/f/shoe.png?tr=w-960%2Ch-720%2Cc-at_max"
    assert f'src="{preview}&amp;v={version_id}"' in html


def test_it_renders_the_panel_as_a_fragment_for_htmx_with_the_card_updated_out_of_band(
    user_client,
):
    asset = AssetFactory()

    response = user_client.get(f"/assets/{asset.file_id}/", **HTMX)

    html = response.content.decode()
    assert "<html" not in html
    assert f'id="card-{asset.file_id}" hx-swap-oob="true"' in html
    assert 'id="unit-balance" hx-swap-oob="true"' in html


def test_it_answers_404_for_a_file_that_does_not_exist(user_client):
    assert user_client.get("/assets/0123456789abcdef01234567/").status_code == 404


def test_it_compares_a_background_removal_with_the_version_it_came_from(user_client):
    asset = AssetFactory()
    first = asset.current_version
    second = AssetVersion.objects.create(
        asset=asset,
        number=2,
        storage_key=first.storage_key,
        size=first.size,
        mime="image/png",
        checksum=first.checksum,
        origin=AssetVersion.Origin.EXTENSION,
        origin_detail="remove-bg",
    )
    Asset.objects.filter(pk=asset.pk).update(current_version=second)

    html = user_client.get(f"/assets/{asset.file_id}/").content.decode()

    compare = html.split('class="compare checker"')[1].split("</div>")[0]
    assert f"/versions/{first.version_id}/content" in compare
    assert f"/versions/{second.version_id}/content" in compare
    assert f'data-action="restore" data-version-id="{first.version_id}"' in html


def test_it_polls_the_runs_while_one_is_pending(user_client):
    asset = AssetFactory()
    add_run(asset, "remove-bg", "pending")

    panel = user_client.get(f"/assets/{asset.file_id}/", **HTMX).content.decode()
    poll = user_client.get(f"/assets/{asset.file_id}/runs/", **HTMX)

    assert (
        f'hx-get="/assets/{asset.file_id}/runs/" hx-trigger="load delay:1500ms" hx-target="this"'
        in panel
    )
    assert 'hx-trigger="load delay:1500ms"' in poll.content.decode()
    assert "HX-Trigger" not in poll
