"""The product's own endpoints that say which backend served or serves an extension."""

from __future__ import annotations

import pytest

from extensions.models import ExtensionRun
from tests.extensions.helpers import google, runs_request
from tests.factories import AssetFactory


def by_name(body: list[dict]) -> dict[str, dict]:
    return {item["name"]: item for item in body}


@pytest.mark.django_db
def test_it_lists_each_extension_with_the_offline_fallback_serving_it(api_client, settings):
    settings.EXTENSIONS_OFFLINE_FALLBACK = True
    settings.GOOGLE_VISION_API_KEY = settings.GOOGLE_VISION_API_ENDPOINT = ""
    settings.GOOGLE_APPLICATION_CREDENTIALS = ""

    response = api_client.get("/v1/extensions")

    assert response.status_code == 200
    google_state = by_name(response.json())["google-auto-tagging"]
    assert google_state == {
        "name": "google-auto-tagging",
        "label": "Google Cloud Vision",
        "backend": "local-auto-tagging",
        "configured": False,
        "offlineFallback": True,
        "units": 2,
    }


@pytest.mark.django_db
def test_it_names_the_real_provider_once_configured(api_client, vision_fake):
    google_state = by_name(api_client.get("/v1/extensions").json())["google-auto-tagging"]

    assert (google_state["backend"], google_state["configured"]) == ("google-cloud-vision", True)
    assert google_state["offlineFallback"] is False


@pytest.mark.django_db
def test_it_says_when_nothing_can_serve_an_extension(api_client, no_offline_fallback):
    google_state = by_name(api_client.get("/v1/extensions").json())["google-auto-tagging"]

    assert (google_state["backend"], google_state["configured"]) == ("", False)


@pytest.mark.django_db
def test_it_lists_a_files_runs_newest_first_with_their_backend(api_client, vision_fake, settings):
    asset = AssetFactory()
    (first,) = runs_request(asset, google(max_tags=2))
    settings.EXTENSION_UNITS = {**settings.EXTENSION_UNITS, "remove-bg": 10**9}
    (refused,) = runs_request(asset, [{"name": "remove-bg"}])

    response = api_client.get(f"/v1/files/{asset.file_id}/extension-runs")

    assert response.status_code == 200
    newest, oldest = response.json()
    assert newest["id"] == refused.pk
    assert (newest["name"], newest["status"], newest["unitsCharged"]) == ("remove-bg", "failed", 0)
    assert newest["error"]["code"] == "insufficient_units"
    first.refresh_from_db()
    assert oldest == {
        "id": first.pk,
        "name": "google-auto-tagging",
        "status": "success",
        "backend": "google-cloud-vision",
        "unitsCharged": 2,
        "attempts": 1,
        "error": None,
        "createdAt": oldest["createdAt"],
        "finishedAt": oldest["finishedAt"],
    }
    assert oldest["createdAt"].endswith("Z") and oldest["finishedAt"].endswith("Z")
    assert ExtensionRun.objects.count() == 2


@pytest.mark.django_db
def test_it_answers_404_for_an_unknown_file(api_client):
    response = api_client.get(f"/v1/files/{'0' * 24}/extension-runs")

    assert response.status_code == 404
    assert set(response.json()) >= {"message", "help"}
