"""One card of the grid (/assets/<fileId>/card/), polled while a run is pending."""

from __future__ import annotations

import pytest

from extensions.models import ExtensionRun
from tests.factories import AssetFactory
from tests.ui.conftest import HTMX, add_run

pytestmark = pytest.mark.django_db


def test_it_keeps_a_card_with_a_pending_run_polling_until_the_run_ends(user_client):
    asset = AssetFactory()
    run = add_run(asset, "remove-bg", "pending")

    pending = user_client.get(f"/assets/{asset.file_id}/card/", **HTMX).content.decode()
    run.status = ExtensionRun.Status.SUCCESS
    run.save()
    done = user_client.get(f"/assets/{asset.file_id}/card/", **HTMX).content.decode()

    assert f'hx-get="/assets/{asset.file_id}/card/" hx-trigger="load delay:3s"' in pending
    assert "Remove BG: pending" in pending
    assert 'hx-trigger="load' not in done and "Remove BG: success" in done
