"""The latest run of each extension of an asset: the highest id wins in the API, UI and admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from extensions.models import ExtensionRun
from extensions.selectors import (
    extension_status,
    latest_extension_status,
    latest_extension_statuses,
    latest_runs,
)
from extensions.services import extension_runs_insert
from medialib.models import Asset
from tests.factories import AssetFactory, UserFactory

pytestmark = pytest.mark.django_db


def runs_in_one_second(asset: Asset) -> tuple[ExtensionRun, ExtensionRun]:
    """Two remove-bg runs in the same second, the later one (higher id) stamped earlier,
    as when the clocks of two web servers disagree by a fraction of a second."""
    second = timezone.now().replace(microsecond=0)
    runs = []
    for status, offset in (("failed", 900_000), ("success", 100_000)):
        run = ExtensionRun(
            asset=asset,
            version=asset.current_version,
            name="remove-bg",
            backend="local-remove-bg",
            status=status,
        )
        extension_runs_insert(asset=asset, runs=[run])
        ExtensionRun.objects.filter(pk=run.pk).update(
            created_at=second + timedelta(microseconds=offset)
        )
        runs.append(run)
    earlier, later = runs
    assert later.pk > earlier.pk
    return earlier, later


@pytest.fixture
def signed_in_client(client: Client) -> Client:
    client.force_login(UserFactory(username="alice", is_staff=True, is_superuser=True))
    return client


def test_it_takes_the_higher_id_in_every_selector() -> None:
    asset = AssetFactory()
    earlier, later = runs_in_one_second(asset)

    assert list(latest_runs().filter(asset=asset)) == [later]
    assert extension_status(runs=[later, earlier]) == {"remove-bg": "success"}
    assert latest_extension_status(asset=asset) == {"remove-bg": "success"}
    assert latest_extension_statuses(asset_ids=[asset.pk]) == {asset.pk: {"remove-bg": "success"}}


def test_it_reports_the_higher_id_in_the_api(api_client) -> None:
    asset = AssetFactory()
    runs_in_one_second(asset)

    response = api_client.get(f"/v1/files/{asset.file_id}/details")

    assert response.json()["extensionStatus"] == {"remove-bg": "success"}


def test_it_shows_the_higher_id_in_the_ui(signed_in_client) -> None:
    asset = AssetFactory()
    runs_in_one_second(asset)

    library = signed_in_client.get("/").content.decode()
    card = signed_in_client.get(f"/assets/{asset.file_id}/card/").content.decode()
    runs = signed_in_client.get(
        f"/assets/{asset.file_id}/runs/", HTTP_ACCEPT="application/json"
    ).json()["runs"]

    for html in (library, card):
        assert "Remove BG: success" in html and "Remove BG: failed" not in html
    # The upload dialog reads the first run of each name as its latest.
    assert [run["status"] for run in runs] == ["success", "failed"]


def test_it_shows_and_filters_by_the_higher_id_in_the_admin(signed_in_client) -> None:
    asset = AssetFactory()
    runs_in_one_second(asset)
    url = "/admin/medialib/asset/"

    listing = signed_in_client.get(url).content.decode()
    page = signed_in_client.get(f"{url}{asset.pk}/change/").content.decode()
    failed = signed_in_client.get(url, {"extension_status": "failed"})
    succeeded = signed_in_client.get(url, {"extension_status": "success"})

    for html in (listing, page):
        assert "remove-bg: success" in html and "remove-bg: failed" not in html
    assert list(failed.context["cl"].result_list) == []
    assert list(succeeded.context["cl"].result_list) == [asset]
