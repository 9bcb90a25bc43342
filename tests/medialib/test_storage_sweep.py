"""The storage sweep removes what no version references, past the grace, and nothing else."""

from __future__ import annotations

import importlib
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone

from medialib import services
from medialib.models import AssetVersion
from medialib.tasks import sweep_storage
from tests.factories import make_image_bytes
from tests.medialib.conftest import stored_files

pytestmark = pytest.mark.django_db


class RolledBack(Exception):
    pass


def _rolled_back_upload(name: str) -> None:
    """Bytes stored, then the transaction around the upload rolls back: orphans."""
    with pytest.raises(RolledBack), transaction.atomic():
        services.upload_file(file=make_image_bytes(), file_name=name)
        raise RolledBack


def _age(root: Path, seconds: float) -> None:
    past = time.time() - seconds
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (past, past))


def test_it_removes_the_bytes_of_a_rolled_back_upload_after_the_grace(media_storage) -> None:
    kept = services.upload_file(file=make_image_bytes(), file_name="kept.png").version
    _rolled_back_upload("orphan.png")
    assert len(stored_files(media_storage)) == 4  # two files, two thumbnails

    # Young orphans may belong to an upload about to commit: left alone.
    young = services.storage_sweep(grace_seconds=3600)
    assert young.removed == 0 and young.too_young == 2
    assert len(stored_files(media_storage)) == 4

    _age(media_storage, 7200)
    swept = services.storage_sweep(grace_seconds=3600)
    assert swept.removed == 2
    assert stored_files(media_storage) == sorted([kept.storage_key, kept.thumbnail_key])
    # A second sweep (or a second beat) finds nothing more.
    assert services.storage_sweep(grace_seconds=3600).removed == 0


def test_a_key_committed_while_the_sweep_ran_is_kept(media_storage, monkeypatch) -> None:
    _rolled_back_upload("late.png")
    _age(media_storage, 7200)
    keys = stored_files(media_storage)
    module = importlib.import_module("medialib.services.storage_sweep")
    real = module._referenced
    calls = []

    def referenced_then_committed(candidates):
        calls.append(list(candidates))
        if len(calls) == 2:  # the check right before the removal: the upload committed
            return set(keys)
        return real(candidates)

    monkeypatch.setattr(module, "_referenced", referenced_then_committed)
    assert services.storage_sweep(grace_seconds=60).removed == 0
    assert stored_files(media_storage) == keys


def test_the_grace_is_measured_from_the_write(media_storage) -> None:
    _rolled_back_upload("soon.png")
    now = timezone.now()
    assert services.storage_sweep(grace_seconds=600, now=now).removed == 0
    assert services.storage_sweep(grace_seconds=600, now=now + timedelta(seconds=601)).removed == 2
    assert stored_files(media_storage) == []
    assert not AssetVersion.objects.exists()


def test_the_beat_task_uses_the_grace_setting(media_storage, settings) -> None:
    _rolled_back_upload("task.png")
    settings.MEDIALIB_STORAGE_SWEEP_GRACE = 3600
    assert sweep_storage() == 0
    settings.MEDIALIB_STORAGE_SWEEP_GRACE = 0
    assert sweep_storage() == 2
    assert "medialib-sweep-storage" in django_settings.CELERY_BEAT_SCHEDULE
