"""Usage and the refused account features, through the SDK against a live server."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from imagekitio import BadRequestError, ImageKit, NotFoundError

from extensions.models import UnitLedgerEntry
from extensions.services.units import unit_account_get, units_change
from medialib.services import api_key_create
from tests.factories import make_image_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def client(live_server, transactional_db) -> ImageKit:
    issued = api_key_create(name="sdk account")
    return ImageKit(
        private_key=issued.private_key,
        base_url=live_server.url,
        max_retries=0,
        _strict_response_validation=True,
    )


def test_usage_counts_storage_bandwidth_and_units(client: ImageKit):
    today = timezone.now().date()  # the server counts UTC days
    empty = client.accounts.usage.get(start_date=today, end_date=today)
    assert (empty.bandwidth_bytes, empty.media_library_storage_bytes) == (0, 0)
    assert empty.extension_units_count == 0

    uploaded = client.files.upload(
        file=make_image_bytes((30, 20), "red"), file_name="u.png", use_unique_file_name=False
    )
    assert requests.get(uploaded.url, timeout=10).status_code == 200
    assert requests.get(uploaded.url, timeout=10).status_code == 200
    assert requests.head(uploaded.url, timeout=10).status_code == 200
    account = unit_account_get()
    units_change(account=account, delta=-10, reason=UnitLedgerEntry.Reason.RESERVE)
    units_change(account=account, delta=-5, reason=UnitLedgerEntry.Reason.RESERVE)
    units_change(account=account, delta=5, reason=UnitLedgerEntry.Reason.REFUND)
    units_change(account=account, delta=100, reason=UnitLedgerEntry.Reason.TOPUP)

    usage = client.accounts.usage.get(start_date=today - timedelta(days=3), end_date=today)
    assert usage.media_library_storage_bytes == uploaded.size
    assert usage.bandwidth_bytes == 2 * uploaded.size  # two GETs; the HEAD sent no body
    assert usage.extension_units_count == 10
    yesterday = today - timedelta(days=1)
    before = client.accounts.usage.get(start_date=yesterday, end_date=yesterday)
    assert (before.bandwidth_bytes, before.extension_units_count) == (0, 0)

    with pytest.raises(BadRequestError, match="after startDate"):
        client.accounts.usage.get(start_date=today, end_date=yesterday)
    with pytest.raises(BadRequestError, match="90 days"):
        client.accounts.usage.get(start_date=today - timedelta(days=120), end_date=today)
    with pytest.raises(BadRequestError, match="YYYY-MM-DD"):
        client.accounts.usage.get(start_date="yesterday", end_date=today)


def test_origins_and_url_endpoints_are_refused_clearly(client: ImageKit):
    with pytest.raises(NotFoundError, match="not offered by the self-hosted"):
        client.accounts.origins.list()
    with pytest.raises(NotFoundError, match="not offered by the self-hosted"):
        client.accounts.url_endpoints.get("abc")
