"""The storage sweep: stored objects that no version references are removed.

Bytes are stored before the transaction that references them commits (an upload, a
copy, an extension's new version); if that transaction rolls back and the cleanup
that follows never runs (the process died, an outer transaction rolled back), the
bytes stay behind unreferenced. The sweep (beat, `MEDIALIB_STORAGE_SWEEP_INTERVAL`)
removes such objects once they are older than `MEDIALIB_STORAGE_SWEEP_GRACE`.

Never one a concurrent upload is about to reference: every write goes to a new key
(a fresh version id), and the row that references it is committed within the same
request or task, so a key younger than the grace may still be on its way and is left
alone. The grace must therefore be longer than any upload, copy or provider call
(the default, an hour, is many times gunicorn's and the providers' timeouts). Each
key is checked against the versions again right before its removal, so a key committed
while the sweep ran is kept. Safe to run twice or from two beats at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from medialib import storage
from medialib.models import AssetVersion

logger = logging.getLogger(__name__)

# The folders the library writes versions and thumbnails to (medialib.storage keys).
SWEPT_PREFIXES = ("files", "thumbnails")
BATCH = 500


@dataclass
class SweepResult:
    examined: int = 0
    removed: int = 0
    too_young: int = 0


def storage_sweep(
    *, grace_seconds: float | None = None, now: datetime | None = None
) -> SweepResult:
    """Remove stored objects that no version references and that are older than the grace."""
    grace = settings.MEDIALIB_STORAGE_SWEEP_GRACE if grace_seconds is None else grace_seconds
    cutoff = (now or timezone.now()) - timedelta(seconds=grace)
    result = SweepResult()
    batch: list[str] = []
    for prefix in SWEPT_PREFIXES:
        for key in storage.walk(prefix):
            result.examined += 1
            batch.append(key)
            if len(batch) >= BATCH:
                _sweep_batch(batch, cutoff, result)
                batch = []
    _sweep_batch(batch, cutoff, result)
    if result.removed:
        logger.info(
            "Storage sweep removed %d unreferenced objects (%d examined)",
            result.removed,
            result.examined,
        )
    return result


def _referenced(keys: Iterable[str]) -> set[str]:
    keys = list(keys)
    if not keys:
        return set()
    rows = AssetVersion.objects.filter(Q(storage_key__in=keys) | Q(thumbnail_key__in=keys))
    return {key for pair in rows.values_list("storage_key", "thumbnail_key") for key in pair}


def _sweep_batch(keys: list[str], cutoff: datetime, result: SweepResult) -> None:
    referenced = _referenced(keys)
    candidates = []
    for key in keys:
        if key in referenced:
            continue
        written = storage.modified_at(key)
        if written is None:
            continue
        if timezone.is_naive(written):
            written = timezone.make_aware(written, timezone.get_default_timezone())
        if written > cutoff:
            result.too_young += 1
            continue
        candidates.append(key)
    # Checked again right before the removal: a key committed meanwhile is kept.
    still = _referenced(candidates)
    doomed = [key for key in candidates if key not in still]
    storage.delete_now(doomed)
    result.removed += len(doomed)
