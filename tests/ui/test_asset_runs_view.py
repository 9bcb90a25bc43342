"""An asset's extension runs (/assets/<fileId>/runs/), polled by the panel and the upload list."""

from __future__ import annotations

import json

import pytest

from tests.factories import AssetFactory
from tests.ui.conftest import HTMX, add_run

pytestmark = pytest.mark.django_db


def test_it_stops_polling_and_reloads_the_panel_once_nothing_is_pending(user_client):
    asset = AssetFactory()
    add_run(asset, "remove-bg", "success")

    poll = user_client.get(f"/assets/{asset.file_id}/runs/", **HTMX)

    assert "hx-trigger" not in poll.content.decode()
    assert json.loads(poll["HX-Trigger"]) == {"asset-changed": {}}


def test_it_gives_the_runs_with_their_messages_as_json_for_the_upload_list(user_client):
    asset = AssetFactory()
    add_run(asset, "google-auto-tagging", "failed", message="Not enough extension units.")

    response = user_client.get(f"/assets/{asset.file_id}/runs/", HTTP_ACCEPT="application/json")

    assert response.json() == {
        "runs": [
            {
                "name": "google-auto-tagging",
                "status": "failed",
                "message": "Not enough extension units.",
            }
        ]
    }
