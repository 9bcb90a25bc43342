"""The storage sweep under beat: rolled-back bytes removed, slow uploads never touched."""

from __future__ import annotations

import time
from pathlib import Path
from unittest import mock

import pytest
from django.db import transaction

from medialib import services
from medialib.models import AssetVersion
from medialib.services import versions as versions_module
from medialib.services.api_keys import api_key_create
from tests.reliability.helpers import Client, png
from tests.reliability.stack import REPORT, wait_until

ROLLED_BACK = 5
GRACE = 4


class InjectedRollback(Exception):
    pass


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_beat_sweeps_rolled_back_bytes_and_never_an_upload_on_its_way(
    stack, settings, tmp_path
) -> None:
    stack.env.update(MEDIALIB_STORAGE_SWEEP_INTERVAL="1", MEDIALIB_STORAGE_SWEEP_GRACE=str(GRACE))
    base = stack.web()
    stack.worker()
    stack.beat()
    client = Client(base, api_key_create(name="reliability").private_key)
    media = tmp_path / "var" / "media"
    # This process writes to the stack's storage, as one more server would.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": media, "base_url": "/media/"},
        },
    }
    for index in range(3):
        assert client.upload(f"kept-{index}.png", png(index)).status_code == 200

    # Injected failures: the transaction around each upload rolls back after the
    # bytes were stored, so its cleanup never runs.
    for index in range(ROLLED_BACK):
        with pytest.raises(InjectedRollback), transaction.atomic():
            services.upload_file(file=png(100 + index), file_name=f"orphan-{index}.png")
            raise InjectedRollback
        REPORT.faults["transaction rolled back after the bytes were stored"] += 1

    # An upload slower than a sweep interval but shorter than the grace: its bytes
    # are stored and unreferenced for 2.5 s while beat sweeps every second.
    real_create = versions_module.AssetVersion.objects.create

    def slow_create(**fields):
        time.sleep(2.5)
        return real_create(**fields)

    with mock.patch.object(versions_module.AssetVersion.objects, "create", side_effect=slow_create):
        services.upload_file(file=png(999), file_name="slow.png")

    def referenced() -> set[str]:
        return {
            key
            for pair in AssetVersion.objects.values_list("storage_key", "thumbnail_key")
            for key in pair
            if key
        }

    try:
        wait_until(lambda: _files(media) == referenced(), timeout=40, what="the orphans to go")
    except AssertionError:
        print(sorted(_files(media)), sorted(referenced()), list(tmp_path.rglob("*")))
        raise
    assert AssetVersion.objects.count() == 4
    # Every kept file still served through the server.
    for version in AssetVersion.objects.select_related("asset"):
        response = client.request("GET", f"/v1/files/{version.asset.file_id}/details")
        assert response.status_code == 200
    time.sleep(GRACE + 2)  # more sweeps: still nothing referenced removed
    assert _files(media) == referenced()
    REPORT.notes.append(
        f"storage sweep: {ROLLED_BACK} rolled-back uploads' bytes removed, "
        "a 2.5 s upload during 1 s sweeps kept"
    )
