"""`ExtensionRun.is_latest` follows the run writers: of each (asset, extension), the run
with the highest id has it and no other, whichever way the runs were created."""

from __future__ import annotations

import json
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction

from extensions.models import ExtensionRun
from extensions.services import clean_extensions, extension_runs_create, extensions_request
from medialib.models import Asset
from tests.extensions.helpers import aws, google, runs_request
from tests.factories import AssetFactory, make_image_bytes
from tests.fakes.loopback import wait_for

pytestmark = pytest.mark.django_db


def flagged(asset: Asset) -> dict[str, int]:
    """{extension name: id of its run flagged latest}; a name flagged twice fails."""
    rows = ExtensionRun.objects.filter(asset=asset, is_latest=True).values_list("name", "pk")
    latest: dict[str, int] = {}
    for name, pk in rows:
        assert name not in latest, f"two latest runs of {name}"
        latest[name] = pk
    return latest


def highest_ids(asset: Asset) -> dict[str, int]:
    """The rule the flag keeps (extensions.selectors): the highest id of each name."""
    latest: dict[str, int] = {}
    for name, pk in ExtensionRun.objects.filter(asset=asset).values_list("name", "pk"):
        latest[name] = max(pk, latest.get(name, 0))
    return latest


def test_a_new_run_replaces_the_latest_of_its_own_extension_only() -> None:
    asset, other = AssetFactory(), AssetFactory()
    (first,) = runs_request(asset, google(), start=False)
    (elsewhere,) = runs_request(other, google(), start=False)
    (tagging,) = runs_request(asset, aws(), start=False)

    (again,) = runs_request(asset, google(), start=False)

    assert (
        flagged(asset)
        == highest_ids(asset)
        == {
            "google-auto-tagging": again.pk,
            "aws-auto-tagging": tagging.pk,
        }
    )
    assert flagged(other) == {"google-auto-tagging": elsewhere.pk}
    assert first.pk not in flagged(asset).values()


def test_a_run_that_fails_at_once_is_the_latest_all_the_same(settings) -> None:
    settings.EXTENSIONS_INITIAL_UNITS = 0  # no units: created failed, nothing reserved
    asset = AssetFactory()

    (run,) = runs_request(asset, google(), start=False)

    assert run.status == ExtensionRun.Status.FAILED
    assert flagged(asset) == {"google-auto-tagging": run.pk}


def test_the_last_of_two_requests_of_one_name_is_the_latest() -> None:
    # clean_extensions refuses duplicates; a caller handing requests in directly may not.
    asset = AssetFactory()
    request = clean_extensions(google())
    with transaction.atomic():
        runs = extension_runs_create(
            asset=asset, version=asset.current_version, requests=request + request
        )

    assert flagged(asset) == highest_ids(asset) == {"google-auto-tagging": runs[1].pk}


def test_runs_requested_for_several_assets_are_each_the_latest_of_their_asset() -> None:
    # The asset admin's actions and the UI request runs this way.
    assets = [AssetFactory(), AssetFactory()]
    runs_request(assets[0], google(), start=False)

    runs = extensions_request(assets=assets, requests=google())

    assert [flagged(asset) for asset in assets] == [{"google-auto-tagging": run.pk} for run in runs]


def test_updating_details_with_extensions_and_a_saved_one_moves_the_latest(
    api_client, vision_fake, rekognition_fake
) -> None:
    asset = AssetFactory()
    runs_request(asset, google() + aws(), start=False)
    saved = api_client.post(
        "/v1/saved-extensions",
        {"name": "Tags", "description": "", "config": aws()[0]},
        format="json",
    ).json()

    response = api_client.patch(
        f"/v1/files/{asset.file_id}/details", {"extensions": google()}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert flagged(asset) == highest_ids(asset)

    response = api_client.patch(
        f"/v1/files/{asset.file_id}/details",
        {"extensions": [{"name": "saved-extension", "id": saved["id"]}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert flagged(asset) == highest_ids(asset)
    assert ExtensionRun.objects.filter(asset=asset).count() == 4


def test_an_upload_over_a_file_keeps_one_latest_run(api_client, vision_fake) -> None:
    for _ in range(2):
        response = api_client.post(
            "/api/v1/files/upload",
            {
                "fileName": "cat.png",
                "useUniqueFileName": "false",
                "file": SimpleUploadedFile(
                    "upload", make_image_bytes(), "application/octet-stream"
                ),
                "extensions": json.dumps(google()),
            },
            format="multipart",
        )
        assert response.status_code == 200, response.json()

    asset = Asset.objects.get()
    assert ExtensionRun.objects.filter(asset=asset).count() == 2
    assert flagged(asset) == highest_ids(asset)


@pytest.mark.django_db(transaction=True)
def test_runs_created_at_once_for_one_asset_leave_one_latest() -> None:
    # Without a lock each transaction would un-flag only the runs it can see, and two
    # runs created side by side would both stay flagged.
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time")
    asset = AssetFactory()
    created = threading.Event()
    go_on = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                runs_request_in_transaction(asset)
                created.set()
                go_on.wait(10)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    def second() -> None:
        try:
            with transaction.atomic():
                runs_request_in_transaction(asset)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    holder = threading.Thread(target=first)
    holder.start()
    assert created.wait(10)
    waiter = threading.Thread(target=second)
    waiter.start()
    # The second creation waits for the first transaction (the asset's row is locked).
    waiter.join(0.5)
    assert waiter.is_alive()
    go_on.set()
    holder.join(10)
    waiter.join(10)

    assert errors == []
    assert wait_for(lambda: ExtensionRun.objects.filter(asset=asset).count() == 2)
    assert flagged(asset) == highest_ids(asset)


def runs_request_in_transaction(asset: Asset) -> None:
    extension_runs_create(
        asset=asset, version=asset.current_version, requests=clean_extensions(google())
    )
